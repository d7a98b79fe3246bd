package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/store"
)

// contentType is the media type of every SCIM answer (RFC 7644 §3.1).
const contentType = "application/scim+json"

// errorSchema is the URI of SCIM error bodies.
const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

func (s *Service) routes() []authos.Route {
	a := s.a
	// SCIM is managed by people: an API key could otherwise mint a token
	// that provisions members, or grant roles through a group.
	manage := func(role string, h http.Handler) http.Handler {
		return a.RequireOrgRole(role)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if authos.PrincipalFrom(r.Context()).Kind == authos.PrincipalAPIKey {
				a.WriteError(w, r, authos.NewError(authos.CodeForbidden, "API keys cannot manage SCIM"))
				return
			}
			h.ServeHTTP(w, r)
		}))
	}
	admin := func(h http.Handler) http.Handler { return manage(store.RoleAdmin, h) }
	rs := []authos.Route{
		{Pattern: "POST /api/organizations/{org}/scim-tokens", Handler: admin(authos.HandleJSON(a, http.StatusCreated, func(r *http.Request, p *authos.Principal, in TokenInput) (tokenCreated, error) {
			o, _, _ := authos.OrgFrom(r.Context())
			t, secret, err := s.CreateToken(r.Context(), p.UserID, o, in)
			return tokenCreated{t, secret}, err
		}))},
		{Pattern: "GET /api/organizations/{org}/scim-tokens", Handler: admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (tokenList, error) {
			o, _, _ := authos.OrgFrom(r.Context())
			l, err := s.ListTokens(r.Context(), o)
			return tokenList{l}, err
		}))},
		{Pattern: "DELETE /api/organizations/{org}/scim-tokens/{id}", Handler: admin(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *authos.Principal, _ none) (none, error) {
			o, _, _ := authos.OrgFrom(r.Context())
			return none{}, s.RevokeToken(r.Context(), p.UserID, o, r.PathValue("id"))
		}))},
		{Pattern: "GET /api/organizations/{org}/scim-groups", Handler: admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (groupList, error) {
			o, _, _ := authos.OrgFrom(r.Context())
			l, err := s.ListGroups(r.Context(), o)
			return groupList{l}, err
		}))},
		{Pattern: "PATCH /api/organizations/{org}/scim-groups/{id}", Handler: manage(store.RoleOwner, authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in GroupRoleInput) (groupOne, error) {
			o, _, _ := authos.OrgFrom(r.Context())
			role := ""
			if in.Role != nil {
				role = *in.Role
			}
			g, err := s.SetGroupRole(r.Context(), p.UserID, o, r.PathValue("id"), role)
			return groupOne{g}, err
		}))},
	}
	proto := s.protocol()
	for _, p := range []string{
		"GET /scim/v2/ServiceProviderConfig", "GET /scim/v2/Schemas", "GET /scim/v2/ResourceTypes",
		"GET /scim/v2/Users", "POST /scim/v2/Users",
		"GET /scim/v2/Users/{id}", "PUT /scim/v2/Users/{id}", "PATCH /scim/v2/Users/{id}", "DELETE /scim/v2/Users/{id}",
		"GET /scim/v2/Groups", "POST /scim/v2/Groups",
		"GET /scim/v2/Groups/{id}", "PUT /scim/v2/Groups/{id}", "PATCH /scim/v2/Groups/{id}", "DELETE /scim/v2/Groups/{id}",
	} {
		rs = append(rs, authos.Route{Pattern: p, Handler: proto})
	}
	return rs
}

// none is the input of routes without a body and the output of 204 routes.
type none = struct{}

type tokenCreated struct {
	SCIMToken Token  `json:"scim_token"`
	Token     string `json:"token"`
}

type tokenList struct {
	SCIMTokens []Token `json:"scim_tokens"`
}

type groupList struct {
	SCIMGroups []Group `json:"scim_groups"`
}

type groupOne struct {
	SCIMGroup Group `json:"scim_group"`
}

