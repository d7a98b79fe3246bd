package device

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/httpx"
)

// maxFormBytes caps the bodies of the OAuth endpoints and the page's form.
const maxFormBytes = 16 << 10

func (s *Service) routes() []authos.Route {
	a := s.a
	return []authos.Route{
		{Pattern: "POST /auth/device/code", Handler: a.LimitByIP(http.HandlerFunc(s.handleCode))},
		{Pattern: "POST /auth/device/verify", Handler: a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in userCodeRequest) (*Request, error) {
			return s.Approve(r.Context(), p, in.UserCode)
		}))},
		{Pattern: "POST /auth/device/deny", Handler: a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in userCodeRequest) (*Request, error) {
			return s.Deny(r.Context(), p, in.UserCode)
		}))},
		{Pattern: "GET /activate", Handler: http.HandlerFunc(s.handlePage)},
		{Pattern: "POST /activate", Handler: s.pagePost()},
	}
}

type userCodeRequest struct {
	UserCode string `json:"user_code"`
}

// deviceCodeRequest is the body of POST /auth/device/code in JSON.
type deviceCodeRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Scope        string `json:"scope"`
	Org          string `json:"org"`
	Service      string `json:"service"`
}

// client is how a request authenticated its client.
type client struct {
	id, secret, via string
}

// clientOf reads the client credentials: HTTP Basic (RFC 6749 §2.3.1,
// form-encoded id and secret) or client_id/client_secret in the body. Both
// may name the client (x/oauth2 sends client_id in the body beside Basic),
// but they must agree, and a secret may come only one way.
func clientOf(r *http.Request, bodyID, bodySecret string) (client, *OAuthError) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		if r.Header.Get("Authorization") != "" {
			return client{}, &OAuthError{RFC: ErrInvalidClient, Code: authos.CodeUnauthorized,
				Description: "Unsupported Authorization scheme", Status: http.StatusUnauthorized}
		}
		if bodyID == "" {
			return client{}, oauthErr(ErrInvalidClient, authos.CodeUnauthorized, "client_id is required")
		}
		return client{bodyID, bodySecret, "body"}, nil
	}
	uid, err1 := url.QueryUnescape(id)
	usecret, err2 := url.QueryUnescape(secret)
	switch {
	case err1 != nil || err2 != nil || uid == "":
		return client{}, &OAuthError{RFC: ErrInvalidClient, Code: authos.CodeUnauthorized,
			Description: "Malformed client credentials", Status: http.StatusUnauthorized}
	case bodyID != "" && bodyID != uid:
		return client{}, oauthErr(ErrInvalidRequest, authos.CodeBadRequest, "client_id in the body differs from the Authorization header")
	case bodySecret != "":
		return client{}, oauthErr(ErrInvalidRequest, authos.CodeBadRequest, "Send the client secret one way only")
	}
	return client{uid, usecret, "basic"}, nil
}

// parseForm reads an application/x-www-form-urlencoded body with the
// root's strict form reader (no repeated parameters, no control characters).
func (s *Service) parseForm(w http.ResponseWriter, r *http.Request) *OAuthError {
	if err := authos.Extend(s.a).ParseForm(w, r, maxFormBytes); err != nil {
		return fromError(err)
	}
	return nil
}

func (s *Service) handleCode(w http.ResponseWriter, r *http.Request) {
	var in deviceCodeRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if err := authos.Extend(s.a).DecodeJSON(w, r, maxFormBytes, &in); err != nil {
			s.writeOAuth(w, r, fromError(err))
			return
		}
	} else {
		if e := s.parseForm(w, r); e != nil {
			s.writeOAuth(w, r, e)
			return
		}
		in = deviceCodeRequest{ClientID: r.PostForm.Get("client_id"), ClientSecret: r.PostForm.Get("client_secret"),
			Scope: r.PostForm.Get("scope"), Org: r.PostForm.Get("org"), Service: r.PostForm.Get("service")}
	}
	if in.ClientID == "" && in.Org != "" && in.Service != "" {
		// The original AuthOS named the client by organization and service.
		id, err := s.clientIDOf(r, in.Org, in.Service)
		if err != nil {
			s.writeOAuth(w, r, err)
			return
		}
		in.ClientID = id
	}
	c, oe := clientOf(r, in.ClientID, in.ClientSecret)
	if oe != nil {
		s.writeOAuth(w, r, oe)
		return
	}
	auth, err := s.Authorize(r.Context(), c.id, c.secret, in.Scope)
	if err != nil {
		s.writeOAuth(w, r, fromError(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, auth)
}

// clientIDOf finds the client_id of an organization's service by slugs.
func (s *Service) clientIDOf(r *http.Request, org, service string) (string, *OAuthError) {
	o, err := s.st.GetOrgBySlug(r.Context(), strings.ToLower(org))
	if err == nil {
		var svc authos.Service
		if svc, err = s.st.GetServiceBySlug(r.Context(), o.ID, strings.ToLower(service)); err == nil {
			return svc.ClientID, nil
		}
	}
	return "", oauthErr(ErrInvalidClient, authos.CodeUnauthorized, "Unknown organization or service")
}

// writeOAuth writes e in the RFC 6749 §5.2 shape with the catalog fields:
// {"error", "error_description", "error_code", "timestamp"}.
func (s *Service) writeOAuth(w http.ResponseWriter, r *http.Request, e *OAuthError) {
	if e.Status >= 500 {
		attrs := []any{"error_code", string(e.Code), "path", r.URL.Path}
		if e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		s.a.Logger().Error("device: request failed", attrs...)
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	h := w.Header()
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="authos"`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write error means the client is gone; the status is already sent.
	_ = json.NewEncoder(w).Encode(map[string]string{
		"error": e.RFC, "error_description": e.Description,
		"error_code": string(e.Code), "timestamp": s.a.Now().UTC().Format(time.RFC3339),
	})
}
