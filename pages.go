package authos

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/page"
)

// The account pages that the emailed links open (VerifyEmailURL and
// ResetPasswordURL default to them): GET /verify-email and GET
// /reset-password only show a form holding the link's token (mail scanners
// prefetch links, so nothing is consumed on GET); the form's POST acts and
// shows the outcome. The POSTs are refused (403) from another site
// (http.CrossOriginProtection) or without the page's CSRF token and its
// cookie, are limited per client address with the bucket of the JSON auth
// routes, and show errors in the page with their catalog status. Pages
// need no JavaScript and load nothing external.

// Pages configures the pages authos serves to people: the account pages of
// Handler and the look that every page shares (device's /activate page
// too).
type Pages struct {
	// SignInURL, when set, replaces the hosted sign-in page: GET
	// /auth/authorize sends a browser without a sign-in session there
	// (with flow, login_hint and prompt=create in the query), and the
	// "Sign in" link of the success pages leads there. Unset, the browser
	// goes to the hosted page (BaseURL + "/auth/signin") and the link to
	// BaseURL + "/".
	SignInURL string
	// Stylesheet replaces the CSS of every page. It is inlined in each page
	// and allowed by its hash in the Content-Security-Policy. Default the
	// built-in stylesheet.
	Stylesheet string
	// Templates replace page templates (html/template text) by name:
	// "layout" is the document around every page, which executes
	// {{template "content" .}} and must keep <style>{{.Stylesheet}}</style>
	// as is; "verify_email" and "reset_password" are the account pages'
	// content; "signin", "signin_mfa", "signup" and "forgot" the hosted
	// sign-in pages'. They execute with a *PageData; {{.T "key"}} gives a
	// catalog message in the page's language. Parsed at New.
	Templates map[string]string
	// Disabled leaves the account pages and the hosted sign-in pages out
	// of Handler, for a host that serves its own at VerifyEmailURL,
	// ResetPasswordURL and SignInURL.
	Disabled bool
}

// Names of the page templates (Pages.Templates).
const (
	pageLayout        = "layout"
	pageVerifyEmail   = "verify_email"
	pageResetPassword = "reset_password"
)

// PageData is what the page templates execute with.
type PageData struct {
	Lang       string       // the page's language ("en", "de")
	Product    string       // Config.ProductName
	Title      string       // the page's heading
	Stylesheet template.CSS // Pages.Stylesheet
	Notice     string       // the outcome of a successful POST
	Error      string       // the problem to show
	Hint       string       // advice under the notice or problem
	Token      string       // the link's token; the form is shown when set
	CSRFToken  string       // the form's hidden "csrf" field
	MinLength  int          // reset_password: the password policy's minimum length
	SignInURL  string       // success pages: where "Sign in" leads
	// The hosted sign-in pages (signin, signin_mfa, signup, forgot):
	Flow      string       // the pending authorization request, a hidden field
	Action    string       // where the form posts
	Email     string       // the email field's value (login_hint, or as sent)
	Name      string       // signup: the name field's value
	Methods   []pageMethod // signin: the buttons of other methods (.Label, .URL)
	SignUpURL string       // signin: the sign-up page of the flow
	ForgotURL string       // signin: the forgot-password page of the flow
}

// pageMethod is a button of the sign-in page.
type pageMethod struct{ ID, Label, URL string }

// T returns the catalog message key in the page's language, formatted with
// args.
func (d *PageData) T(key string, args ...any) string { return i18n.T(d.Lang, key, args...) }

