package authos

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/store"
)

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): GET or
// POST /auth/logout ends the browser's sign-in session, and with it the
// token families that the services' codes issued from it, then returns
// the browser to the client's post_logout_redirect_uri (an exact match of
// one the client registered) with state, or shows a "signed out" page.
// A request carrying a valid id_token_hint, or a POST from this site's own
// confirmation page, signs out at once; any other GET asks the person
// first, so that a link on another site cannot sign anyone out.

// logoutRequest is an RP-initiated logout request's parameters, as sent.
type logoutRequest struct {
	IDTokenHint           string
	ClientID              string
	PostLogoutRedirectURI string
	State                 string
}

// parseLogoutRequest reads a logout request from a query or form body,
// strictly: each parameter at most once, valid UTF-8 without control
// characters, bounded lengths. Other parameters (ui_locales, logout_hint)
// are ignored.
func parseLogoutRequest(raw string) (logoutRequest, error) {
	if len(raw) > maxTokenFormBytes {
		return logoutRequest{}, NewError(CodeBadRequest, "The logout request is too long")
	}
	q, err := parseFormBody(raw)
	if err != nil {
		return logoutRequest{}, err
	}
	r := logoutRequest{IDTokenHint: q.Get("id_token_hint"), ClientID: q.Get("client_id"),
		PostLogoutRedirectURI: q.Get("post_logout_redirect_uri"), State: q.Get("state")}
	if len(r.IDTokenHint) > maxTokenBytes || len(r.ClientID) > 256 || len(r.PostLogoutRedirectURI) > 2048 ||
		len(r.State) > maxStateBytes {
		return logoutRequest{}, NewError(CodeBadRequest, "A parameter of the logout request is too long")
	}
	return r, nil
}