// codeHolder carries the catalog error a resource handler failed with past
// the library, which only knows SCIM errors.
type codeHolder struct {
	err *authos.Error
}

// fail records err for the answer and returns the SCIM error the library
// writes (status and scimType).
func fail(r *http.Request, err error, scimType scimerrors.ScimType) error {
	e := authos.AsError(err)
	if c := callerOf(r); c != nil {
		c.code.err = e
	}
	return scimerrors.ScimError{ScimType: scimType, Detail: e.PublicMessage(), Status: e.Code.HTTPStatus()}
}

// protocol is the /scim/v2 handler: the SCIM token, the request shapes of
// real clients, the library, and the answer completed where the library
// stops (error codes, itemsPerPage, projection, ETags).
func (s *Service) protocol() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := s.a.ClientIP(r)
		if err := s.guard.refused(ip); err != nil {
			s.writeError(w, r, err, "")
			return
		}
		tok := httpx.BearerToken(r)
		if tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			s.writeError(w, r, authos.NewError(authos.CodeUnauthorized, "A SCIM bearer token is required"), "")
			return
		}
		o, t, err := s.Authenticate(r.Context(), tok)
		if errors.Is(err, authos.CodeInvalidSCIMToken) {
			if lerr := s.guard.failed(r.Context(), ip); lerr != nil {
				err = lerr
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="invalid_token"`)
			}
		}
		if err != nil {
			s.writeError(w, r, err, "")
			return
		}
		c := &caller{org: o, token: t, code: &codeHolder{}}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
		if r.Body != nil && r.ContentLength != 0 {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
			if err != nil {
				s.writeError(w, r, authos.NewError(authos.CodePayloadTooLarge, "Request body exceeds "+strconv.Itoa(maxBodyBytes)+" bytes"), "")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(normalizeBody(body)))
		}
		path := strings.TrimPrefix(r.URL.Path, "/scim")
		if path == "/v2/ServiceProviderConfig" {
			s.writeJSON(w, http.StatusOK, s.serviceProviderConfig())
			return
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		inner := r.Clone(r.Context())
		inner.URL.Path = path
		inner.URL.RawPath = ""
		s.server.ServeHTTP(rec, inner)
		s.finish(w, r, c, rec)
	})
}

// recorder buffers the library's answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

// finish writes the library's answer, completed.
func (s *Service) finish(w http.ResponseWriter, r *http.Request, c *caller, rec *recorder) {
	if rec.status >= 400 {
		e := c.code.err
		scimType := ""
		var se struct {
			ScimType string `json:"scimType"`
			Detail   string `json:"detail"`
			Status   string `json:"status"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &se)
		scimType = se.ScimType
		if e == nil {
			e = libraryError(r, rec.status, se.ScimType, se.Detail)
		}
		s.writeError(w, r, e, scimType)
		return
	}
	for _, k := range []string{"Location", "Etag"} {
		if v := rec.header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	if rec.status == http.StatusNoContent || rec.body.Len() == 0 {
		w.WriteHeader(rec.status)
		return
	}
	if r.Method == http.MethodGet && rec.header.Get("Etag") != "" && etagMatches(r.Header.Get("If-None-Match"), rec.header.Get("Etag")) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var doc map[string]any
	dec := json.NewDecoder(&rec.body)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		s.writeError(w, r, authos.WrapError(authos.CodeInternalServerError, "", err), "")
		return
	}
	proj := projectionOf(r)
	if res, ok := doc["Resources"].([]any); ok {
		for i, v := range res {
			if m, ok := v.(map[string]any); ok {
				res[i] = proj.apply(m)
			}
		}
		doc["itemsPerPage"] = len(res)
		if doc["Resources"] == nil {
			doc["Resources"] = []any{}
		}
	} else if _, isList := doc["totalResults"]; isList {
		doc["Resources"] = []any{}
		doc["itemsPerPage"] = 0
	} else if strings.HasPrefix(r.URL.Path, "/scim/v2/Users") || strings.HasPrefix(r.URL.Path, "/scim/v2/Groups") {
		doc = proj.apply(doc)
	}
	s.writeJSON(w, rec.status, doc)
}

