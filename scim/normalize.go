package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// normalizeBody rewrites the shapes of real clients that the library
// refuses into standard SCIM before it validates the body: the strings
// "True"/"False" (any case) that Microsoft Entra ID sends for boolean
// attributes (active, and primary of multi-valued attributes) become
// booleans, in a resource and in the values of PATCH operations, including
// an operation whose path is active or ends with .primary. A body that is
// not JSON is passed on as is (the library answers invalidSyntax).
func normalizeBody(body []byte) []byte {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return body
	}
	changed := fixBooleans(doc)
	if m, ok := doc.(map[string]any); ok {
		for k, ops := range m {
			if !strings.EqualFold(k, "Operations") {
				continue
			}
			list, _ := ops.([]any)
			for _, op := range list {
				o, ok := op.(map[string]any)
				if !ok {
					continue
				}
				path, _ := lookup(o, "path").(string)
				key := pathKey(path)
				if key == "active" || key == "primary" {
					if b, ok := boolString(lookup(o, "value")); ok {
						setKey(o, "value", b)
						changed = true
					}
				}
			}
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// pathKey is the last attribute name of a PATCH path, lower-cased
// ("emails[type eq \"work\"].primary" → "primary").
func pathKey(path string) string {
	if i := strings.LastIndex(path, "]"); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.LastIndexAny(path, ".:"); i >= 0 {
		path = path[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(path))
}

// fixBooleans converts boolean strings under the keys active and primary,
// anywhere in v, and reports whether it changed anything.
func fixBooleans(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if lk := strings.ToLower(k); lk == "active" || lk == "primary" {
				if b, ok := boolString(e); ok {
					x[k] = b
					changed = true
					continue
				}
			}
			if fixBooleans(e) {
				changed = true
			}
		}
	case []any:
		for _, e := range x {
			if fixBooleans(e) {
				changed = true
			}
		}
	}
	return changed
}

func boolString(v any) (bool, bool) {
	s, ok := v.(string)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// lookup returns m's value under key, matched case-insensitively.
func lookup(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// setKey sets m's value under key, replacing a key that differs in case.
func setKey(m map[string]any, key string, v any) {
	for k := range m {
		if strings.EqualFold(k, key) && k != key {
			delete(m, k)
		}
	}
	m[key] = v
}

// projection is the attributes / excludedAttributes of a request
// (RFC 7644 §3.4.2.5); id and schemas are always returned.
type projection struct {
	include, exclude []string // lower-cased attribute paths
}

func projectionOf(r *http.Request) projection {
	q := r.URL.Query()
	split := func(v string) []string {
		var out []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
				for _, uri := range []string{strings.ToLower(userSchemaURI) + ":", strings.ToLower(groupSchemaURI) + ":"} {
					p = strings.TrimPrefix(p, uri)
				}
				out = append(out, p)
			}
		}
		return out
	}
	return projection{include: split(q.Get("attributes")), exclude: split(q.Get("excludedAttributes"))}
}

// excludes reports whether the projection leaves out attribute name.
func (p projection) excludes(name string) bool {
	name = strings.ToLower(name)
	for _, e := range p.exclude {
		if e == name {
			return true
		}
	}
	if len(p.include) == 0 {
		return false
	}
	for _, i := range p.include {
		if i == name || strings.HasPrefix(i, name+".") {
			return false
		}
	}
	return true
}

// apply returns the resource m projected.
func (p projection) apply(m map[string]any) map[string]any {
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return m
	}
	out := map[string]any{}
	for k, v := range m {
		lk := strings.ToLower(k)
		if lk == "id" || lk == "schemas" {
			out[k] = v
			continue
		}
		if p.excludes(k) && !p.partial(lk) {
			continue
		}
		if sub, ok := v.(map[string]any); ok && len(p.include) > 0 && !p.whole(lk) {
			// attributes=name.givenName returns name with givenName only.
			kept := map[string]any{}
			for sk, sv := range sub {
				if p.whole(lk + "." + strings.ToLower(sk)) {
					kept[sk] = sv
				}
			}
			if len(kept) > 0 {
				out[k] = kept
			}
			continue
		}
		out[k] = v
	}
	return out
}

// whole reports whether the include list names attribute path itself.
func (p projection) whole(path string) bool {
	for _, i := range p.include {
		if i == path {
			return true
		}
	}
	return false
}

// partial reports whether the include list names a sub-attribute of path.
func (p projection) partial(path string) bool {
	for _, i := range p.include {
		if strings.HasPrefix(i, path+".") {
			return true
		}
	}
	return false
}