var defaultPageTemplates = map[string]string{
	pageVerifyEmail: `{{with .Notice}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
{{if .Token}}<form method="post" action="verify-email">
<input type="hidden" name="token" value="{{.Token}}">
{{with .Flow}}<input type="hidden" name="flow" value="{{.}}">{{end}}
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<button type="submit">{{.T "page.verify.button"}}</button>
</form>{{end}}
{{with .SignInURL}}<p class="actions"><a href="{{.}}">{{$.T "page.signin"}}</a></p>{{end}}
`,
	pageResetPassword: `{{with .Notice}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert" id="problem">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
{{if .Token}}<form method="post" action="reset-password">
<input type="hidden" name="token" value="{{.Token}}">
{{with .Flow}}<input type="hidden" name="flow" value="{{.}}">{{end}}
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<label for="password">{{.T "page.reset.password"}}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required aria-describedby="password-hint"{{if .Error}} aria-invalid="true"{{end}}>
<p class="hint" id="password-hint">{{.T "page.reset.minlength" .MinLength}}</p>
<label for="confirm">{{.T "page.reset.confirm"}}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">{{.T "page.reset.button"}}</button>
</form>{{end}}
{{with .SignInURL}}<p class="actions"><a href="{{.}}">{{$.T "page.signin"}}</a></p>{{end}}
`,
}

// accountPages serves the verify-email and reset-password pages and the
// hosted sign-in pages.
type accountPages struct {
	a      *Authos
	style  page.Style
	verify *template.Template
	reset  *template.Template
	tmpl   map[string]*template.Template // every page by name
	csrf   page.CSRF
}

// newAccountPages parses the page templates of cfg (New fails on an error).
func newAccountPages(a *Authos) (*accountPages, error) {
	p := &accountPages{a: a}
	cfg := a.cfg.Pages
	var err error
	if p.style, err = page.NewStyle(cfg.Stylesheet); err != nil {
		return nil, fmt.Errorf("authos: Config.Pages.Stylesheet: %w", err)
	}
	for name := range cfg.Templates {
		if _, ok := defaultPageTemplates[name]; !ok && name != pageLayout {
			return nil, fmt.Errorf("authos: Config.Pages.Templates: unknown page template %q", name)
		}
	}
	content := func(name string) string {
		if t, ok := cfg.Templates[name]; ok {
			return t
		}
		return defaultPageTemplates[name]
	}
	p.tmpl = map[string]*template.Template{}
	for name := range defaultPageTemplates {
		if p.tmpl[name], err = page.Parse(name, cfg.Templates[pageLayout], content(name)); err != nil {
			return nil, fmt.Errorf("authos: Config.Pages.Templates: %w", err)
		}
	}
	p.verify, p.reset = p.tmpl[pageVerifyEmail], p.tmpl[pageResetPassword]
	p.csrf = page.CSRF{Seal: a.keyring.Encrypt, Open: a.keyring.Decrypt, Now: a.now,
		Secure: strings.HasPrefix(a.cfg.BaseURL, "https://")}
	return p, nil
}

// routes are the pages' routes in Handler.
func (p *accountPages) routes() []route {
	cop := http.NewCrossOriginProtection()
	if origin, err := originOf(p.a.cfg.BaseURL); err == nil {
		_ = cop.AddTrustedOrigin(origin) // originOf writes a valid origin
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tmpl, d := p.verify, p.data(r, "page.crosssite.title")
		switch {
		case strings.HasSuffix(r.URL.Path, "/reset-password"):
			tmpl = p.reset
		case strings.HasPrefix(r.URL.Path, "/auth/"):
			tmpl = p.tmpl[pageForgot] // a page without a form
		}
		d.Error = d.T("page.crosssite")
		p.render(w, http.StatusForbidden, tmpl, d)
	}))
	rs := []route{
		{pattern: "GET /verify-email", handler: http.HandlerFunc(p.verifyForm)},
		{pattern: "POST /verify-email", handler: cop.Handler(http.HandlerFunc(p.verifyPost))},
		{pattern: "GET /reset-password", handler: http.HandlerFunc(p.resetForm)},
		{pattern: "POST /reset-password", handler: cop.Handler(http.HandlerFunc(p.resetPost))},
	}
	if p.a.signInOffered() {
		rs = append(rs, p.signInPageRoutes(cop)...)
	}
	return rs
}