// libraryError is the catalog error of an error the library answered by itself.
func libraryError(r *http.Request, status int, scimType, detail string) *authos.Error {
	user := strings.HasPrefix(r.URL.Path, "/scim/v2/Users")
	switch {
	case scimType == string(scimerrors.ScimTypeInvalidFilter):
		return authos.NewError(authos.CodeSCIMFilterInvalid, "The filter is invalid or uses an attribute that cannot be filtered")
	case status == http.StatusNotFound && user:
		return authos.NewError(authos.CodeSCIMUserNotFound, "User not found")
	case status == http.StatusNotFound:
		return authos.NewError(authos.CodeNotFound, "Resource not found")
	case status == http.StatusConflict && user:
		return authos.NewError(authos.CodeSCIMUserExists, "A user with this userName already exists")
	case status == http.StatusConflict:
		return authos.NewError(authos.CodeConflict, "")
	case status == http.StatusMethodNotAllowed:
		return authos.NewError(authos.CodeMethodNotAllowed, "")
	case status >= 500:
		return authos.NewError(authos.CodeInternalServerError, "")
	}
	msg := "The request is not valid SCIM"
	if scimType != "" {
		msg += " (" + scimType + ")"
	}
	return authos.NewError(authos.CodeBadRequest, msg)
}

// writeError writes err in SCIM's error schema (RFC 7644 §3.12) with the
// catalog's error_code and timestamp (and error, the message, as in every
// other authos answer).
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error, scimType string) {
	e := authos.AsError(err)
	status := e.Code.HTTPStatus()
	if status >= 500 {
		attrs := []any{"error_code", string(e.Code), "method", r.Method, "path", r.URL.Path}
		if e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		s.a.Logger().Error("scim: request failed", attrs...)
	}
	if scimType == "" {
		switch e.Code {
		case authos.CodeSCIMFilterInvalid:
			scimType = string(scimerrors.ScimTypeInvalidFilter)
		case authos.CodeSCIMUserExists:
			scimType = string(scimerrors.ScimTypeUniqueness)
		}
	}
	body := map[string]any{
		"schemas":    []string{errorSchema},
		"status":     strconv.Itoa(status),
		"detail":     e.PublicMessage(),
		"error":      e.PublicMessage(),
		"error_code": string(e.Code),
		"timestamp":  s.a.Now().UTC().Format(time.RFC3339),
	}
	if scimType != "" {
		body["scimType"] = scimType
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	s.writeJSON(w, status, body)
}

func (s *Service) writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.a.Logger().Log(context.Background(), slog.LevelDebug, "scim: writing the answer", "error", err)
	}
}

// serviceProviderConfig describes what the service supports (RFC 7643 §5).
func (s *Service) serviceProviderConfig() map[string]any {
	yes := map[string]any{"supported": true}
	no := map[string]any{"supported": false}
	return map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": s.a.Config().BaseURL,
		"patch":            yes,
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   no,
		"sort":             yes,
		"etag":             yes,
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "The organization's SCIM token (scim_...) in the Authorization header as a Bearer token.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": s.cfg.BaseURL + "/ServiceProviderConfig"},
	}
}

// etagMatches reports whether an If-Match or If-None-Match header value
// lists etag (or is "*"); weak and strong forms compare alike.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || strings.TrimPrefix(v, "W/") == want {
			return true
		}
	}
	return false
}

// checkIfMatch refuses a change when the request's If-Match does not list
// the resource's current version (412 PRECONDITION_FAILED).
func checkIfMatch(r *http.Request, version int64) error {
	h := r.Header.Get("If-Match")
	if h == "" || etagMatches(h, etagOf(version)) {
		return nil
	}
	return authos.NewError(authos.CodePreconditionFailed, "The resource has changed since the version in If-Match")
}

// etagOf is the entity tag of a resource version.
func etagOf(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }
