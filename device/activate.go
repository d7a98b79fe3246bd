package device

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/store"
)

// The activation page (GET/POST /activate). GET shows the request a user
// code belongs to (application, organization, when it was requested) and
// a confirm form; it never approves. POST approves or denies, and needs:
//   - the same-origin check of http.CrossOriginProtection,
//   - a CSRF token bound to a cookie: the form carries the page's nonce
//     sealed with the authos keyring (so it cannot be forged) and the
//     cookie carries the nonce itself (so another site cannot reuse a
//     token it fetched for itself),
//   - a signed-in user, from Config.PageAuth. A plain browser form sends no
//     bearer token, so with the default PageAuth the POST explains that
//     the user must approve from the application's signed-in web UI (which
//     calls POST /auth/device/verify with the user's access token) instead
//     of pretending to work; a host with its own browser sign-in supplies
//     PageAuth and the page approves directly.

// csrfPurpose separates the activation form's CSRF tokens from other pages'.
const csrfPurpose = "device/activate"

// PageData is what the activation template is executed with.
type PageData struct {
	Lang       string       // the page's language ("en", "de")
	Product    string       // authos Config.ProductName
	Title      string       // the page's heading
	Stylesheet template.CSS // authos Config.Pages.Stylesheet, shared by every page
	UserCode   string       // as entered or prefilled (XXXX-XXXX when known)
	Request    *Request     // the request the code belongs to, when found
	CSRFToken  string       // hidden field "csrf" of the confirm form
	Message    string       // outcome to show (approved, denied)
	Error      string       // problem to show
	// SignInRequired is set when a POST came without a signed-in user.
	SignInRequired bool
}

// T returns the authos catalog message key in the page's language,
// formatted with args.
func (d *PageData) T(key string, args ...any) string { return i18n.T(d.Lang, key, args...) }

// newPageData starts the data of the page in the request's language.
func (s *Service) newPageData(r *http.Request, userCode string) *PageData {
	d := &PageData{Lang: i18n.Negotiate(r.Header.Get("Accept-Language"), s.a.Config().DefaultLanguage),
		Product: s.a.Config().ProductName, Stylesheet: s.style.CSS, UserCode: userCode}
	d.Title = d.T("page.activate.title")
	return d
}

func (s *Service) handlePage(w http.ResponseWriter, r *http.Request) {
	d := s.newPageData(r, strings.TrimSpace(r.URL.Query().Get("user_code")))
	status := http.StatusOK
	if d.UserCode != "" {
		req, err := s.Lookup(r.Context(), "device-ip:"+s.a.ClientIP(r), d.UserCode)
		if err != nil {
			status = s.pageError(w, d, err)
		} else {
			d.Request, d.UserCode = req, req.UserCode
			if req.Status != store.DeviceStatusPending {
				d.Error = d.T("page.activate.already." + req.Status)
			}
		}
	}
	s.render(w, r, status, d)
}

// pageError puts err's public message in d and returns the status.
func (s *Service) pageError(w http.ResponseWriter, d *PageData, err error) int {
	e := authos.AsError(err)
	if d.Error = i18n.Error(d.Lang, string(e.Code), e.Message); d.Error == "" {
		d.Error = e.PublicMessage()
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", page.RetryAfter(e.RetryAfter))
	}
	return e.Code.HTTPStatus()
}

func (s *Service) pagePost() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.newPageData(r, "")
		d.Error = d.T("page.activate.crosssite")
		s.render(w, r, http.StatusForbidden, d)
	}))
	return cop.Handler(http.HandlerFunc(s.handlePagePost))
}

func (s *Service) handlePagePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		d := s.newPageData(r, "")
		d.Error = d.T("page.activate.badform")
		s.render(w, r, http.StatusBadRequest, d)
		return
	}
	d := s.newPageData(r, strings.TrimSpace(r.PostForm.Get("user_code")))
	if !s.csrf.Valid(r, csrfPurpose) {
		d.Error = d.T("page.activate.expired")
		s.render(w, r, http.StatusForbidden, d)
		return
	}
	p, err := s.cfg.PageAuth(r)
	if err != nil || p == nil {
		d.SignInRequired = true
		d.Error = d.T("page.activate.signin")
		if req, err := s.Lookup(r.Context(), "device-ip:"+s.a.ClientIP(r), d.UserCode); err == nil {
			d.Request, d.UserCode = req, req.UserCode
		}
		s.render(w, r, http.StatusUnauthorized, d)
		return
	}
	var req *Request
	switch r.PostForm.Get("action") {
	case "approve":
		req, err = s.Approve(r.Context(), p, d.UserCode)
		d.Message = d.T("page.activate.approved")
	case "deny":
		req, err = s.Deny(r.Context(), p, d.UserCode)
		d.Message = d.T("page.activate.denied")
	default:
		err = authos.NewError(authos.CodeBadRequest, "Choose approve or deny")
	}
	if err != nil {
		d.Message = ""
		s.render(w, r, s.pageError(w, d, err), d)
		return
	}
	d.Request, d.UserCode = req, req.UserCode
	s.render(w, r, http.StatusOK, d)
}

func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, d *PageData) {
	if d.Request != nil && d.Request.Status == store.DeviceStatusPending && d.Message == "" {
		tok, err := s.csrf.Token(w, r, csrfPurpose)
		if err != nil {
			s.a.Logger().Error("device: csrf token", "cause", err.Error())
			status, d.Request, d.Error = http.StatusInternalServerError, nil, d.T("page.failed")
		}
		d.CSRFToken = tok
	}
	var buf bytes.Buffer
	if err := s.tmpl.Execute(&buf, d); err != nil {
		s.a.Logger().Error("device: activation template", "cause", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>" + template.HTMLEscapeString(d.T("page.failed")) + "</p>")
	}
	page.SetHeaders(w.Header(), s.style)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a write error means the client is gone; the status is already sent
}

// activateContent is the built-in content of the activation page, inside
// the layout every authos page shares: no script, no external asset.
const activateContent = `{{with .Message}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
{{if and .Request (eq .Request.Status "pending") (not .Message)}}
<div class="box">
<p><strong>{{.T "page.activate.confirm"}}</strong> {{.T "page.activate.confirm.hint"}}</p>
<dl><dt>{{.T "page.activate.application"}}</dt><dd>{{.Request.ServiceName}}</dd>
<dt>{{.T "page.activate.organization"}}</dt><dd>{{.Request.Organization}}</dd>
<dt>{{.T "page.activate.requested"}}</dt><dd>{{.Request.RequestedAt.UTC.Format "2006-01-02 15:04:05 MST"}}</dd>
{{with .Request.Scope}}<dt>{{$.T "page.activate.scope"}}</dt><dd>{{.}}</dd>{{end}}
<dt>{{.T "page.activate.code"}}</dt><dd>{{.Request.UserCode}}</dd></dl>
<form method="post" action="activate">
<input type="hidden" name="user_code" value="{{.Request.UserCode}}">
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<button type="submit" name="action" value="approve">{{.T "page.activate.approve"}}</button>
<button type="submit" name="action" value="deny" class="secondary">{{.T "page.activate.deny"}}</button>
</form>
<p class="hint">{{.T "page.activate.mustsignin" .Product}}</p>
</div>
{{else if not .Message}}
<form method="get" action="activate" class="box">
<label for="user_code">{{.T "page.activate.enter"}}</label>
<input id="user_code" name="user_code" class="code" type="text" value="{{.UserCode}}" autocomplete="off" autocapitalize="characters" maxlength="16" required>
<button type="submit">{{.T "page.activate.continue"}}</button>
</form>
{{end}}
`