// readLogoutRequest reads the request's parameters: the query of a GET,
// the form body of a POST.
func readLogoutRequest(w http.ResponseWriter, r *http.Request) (logoutRequest, error) {
	if r.Method != http.MethodPost {
		return parseLogoutRequest(r.URL.RawQuery)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return logoutRequest{}, NewError(CodeBadRequest, "Send the request as application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenFormBytes+1))
	if err != nil || len(body) > maxTokenFormBytes {
		return logoutRequest{}, NewError(CodeBadRequest, "The logout request is too long")
	}
	return parseLogoutRequest(string(body))
}

// idTokenHint verifies an ID token this issuer signed (signature with a
// known key, reloaded when another instance rotated it in, typ JWT, iss)
// and returns its claims. Its expiry is not checked: an RP may send an
// expired ID token as the hint.
func (a *Authos) idTokenHint(ctx context.Context, raw string) (*idClaims, bool) {
	if raw == "" || strings.Count(raw, ".") != 2 {
		return nil, false
	}
	c := &idClaims{}
	p := jwt.NewParser(jwt.WithValidMethods([]string{AlgEdDSA, AlgES256, AlgRS256}), jwt.WithoutClaimsValidation())
	_, err := p.ParseWithClaims(raw, c, a.tokenKeyfunc(ctx, idTokenType))
	if err != nil || c.Issuer != a.cfg.Issuer || len(c.Audience) != 1 || c.Subject == "" {
		return nil, false
	}
	return c, true
}

// idTokenType reports whether a typ header is the one of the ID tokens
// this issuer signs.
func idTokenType(typ any) bool {
	s, _ := typ.(string)
	return s == typIDToken
}

// revokeWithFamilies revokes through tx the session sessionID and, for a
// sign-in session, the token families its codes started, and returns the
// ids it revoked.
func (a *Authos) revokeWithFamilies(ctx context.Context, tx store.Tx, sessionID string, now time.Time) ([]string, error) {
	if err := tx.RevokeSession(ctx, sessionID, now); err != nil {
		return nil, err
	}
	ids := []string{sessionID}
	ss, ok := store.As[store.SignInStore](tx)
	if !ok {
		return ids, nil
	}
	fams, err := ss.ListSignInFamilies(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	for _, id := range fams {
		s, err := tx.GetSession(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !s.RevokedAt.IsZero() {
			continue
		}
		if err := tx.RevokeSession(ctx, id, now); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// endSignIn ends the sign-in session sessionID of userID and the token
// families issued from it. An unknown or already revoked session is no
// error.
func (a *Authos) endSignIn(ctx context.Context, sessionID, userID string) error {
	err := a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		s, err := tx.GetSession(ctx, sessionID)
		if err != nil {
			return nil, err
		}
		if s.UserID != userID || s.Audience != signInAudience || !s.RevokedAt.IsZero() {
			return nil, nil
		}
		return a.revokeWithFamilies(ctx, tx, sessionID, now)
	}, userID)
	if AsError(err).Code == CodeNotFound {
		return nil
	}
	return err
}

// logoutClient returns the client a logout request names, by client_id or
// by the audience of its ID token hint (which must agree); ok is false
// when it names none.
func (a *Authos) logoutClient(ctx context.Context, req logoutRequest, hint *idClaims) (Service, bool, error) {
	id := req.ClientID
	if hint != nil {
		if id != "" && id != hint.Audience[0] {
			return Service{}, false, NewError(CodeBadRequest, "client_id differs from the audience of id_token_hint")
		}
		id = hint.Audience[0]
	}
	if id == "" {
		return Service{}, false, nil
	}
	if err := CheckIdentifier("client_id", id); err != nil {
		return Service{}, false, err
	}
	s, err := a.serviceByClientID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Service{}, false, NewError(CodeUnauthorized, "Unknown client")
	}
	if err != nil {
		return Service{}, false, dbError(err)
	}
	return s, true, nil
}

// handleLogout serves GET and POST /auth/logout.
func (a *Authos) handleLogout(w http.ResponseWriter, r *http.Request) {
	req, err := readLogoutRequest(w, r)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	ctx := r.Context()
	hint, hinted := a.idTokenHint(ctx, req.IDTokenHint)
	if !hinted {
		hint = nil
	}
	svc, known, err := a.logoutClient(ctx, req, hint)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	back := ""
	if known && req.PostLogoutRedirectURI != "" && slices.Contains(svc.PostLogoutRedirectURIs, req.PostLogoutRedirectURI) {
		back = req.PostLogoutRedirectURI
	}
	sis, signedIn := a.currentSignIn(r, a.now())
	// A GET ends the browser's sign-in at once only with an ID token of
	// that same person: anyone can get an ID token of their own, and a
	// link carrying it must not sign somebody else out.
	if signedIn && (!hinted || hint.Subject != sis.Session.UserID) && r.Method != http.MethodPost {
		a.logoutPage(w, r, "page.logout.confirm.title", "", req)
		return
	}
	if signedIn {
		if err := a.endSignIn(ctx, sis.Session.ID, sis.Session.UserID); err != nil {
			a.signInErrorPage(w, r, err)
			return
		}
	}
	if hint != nil && hint.SessionID != "" && (!signedIn || hint.SessionID != sis.Session.ID) {
		if err := a.endSignIn(ctx, hint.SessionID, hint.Subject); err != nil {
			a.signInErrorPage(w, r, err)
			return
		}
	}
	a.setCookie(w, signInCookie, "", 0)
	w.Header().Set("Cache-Control", "no-store")
	if back != "" {
		if req.State != "" {
			back = httpx.AppendQuery(back, url.Values{"state": {req.State}})
		}
		httpx.Redirect(w, r, back)
		return
	}
	a.logoutPage(w, r, "page.logout.done.title", "page.logout.done", logoutRequest{})
}

// The logout pages: the confirmation (a form that posts the request back)
// and "signed out".
const logoutContent = `{{with .Notice}}<p class="notice" role="status">{{.}}</p>{{end}}
{{if .Confirm}}<p class="hint">{{.T "page.logout.confirm"}}</p>
<form method="post" action="logout">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<button type="submit">{{.T "page.logout.button"}}</button>
</form>{{end}}
`

// logoutPageData is what the logout page executes with.
type logoutPageData struct {
	*PageData
	Confirm bool
	Fields  []logoutField
}

type logoutField struct{ Name, Value string }

func newLogoutPage(a *Authos) (*template.Template, error) {
	t, err := page.Parse("logout", a.cfg.Pages.Templates[pageLayout], logoutContent)
	if err != nil {
		return nil, fmt.Errorf("authos: logout page: %w", err)
	}
	return t, nil
}

// logoutPage shows the confirmation (notice empty: the form posting req
// back) or the signed-out notice.
func (a *Authos) logoutPage(w http.ResponseWriter, r *http.Request, titleKey, noticeKey string, req logoutRequest) {
	d := &logoutPageData{PageData: a.pages.data(r, titleKey)}
	if noticeKey != "" {
		d.Notice = d.T(noticeKey)
	} else {
		d.Confirm = true
		for _, f := range []logoutField{{"client_id", req.ClientID}, {"post_logout_redirect_uri", req.PostLogoutRedirectURI}, {"state", req.State}} {
			if f.Value != "" {
				d.Fields = append(d.Fields, f)
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	var buf strings.Builder
	if err := a.signIn.logoutPage.Execute(&buf, d); err != nil {
		a.signInErrorPage(w, r, WrapError(CodeInternalServerError, "", err))
		return
	}
	page.SetHeaders(w.Header(), a.pages.style)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(buf.String())) // a write error means the client is gone
}
