package scim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/authos/authos/store"
)

// errFilter is an unsupported filter; the caller answers 400 invalidFilter.
var errFilter = errors.New("scim: unsupported filter")

// maxFilterBytes bounds the filter parameter.
const maxFilterBytes = 2048

// ParseFilter parses a SCIM filter (RFC 7644 §3.4.2.2) over res into the
// typed filter the store runs. Attribute names are case-insensitive; an
// unknown or unsupported attribute, an operator that does not fit the
// attribute's type, a value of the wrong type and a syntax error are all
// errors (400 invalidFilter).
func ParseFilter(res store.SCIMResource, raw string) (store.SCIMFilter, error) {
	if len(raw) > maxFilterBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", errFilter, maxFilterBytes)
	}
	expr, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errFilter, err)
	}
	return convertFilter(res, expr)
}

// convertFilter converts a parsed filter and validates the result.
func convertFilter(res store.SCIMResource, expr filter.Expression) (store.SCIMFilter, error) {
	f, err := convert(res, expr, "", 0)
	if err != nil {
		return nil, err
	}
	if err := store.ValidateSCIMFilter(res, f); err != nil {
		return nil, fmt.Errorf("%w: %v", errFilter, err)
	}
	return f, nil
}

func convert(res store.SCIMResource, expr filter.Expression, within store.SCIMAttr, depth int) (store.SCIMFilter, error) {
	if depth > store.MaxSCIMFilterDepth {
		return nil, fmt.Errorf("%w: nested too deeply", errFilter)
	}
	switch x := expr.(type) {
	case *filter.LogicalExpression:
		l, err := convert(res, x.Left, within, depth+1)
		if err != nil {
			return nil, err
		}
		r, err := convert(res, x.Right, within, depth+1)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(string(x.Operator), "or") {
			return store.SCIMOr{Left: l, Right: r}, nil
		}
		return store.SCIMAnd{Left: l, Right: r}, nil
	case *filter.NotExpression:
		inner, err := convert(res, x.Expression, within, depth+1)
		if err != nil {
			return nil, err
		}
		return store.SCIMNot{X: inner}, nil
	case *filter.ValuePath:
		if within != "" || x.AttributePath.SubAttribute != nil {
			return nil, fmt.Errorf("%w: nested value filter", errFilter)
		}
		multi, err := attrName(res, x.AttributePath.URI(), x.AttributePath.AttributeName, "")
		if err != nil {
			return nil, err
		}
		inner, err := convert(res, x.ValueFilter, multi, depth+1)
		if err != nil {
			return nil, err
		}
		return store.SCIMAny{Attr: multi, Filter: inner}, nil
	case *filter.AttributeExpression:
		return compare(res, x, within)
	}
	return nil, fmt.Errorf("%w: unexpected expression", errFilter)
}

// attrName resolves a (case-insensitive) attribute path to a store
// attribute: top-level names, name.sub of the core schema, or, inside a
// value filter of multi, multi's sub-attribute name.
func attrName(res store.SCIMResource, uri, name, sub string) (store.SCIMAttr, error) {
	if uri != "" && !strings.EqualFold(uri, coreSchema(res)) {
		return "", fmt.Errorf("%w: attribute of schema %q", errFilter, uri)
	}
	full := name
	if sub != "" {
		full += "." + sub
	}
	for _, a := range []store.SCIMAttr{store.SCIMAttrID, store.SCIMAttrExternalID, store.SCIMAttrUserName,
		store.SCIMAttrDisplayName, store.SCIMAttrActive, store.SCIMAttrCreated, store.SCIMAttrLastModified,
		store.SCIMAttrEmails, store.SCIMAttrEmailValue, store.SCIMAttrEmailType, store.SCIMAttrEmailPrimary,
		store.SCIMAttrMembers, store.SCIMAttrMemberValue} {
		if strings.EqualFold(string(a), full) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: attribute %q is not filterable", errFilter, full)
}

func coreSchema(res store.SCIMResource) string {
	if res == store.SCIMGroups {
		return groupSchemaURI
	}
	return userSchemaURI
}

func compare(res store.SCIMResource, x *filter.AttributeExpression, within store.SCIMAttr) (store.SCIMFilter, error) {
	name, sub := x.AttributePath.AttributeName, x.AttributePath.SubAttributeName()
	if within != "" {
		// Inside emails[...], "value" is emails.value.
		if sub != "" {
			return nil, fmt.Errorf("%w: sub-attribute inside a value filter", errFilter)
		}
		name, sub = string(within), name
	}
	a, err := attrName(res, x.AttributePath.URI(), name, sub)
	if err != nil {
		return nil, err
	}
	op := store.SCIMOp(strings.ToLower(string(x.Operator)))
	c := store.SCIMCompare{Attr: a, Op: op}
	if op != store.SCIMPr {
		if c.Value, err = filterValue(a, x.CompareValue); err != nil {
			return nil, err
		}
	}
	if parent := a.Parent(); parent != "" && within == "" {
		// emails.value eq "x": some email's value is "x".
		return store.SCIMAny{Attr: parent, Filter: c}, nil
	}
	return c, nil
}

// filterValue converts a comparison value to the attribute's type.
func filterValue(a store.SCIMAttr, v any) (any, error) {
	switch a.Type() {
	case store.SCIMString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case store.SCIMBool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string: // Entra sends "True"/"False" in filters too
			switch strings.ToLower(b) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	case store.SCIMDateTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return nil, fmt.Errorf("%w: value of %s has the wrong type", errFilter, a)
}
