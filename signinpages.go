package authos

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/store"
)

// The hosted sign-in pages of the authorization endpoint: GET
// /auth/authorize sends a browser without a sign-in session to
// /auth/signin?flow=... (or /auth/signup with prompt=create) unless the
// host set Pages.SignInURL. The password form checks the password behind
// the lockout of the JSON login and ends in continueSignIn, as every other
// first factor does; the second step (/auth/signin/mfa) carries its
// preauth token in a cookie bound to the flow. Sign-up and forgot-password
// carry the flow into the emailed link, so that the verify and reset pages
// lead back to the flow. Forms are protected like the account pages'
// (cross-origin check, CSRF token and cookie, per-address limit).

// Paths of the hosted sign-in pages.
const (
	pathSignIn    = "/auth/signin"
	pathSignInMFA = "/auth/signin/mfa"
	pathSignUp    = "/auth/signup"
	pathForgot    = "/auth/forgot"
)

// Names of the hosted sign-in page templates (Pages.Templates).
const (
	pageSignIn    = "signin"
	pageSignInMFA = "signin_mfa"
	pageSignUp    = "signup"
	pageForgot    = "forgot"
)

func init() {
	for k, v := range signInPageTemplates {
		defaultPageTemplates[k] = v
	}
}

// signInPageTemplates are the default content templates of the hosted
// sign-in pages (replaceable by name through Pages.Templates).
var signInPageTemplates = map[string]string{
	pageSignIn: `{{with .Notice}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert" id="problem">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<label for="email">{{.T "page.signin.email"}}</label>
<input id="email" name="email" type="email" autocomplete="username" required value="{{.Email}}"{{if .Error}} aria-invalid="true" aria-describedby="problem"{{end}}>
<label for="password">{{.T "page.signin.password"}}</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">{{.T "page.signin.button"}}</button>
</form>
{{if .Methods}}<p class="hint">{{.T "page.signin.or"}}</p>
<ul class="methods">{{range .Methods}}<li><a class="button" href="{{.URL}}">{{.Label}}</a></li>{{end}}</ul>{{end}}
<p class="actions"><a href="{{.ForgotURL}}">{{.T "page.signin.forgot"}}</a></p>
<p>{{.T "page.signin.new"}} <a href="{{.SignUpURL}}">{{.T "page.signup.title"}}</a></p>
`,
	pageSignInMFA: `{{with .Error}}<p class="error" role="alert" id="problem">{{.}}</p>{{end}}
{{if .Flow}}<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<label for="code">{{.T "page.mfa.code"}}</label>
<input id="code" name="code" type="text" class="code" inputmode="text" autocomplete="one-time-code" required aria-describedby="code-hint"{{if .Error}} aria-invalid="true"{{end}}>
<p class="hint" id="code-hint">{{.T "page.mfa.hint"}}</p>
<button type="submit">{{.T "page.mfa.button"}}</button>
</form>{{end}}
{{with .SignInURL}}<p class="actions"><a href="{{.}}">{{$.T "page.signin.back"}}</a></p>{{end}}
`,
	pageSignUp: `{{with .Notice}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert" id="problem">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
{{if .CSRFToken}}<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<label for="email">{{.T "page.signin.email"}}</label>
<input id="email" name="email" type="email" autocomplete="email" required value="{{.Email}}">
<label for="name">{{.T "page.signup.name"}}</label>
<input id="name" name="name" type="text" autocomplete="name" value="{{.Name}}">
<label for="password">{{.T "page.signin.password"}}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required aria-describedby="password-hint"{{if .Error}} aria-invalid="true"{{end}}>
<p class="hint" id="password-hint">{{.T "page.reset.minlength" .MinLength}}</p>
<label for="confirm">{{.T "page.signup.confirm"}}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">{{.T "page.signup.button"}}</button>
</form>{{end}}
<p class="actions">{{.T "page.signup.have"}} <a href="{{.SignInURL}}">{{.T "page.signin"}}</a></p>
`,
	pageForgot: `{{with .Notice}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert" id="problem">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
{{if .CSRFToken}}<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<label for="email">{{.T "page.signin.email"}}</label>
<input id="email" name="email" type="email" autocomplete="email" required value="{{.Email}}">
<button type="submit">{{.T "page.forgot.button"}}</button>
</form>{{end}}
<p class="actions"><a href="{{.SignInURL}}">{{.T "page.signin.back"}}</a></p>
`,
}