// originOf returns the origin of an absolute http(s) URL as browsers write
// it in the Origin header: lower case, without the default port.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && port != map[string]string{"http": "80", "https": "443"}[scheme] {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// data starts the data of a page in the request's language.
func (p *accountPages) data(r *http.Request, titleKey string) *PageData {
	d := &PageData{Lang: p.a.requestLanguage(r), Product: p.a.cfg.ProductName, Stylesheet: p.style.CSS}
	d.Title = d.T(titleKey)
	return d
}

// render writes the page with status and the page headers. When the page
// shows a form, it first issues the form's CSRF token.
func (p *accountPages) render(w http.ResponseWriter, status int, tmpl *template.Template, d *PageData) {
	var buf strings.Builder
	err := tmpl.Execute(&buf, d)
	if err != nil {
		p.a.log.Error("authos: page template", "page", tmpl.Name(), "cause", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>" + template.HTMLEscapeString(d.T("page.failed")) + "</p>")
	}
	page.SetHeaders(w.Header(), p.style)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String())) // a write error means the client is gone; the status is already sent
}

// withForm issues the CSRF token of the page's form for purpose.
func (p *accountPages) withForm(w http.ResponseWriter, r *http.Request, d *PageData, purpose, token string) bool {
	csrf, err := p.csrf.Token(w, r, purpose)
	if err != nil {
		p.a.log.Error("authos: page csrf token", "cause", err.Error())
		return false
	}
	d.Token, d.CSRFToken = token, csrf
	return true
}

// renderError shows err's public message (in the page's language) with its
// catalog status; the cause of a server error is logged, never shown.
func (p *accountPages) renderError(w http.ResponseWriter, r *http.Request, tmpl *template.Template, d *PageData, err error) {
	e := AsError(err)
	status := e.Code.HTTPStatus()
	logFailure(p.a.log, r, e, status, "authos: page request failed")
	setRetryHeaders(w.Header(), e, status)
	d.Error = localMessage(d.Lang, e)
	if e.Code == CodeInvalidToken {
		d.Hint = d.T("page.link.hint")
	}
	p.render(w, status, tmpl, d)
}

// incomplete is the page of a link without its token.
func (p *accountPages) incomplete(w http.ResponseWriter, tmpl *template.Template, d *PageData) {
	d.Title, d.Error, d.Hint = d.T("page.incomplete.title"), d.T("page.incomplete"), d.T("page.incomplete.hint")
	p.render(w, http.StatusBadRequest, tmpl, d)
}

// readPost applies the per-IP limit, reads the form and checks its CSRF
// token; on failure it writes the page and returns false.
func (p *accountPages) readPost(w http.ResponseWriter, r *http.Request, tmpl *template.Template, purpose string) (*PageData, bool) {
	d := p.data(r, "page.retry.title")
	if !p.a.cfg.RateLimits.Disabled && p.a.cfg.RateLimits.PerIP != (Limit{}) {
		if err := p.a.allow(r.Context(), "ip:"+p.a.ClientIP(r), p.a.cfg.RateLimits.PerIP); err != nil {
			p.renderError(w, r, tmpl, d, err)
			return nil, false
		}
	}
	if status, err := page.ParseForm(w, r); err != nil {
		key := map[error]string{page.ErrNotForm: "page.unsupported", page.ErrTooLarge: "page.toolarge"}[err]
		if key == "" {
			key = "page.badform"
		}
		d.Title, d.Error = d.T(key+".title"), d.T(key)
		p.render(w, status, tmpl, d)
		return nil, false
	}
	if !p.csrf.Valid(r, purpose) {
		d.Title, d.Error = d.T("page.expired.title"), d.T("page.expired")
		p.render(w, http.StatusForbidden, tmpl, d)
		return nil, false
	}
	return d, true
}

