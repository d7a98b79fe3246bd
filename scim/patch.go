package scim

import (
	"fmt"
	"slices"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// errNoTarget is a PATCH operation without a target (remove without path).
var errNoTarget = scimerrors.ScimErrorNoTarget

// applyPatch applies the library-validated operations to the resource
// document doc (keys named as in the schema s, extensions under their URI),
// in order (RFC 7644 §3.5.2). An add on a single-valued attribute replaces
// it (Entra sends add for existing values); an add on a multi-valued one
// appends the values not already there; a remove of a multi-valued
// attribute with a value list removes only the listed values (Entra's
// member removal).
func applyPatch(doc map[string]any, s schema.Schema, ops []elimity.PatchOperation) error {
	for _, op := range ops {
		kind := strings.ToLower(op.Op)
		if op.Path == nil {
			if kind == elimity.PatchOperationRemove {
				return errNoTarget
			}
			vals, ok := op.Value.(map[string]any)
			if !ok {
				return scimerrors.ScimErrorInvalidValue
			}
			for k, v := range vals {
				if strings.EqualFold(k, enterpriseSchemaURI) {
					ext, _ := v.(map[string]any)
					for sk, sv := range ext {
						uri := enterpriseSchemaURI
						setPath(doc, s, filter.Path{AttributePath: filter.AttributePath{URIPrefix: &uri, AttributeName: sk}}, kind, sv)
					}
					continue
				}
				p, err := filter.ParsePath([]byte(k))
				if err != nil {
					return scimerrors.ScimErrorInvalidPath
				}
				setPath(doc, s, p, kind, v)
			}
			continue
		}
		setPath(doc, s, *op.Path, kind, op.Value)
	}
	return nil
}

// canonical returns the schema's spelling of attribute name (and of sub,
// a sub-attribute of it), or the names as given when unknown.
func canonical(s schema.Schema, name, sub string) (string, string) {
	a, ok := s.Attributes.ContainsAttribute(name)
	if !ok {
		if strings.EqualFold(name, "externalId") {
			return "externalId", sub
		}
		return name, sub
	}
	name = a.Name()
	if sub != "" {
		if sa, ok := a.SubAttributes().ContainsAttribute(sub); ok {
			sub = sa.Name()
		}
	}
	return name, sub
}

func setPath(doc map[string]any, s schema.Schema, p filter.Path, op string, v any) {
	container := doc
	if uri := p.AttributePath.URI(); uri != "" && strings.EqualFold(uri, enterpriseSchemaURI) {
		ext, _ := lookup(doc, enterpriseSchemaURI).(map[string]any)
		if ext == nil {
			if op == elimity.PatchOperationRemove {
				return
			}
			ext = map[string]any{}
		}
		setKey(doc, enterpriseSchemaURI, ext)
		container = ext
		s = schema.ExtensionEnterpriseUser()
	}
	sub := p.AttributePath.SubAttributeName()
	if p.ValueExpression != nil {
		sub = p.SubAttributeName()
	}
	name, sub := canonical(s, p.AttributePath.AttributeName, sub)
	switch {
	case p.ValueExpression != nil:
		setFiltered(container, name, sub, p.ValueExpression, op, v)
	case sub != "":
		m, _ := lookup(container, name).(map[string]any)
		if m == nil {
			if op == elimity.PatchOperationRemove {
				return
			}
			m = map[string]any{}
		}
		if op == elimity.PatchOperationRemove {
			delete(m, sub)
		} else {
			setKey(m, sub, v)
		}
		setKey(container, name, m)
	case op == elimity.PatchOperationRemove:
		list, isList := lookup(container, name).([]any)
		removeVals, hasVals := v.([]any)
		if isList && hasVals && len(removeVals) > 0 {
			setKey(container, name, slices.DeleteFunc(list, func(e any) bool {
				return slices.ContainsFunc(removeVals, func(r any) bool { return sameValue(e, r) })
			}))
			return
		}
		for k := range container {
			if strings.EqualFold(k, name) {
				delete(container, k)
			}
		}
	case op == elimity.PatchOperationAdd:
		cur := lookup(container, name)
		if list, ok := cur.([]any); ok {
			if add, ok := v.([]any); ok {
				for _, e := range add {
					if !slices.ContainsFunc(list, func(x any) bool { return sameValue(x, e) }) {
						list = append(list, e)
					}
				}
				setKey(container, name, list)
				return
			}
		}
		if m, ok := cur.(map[string]any); ok {
			if add, ok := v.(map[string]any); ok {
				for k, e := range add {
					setKey(m, k, e)
				}
				return
			}
		}
		setKey(container, name, v)
	default:
		setKey(container, name, v)
	}
}

// setFiltered applies op to the values of the multi-valued attribute name
// that match the value filter f (or to their sub-attribute sub).
func setFiltered(container map[string]any, name, sub string, f filter.Expression, op string, v any) {
	list, _ := lookup(container, name).([]any)
	matched := false
	var out []any
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || !matches(f, m) {
			out = append(out, e)
			continue
		}
		matched = true
		switch {
		case op == elimity.PatchOperationRemove && sub == "":
			continue // drop the value
		case op == elimity.PatchOperationRemove:
			delete(m, sub)
		case sub != "":
			setKey(m, sub, v)
		default:
			if nv, ok := v.(map[string]any); ok {
				if op == elimity.PatchOperationReplace {
					m = map[string]any{}
				}
				for k, x := range nv {
					setKey(m, k, x)
				}
			}
		}
		out = append(out, m)
	}
	if !matched && op != elimity.PatchOperationRemove {
		// Nothing matched: add the value the filter describes (Entra
		// replaces emails[type eq "work"].value on a user without one).
		m := map[string]any{}
		for k, x := range equalities(f) {
			m[k] = x
		}
		if sub != "" {
			m[sub] = v
		} else if nv, ok := v.(map[string]any); ok {
			for k, x := range nv {
				m[k] = x
			}
		}
		out = append(out, m)
	}
	if out == nil {
		for k := range container {
			if strings.EqualFold(k, name) {
				delete(container, k)
			}
		}
		return
	}
	setKey(container, name, out)
}