// flowParam returns flow when it has the shape of a flow id (what the
// authorization endpoint hands out), else "".
func flowParam(flow string) string {
	if flow == "" || len(flow) > 128 {
		return ""
	}
	for i := 0; i < len(flow); i++ {
		if c := flow[i]; !unreserved(c) || c == '.' || c == '~' {
			return ""
		}
	}
	return flow
}

// pageURL is the absolute URL of the hosted page at path for flow.
func (a *Authos) pageURL(path, flow string) string {
	return a.cfg.BaseURL + path + "?flow=" + url.QueryEscape(flow)
}

// hostedSignIn reports whether the hosted sign-in pages are served.
func (a *Authos) hostedSignIn() bool { return !a.cfg.Pages.Disabled && a.signInOffered() }

// flowCtxKey carries the flow of a sign-up or forgot-password request to
// the emailed link (see withFlow).
type flowCtxKey struct{}

// withFlow returns ctx carrying flow, whose id the verification or reset
// link then carries, so that its page leads back to the flow.
func withFlow(ctx context.Context, flow string) context.Context {
	return context.WithValue(ctx, flowCtxKey{}, flow)
}

// linkFlow is the flow of ctx ("" when none).
func linkFlow(ctx context.Context) string {
	flow, _ := ctx.Value(flowCtxKey{}).(string)
	return flowParam(flow)
}

// linkPage is page with the flow of ctx added.
func linkPage(ctx context.Context, page string) string {
	flow := linkFlow(ctx)
	if flow == "" {
		return page
	}
	return httpx.AppendQuery(page, url.Values{"flow": {flow}})
}

// signInRoutes of the hosted pages, behind the same cross-origin check as
// the account pages' forms.
func (p *accountPages) signInPageRoutes(cop *http.CrossOriginProtection) []route {
	return []route{
		{pattern: "GET " + pathSignIn, handler: http.HandlerFunc(p.signInForm)},
		{pattern: "POST " + pathSignIn, handler: cop.Handler(http.HandlerFunc(p.signInPost))},
		{pattern: "GET " + pathSignInMFA, handler: http.HandlerFunc(p.mfaForm)},
		{pattern: "POST " + pathSignInMFA, handler: cop.Handler(http.HandlerFunc(p.mfaPost))},
		{pattern: "GET " + pathSignUp, handler: http.HandlerFunc(p.signUpForm)},
		{pattern: "POST " + pathSignUp, handler: cop.Handler(http.HandlerFunc(p.signUpPost))},
		{pattern: "GET " + pathForgot, handler: http.HandlerFunc(p.forgotForm)},
		{pattern: "POST " + pathForgot, handler: cop.Handler(http.HandlerFunc(p.forgotPost))},
	}
}

// flowRequest is a request of a hosted page with its live flow.
type flowRequest struct {
	d    *PageData
	flow string
	req  store.AuthRequest
	hash string
}

// openFlow starts a request of the page name at path: a POST passes
// readPost (limit, form, CSRF token), then the flow (query of a GET, form
// of a POST) must be live, else the error page is shown and ok is false.
func (p *accountPages) openFlow(w http.ResponseWriter, r *http.Request, name, path, titleKey string) (fr flowRequest, ok bool) {
	if r.Method == http.MethodPost {
		if fr.d, ok = p.readPost(w, r, p.tmpl[name], name); !ok {
			return fr, false
		}
		fr.flow = flowParam(r.PostForm.Get("flow"))
	} else {
		fr.d, fr.flow = p.data(r, titleKey), flowParam(r.URL.Query().Get("flow"))
	}
	var err error
	if fr.req, fr.hash, err = p.a.pendingFlow(r.Context(), fr.flow); err != nil {
		p.a.signInErrorPage(w, r, err)
		return fr, false
	}
	fr.d.Title = fr.d.T(titleKey)
	p.signInData(fr.d, fr.flow, path)
	return fr, true
}

// signInData fills the data every sign-in page shares.
func (p *accountPages) signInData(d *PageData, flow, path string) {
	d.Flow, d.Action = flow, p.a.cfg.BaseURL+path
	d.SignInURL, d.SignUpURL, d.ForgotURL = p.a.pageURL(pathSignIn, flow), p.a.pageURL(pathSignUp, flow), p.a.pageURL(pathForgot, flow)
	d.MinLength = p.a.cfg.Password.MinLength
}

// form renders the page name with a fresh CSRF token for its form.
func (p *accountPages) form(w http.ResponseWriter, r *http.Request, status int, name string, d *PageData) {
	if !p.withForm(w, r, d, name, d.Token) {
		p.renderError(w, r, p.tmpl[name], d, NewError(CodeInternalServerError, ""))
		return
	}
	p.render(w, status, p.tmpl[name], d)
}