// verifyForm (GET /verify-email?token=...) shows the button only.
func (p *accountPages) verifyForm(w http.ResponseWriter, r *http.Request) {
	d := p.data(r, "page.verify.title")
	token := r.URL.Query().Get("token")
	if token == "" {
		p.incomplete(w, p.verify, d)
		return
	}
	d.Hint, d.Flow = d.T("page.verify.hint"), flowParam(r.URL.Query().Get("flow"))
	if !p.withForm(w, r, d, pageVerifyEmail, token) {
		p.renderError(w, r, p.verify, d, NewError(CodeInternalServerError, ""))
		return
	}
	p.render(w, http.StatusOK, p.verify, d)
}

// verifyPost (POST /verify-email) consumes the token.
func (p *accountPages) verifyPost(w http.ResponseWriter, r *http.Request) {
	d, ok := p.readPost(w, r, p.verify, pageVerifyEmail)
	if !ok {
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		p.incomplete(w, p.verify, d)
		return
	}
	u, err := p.a.VerifyEmail(r.Context(), token)
	if err != nil {
		d.Title = d.T("page.verify.failed.title")
		p.renderError(w, r, p.verify, d, err)
		return
	}
	d.Title, d.Notice, d.SignInURL = d.T("page.verify.done.title"), d.T("page.verify.done", u.Email), p.a.cfg.Pages.SignInURL
	if flow := flowParam(r.PostForm.Get("flow")); flow != "" {
		d.SignInURL = p.a.pageURL(pathSignIn, flow) + "&login_hint=" + url.QueryEscape(u.Email)
	}
	p.render(w, http.StatusOK, p.verify, d)
}

// resetForm (GET /reset-password?token=...) shows the new-password form.
func (p *accountPages) resetForm(w http.ResponseWriter, r *http.Request) {
	d := p.data(r, "page.reset.title")
	token := r.URL.Query().Get("token")
	if token == "" {
		p.incomplete(w, p.reset, d)
		return
	}
	d.Flow = flowParam(r.URL.Query().Get("flow"))
	p.resetPage(w, r, http.StatusOK, d, token)
}

// resetPage shows the form for token, with d.Error when set.
func (p *accountPages) resetPage(w http.ResponseWriter, r *http.Request, status int, d *PageData, token string) {
	d.Title, d.MinLength = d.T("page.reset.title"), p.a.cfg.Password.MinLength
	if !p.withForm(w, r, d, pageResetPassword, token) {
		d.Token = ""
		p.renderError(w, r, p.reset, d, NewError(CodeInternalServerError, ""))
		return
	}
	p.render(w, status, p.reset, d)
}

// resetPost (POST /reset-password) checks the confirmation, then consumes
// the token and sets the password. A rejected password shows the form
// again: the token is only consumed when the password is accepted.
func (p *accountPages) resetPost(w http.ResponseWriter, r *http.Request) {
	d, ok := p.readPost(w, r, p.reset, pageResetPassword)
	if !ok {
		return
	}
	token, password := r.PostForm.Get("token"), r.PostForm.Get("password")
	d.Flow = flowParam(r.PostForm.Get("flow"))
	if token == "" {
		p.incomplete(w, p.reset, d)
		return
	}
	if password != r.PostForm.Get("confirm") {
		d.Error = d.T("page.reset.mismatch")
		p.resetPage(w, r, http.StatusBadRequest, d, token)
		return
	}
	if err := p.a.ResetPassword(r.Context(), token, password); err != nil {
		if e := AsError(err); e.Code == CodeWeakPassword {
			d.Error = localMessage(d.Lang, e)
			p.resetPage(w, r, e.Code.HTTPStatus(), d, token)
			return
		}
		d.Title = d.T("page.reset.failed.title")
		p.renderError(w, r, p.reset, d, err)
		return
	}
	d.Title, d.Notice, d.SignInURL = d.T("page.reset.done.title"), d.T("page.reset.done"), p.a.cfg.Pages.SignInURL
	if d.Flow != "" {
		d.SignInURL = p.a.pageURL(pathSignIn, d.Flow)
	}
	p.render(w, http.StatusOK, p.reset, d)
}