// sameValue reports whether two values of a multi-valued attribute are the
// same: equal "value" sub-attributes (case-insensitively), or equal scalars.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, _ := lookup(am, "value").(string)
		bv, _ := lookup(bm, "value").(string)
		return av != "" && strings.EqualFold(av, bv)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// matches evaluates a value filter against one value of a multi-valued
// attribute; strings compare case-insensitively.
func matches(f filter.Expression, m map[string]any) bool {
	switch x := f.(type) {
	case *filter.LogicalExpression:
		if strings.EqualFold(string(x.Operator), "or") {
			return matches(x.Left, m) || matches(x.Right, m)
		}
		return matches(x.Left, m) && matches(x.Right, m)
	case *filter.NotExpression:
		return !matches(x.Expression, m)
	case *filter.AttributeExpression:
		got := lookup(m, x.AttributePath.AttributeName)
		op := strings.ToLower(string(x.Operator))
		if op == "pr" {
			return got != nil && got != ""
		}
		switch g := got.(type) {
		case string:
			w, ok := x.CompareValue.(string)
			if !ok {
				return false
			}
			g, w = strings.ToLower(g), strings.ToLower(w)
			switch op {
			case "eq":
				return g == w
			case "ne":
				return g != w
			case "co":
				return strings.Contains(g, w)
			case "sw":
				return strings.HasPrefix(g, w)
			case "ew":
				return strings.HasSuffix(g, w)
			}
		case bool:
			w, ok := x.CompareValue.(bool)
			if !ok {
				return false
			}
			return op == "eq" && g == w || op == "ne" && g != w
		case nil:
			return op == "ne"
		}
	}
	return false
}

// equalities returns the attribute = value pairs an and-only filter states.
func equalities(f filter.Expression) map[string]any {
	out := map[string]any{}
	var walk func(filter.Expression)
	walk = func(f filter.Expression) {
		switch x := f.(type) {
		case *filter.LogicalExpression:
			if strings.EqualFold(string(x.Operator), "and") {
				walk(x.Left)
				walk(x.Right)
			}
		case *filter.AttributeExpression:
			if strings.EqualFold(string(x.Operator), "eq") {
				out[x.AttributePath.AttributeName] = x.CompareValue
			}
		}
	}
	walk(f)
	return out
}