// problem shows the form of page name again with err (its catalog status,
// Retry-After, and the hint key hints has for its code); a server error
// gets the page without the form.
func (p *accountPages) problem(w http.ResponseWriter, r *http.Request, name string, d *PageData, err error, hints map[ErrorCode]string) {
	e := AsError(err)
	if e.Code.HTTPStatus() >= 500 {
		p.renderError(w, r, p.tmpl[name], d, err)
		return
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfter(e))
	}
	d.Error = localMessage(d.Lang, e)
	if key, ok := hints[e.Code]; ok {
		d.Hint = d.T(key)
	}
	p.form(w, r, e.Code.HTTPStatus(), name, d)
}

// signInForm (GET /auth/signin?flow=) shows the password form.
func (p *accountPages) signInForm(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageSignIn, pathSignIn, "page.signin.title")
	if !ok {
		return
	}
	fr.d.Email = fr.req.LoginHint
	if h := r.URL.Query().Get("login_hint"); h != "" && len(h) <= maxLoginHintBytes {
		fr.d.Email = h
	}
	fr.d.Methods = p.a.methodsFor(r.Context(), flowOf(fr.flow, fr.req))
	p.form(w, r, http.StatusOK, pageSignIn, fr.d)
}

// signInPost (POST /auth/signin) checks the password (the lockout of the
// JSON login applies) and continues the flow.
func (p *accountPages) signInPost(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageSignIn, pathSignIn, "page.signin.title")
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	if to := p.a.discover(r.Context(), flowOf(fr.flow, fr.req), email, r.PostForm.Get("password")); to != "" {
		httpx.Redirect(w, r, to)
		return
	}
	ip := p.a.ClientIP(r)
	user, err := p.a.checkPassword(WithClientIP(r.Context(), ip), email, r.PostForm.Get("password"), ip)
	if err == nil {
		err = checkAccount(user)
	}
	if err != nil {
		fr.d.Email = truncate(email, maxLoginHintBytes)
		fr.d.Methods = p.a.methodsFor(r.Context(), flowOf(fr.flow, fr.req))
		p.problem(w, r, pageSignIn, fr.d, err, map[ErrorCode]string{CodeEmailNotVerified: "page.signin.unverified"})
		return
	}
	p.a.continueSignIn(w, r, fr.flow, user, []string{AMRPassword})
}

// mfaPending returns the preauth token of the request's MFA cookie when
// it is live and bound to flow.
func (p *accountPages) mfaPending(r *http.Request, flow string) (string, error) {
	gone := NewError(CodeUnauthorized, "The sign-in has expired; sign in again")
	ck, err := r.Cookie(p.a.cookieName(mfaCookie))
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return "", gone
	}
	t, err := p.a.st.GetToken(r.Context(), store.PurposePreAuth, hashx.SHA256Hex(ck.Value), p.a.now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) || errors.Is(err, store.ErrExpired) {
			return "", gone
		}
		return "", dbError(err)
	}
	if flowOfPreAuth(t.Data) != hashx.SHA256Hex(flow) {
		return "", gone
	}
	return ck.Value, nil
}

// mfaError shows the second step's refusal of a pending login that is
// gone, with a link back to the password form of the flow.
func (p *accountPages) mfaError(w http.ResponseWriter, r *http.Request, d *PageData, err error) {
	d.Flow = ""
	if e := AsError(err); e.Code == CodeUnauthorized {
		d.Error = localMessage(d.Lang, e)
		p.render(w, http.StatusUnauthorized, p.tmpl[pageSignInMFA], d)
		return
	}
	p.renderError(w, r, p.tmpl[pageSignInMFA], d, err)
}

// mfaForm (GET /auth/signin/mfa?flow=) shows the code form.
func (p *accountPages) mfaForm(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageSignInMFA, pathSignInMFA, "page.mfa.title")
	if !ok {
		return
	}
	if _, err := p.mfaPending(r, fr.flow); err != nil {
		p.mfaError(w, r, fr.d, err)
		return
	}
	p.form(w, r, http.StatusOK, pageSignInMFA, fr.d)
}

// mfaPost (POST /auth/signin/mfa) checks the code with the second-factor
// hook, then finishes the flow with the factor added to amr.
func (p *accountPages) mfaPost(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageSignInMFA, pathSignInMFA, "page.mfa.title")
	if !ok {
		return
	}
	ctx := r.Context()
	token, err := p.mfaPending(r, fr.flow)
	p.a.mu.RLock()
	sf := p.a.secondFactor
	p.a.mu.RUnlock()
	if err == nil && sf == nil {
		err = NewError(CodeUnauthorized, "The sign-in has expired; sign in again")
	}
	if err != nil {
		p.mfaError(w, r, fr.d, err)
		return
	}
	amr, err := sf.VerifyCode(ctx, token, r.PostForm.Get("code"))
	if err != nil {
		if AsError(err).Code == CodeUnauthorized {
			p.mfaError(w, r, fr.d, err)
			return
		}
		p.problem(w, r, pageSignInMFA, fr.d, err, nil)
		return
	}
	t, err := p.a.st.ConsumeToken(ctx, store.PurposePreAuth, hashx.SHA256Hex(token), p.a.now())
	if err != nil {
		p.mfaError(w, r, fr.d, preAuthError(err))
		return
	}
	pa, err := p.a.pendingLogin(ctx, t)
	if err == nil {
		err = checkAccount(pa.User)
	}
	if err != nil {
		p.a.signInErrorPage(w, r, err)
		return
	}
	lc := pa.Login
	if amr != "" && !slices.Contains(lc.AMR, amr) {
		lc.AMR = append(lc.AMR, amr)
	}
	p.a.setCookie(w, mfaCookie, "", 0)
	p.a.finishSignIn(w, r, fr.req, fr.hash, pa.User.ID, lc.AMR, t.CreatedAt)
}

// signUpForm (GET /auth/signup?flow=) shows the sign-up form.
func (p *accountPages) signUpForm(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageSignUp, pathSignUp, "page.signup.title")
	if !ok {
		return
	}
	fr.d.Email = fr.req.LoginHint
	p.form(w, r, http.StatusOK, pageSignUp, fr.d)
}

// signUpPost (POST /auth/signup) registers the account; the verification
// link carries the flow, so that its page leads back to it.
func (p *accountPages) signUpPost(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageSignUp, pathSignUp, "page.signup.title")
	if !ok {
		return
	}
	f, d := r.PostForm, fr.d
	d.Email, d.Name = truncate(f.Get("email"), maxLoginHintBytes), truncate(f.Get("name"), 200)
	if f.Get("password") != f.Get("confirm") {
		d.Error = d.T("page.reset.mismatch")
		p.form(w, r, http.StatusBadRequest, pageSignUp, d)
		return
	}
	ctx := withFlow(WithClientIP(r.Context(), p.a.ClientIP(r)), fr.flow)
	u, err := p.a.Register(ctx, RegisterInput{Email: f.Get("email"), Password: f.Get("password"), Name: f.Get("name")})
	if err != nil {
		p.problem(w, r, pageSignUp, d, err, map[ErrorCode]string{CodeUserAlreadyExists: "page.signup.exists"})
		return
	}
	d.Title, d.Notice, d.Hint = d.T("page.signup.done.title"), d.T("page.signup.done", u.Email), d.T("page.signup.done.hint")
	p.render(w, http.StatusOK, p.tmpl[pageSignUp], d)
}

// forgotForm (GET /auth/forgot?flow=) asks for the email address.
func (p *accountPages) forgotForm(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageForgot, pathForgot, "page.forgot.title")
	if !ok {
		return
	}
	fr.d.Email, fr.d.Hint = fr.req.LoginHint, fr.d.T("page.forgot.hint")
	p.form(w, r, http.StatusOK, pageForgot, fr.d)
}

// forgotPost (POST /auth/forgot) queues the reset email (the same answer
// whether or not the account exists); its link carries the flow.
func (p *accountPages) forgotPost(w http.ResponseWriter, r *http.Request) {
	fr, ok := p.openFlow(w, r, pageForgot, pathForgot, "page.forgot.title")
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	ctx := withFlow(WithClientIP(r.Context(), p.a.ClientIP(r)), fr.flow)
	if err := p.a.ForgotPassword(ctx, email); err != nil {
		fr.d.Email = truncate(email, maxLoginHintBytes)
		p.problem(w, r, pageForgot, fr.d, err, nil)
		return
	}
	fr.d.Notice, fr.d.Hint = fr.d.T("page.forgot.done"), fr.d.T("page.forgot.done.hint")
	p.render(w, http.StatusOK, p.tmpl[pageForgot], fr.d)
}

// retryAfter is the Retry-After of e in whole seconds.
func retryAfter(e *Error) string { return page.RetryAfter(e.RetryAfter) }
