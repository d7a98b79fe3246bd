package main

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authos/authos"
)

// The pages the emailed links open (authos.Config.VerifyEmailURL and
// ResetPasswordURL default to BASE_URL/verify-email and
// BASE_URL/reset-password). Each GET only shows a form holding the token:
// mail scanners prefetch links, so nothing is consumed until the person
// submits it. The POSTs call authos and show its public message, never an
// internal cause.

// maxFormBytes caps the body of the two forms.
const maxFormBytes = 16 << 10

// pages serves the verification and password-reset pages.
type pages struct {
	a       *authos.Authos
	logger  *slog.Logger
	product string
}

// mountPages adds the pages to mux. Their method patterns are more specific
// than the "/" under which a.Handler() is mounted, so they take precedence.
//
// The POSTs are refused (403) when the browser says they come from another
// site. http.CrossOriginProtection decides from Sec-Fetch-Site first, then
// from Origin, and trusts the origin of baseURL. It is Sec-Fetch-Site that
// lets the forms through: because the pages send Referrer-Policy:
// no-referrer, browsers send "Origin: null" with their form posts, so a
// check that required Origin to be baseURL's origin would refuse every
// genuine submission.
func mountPages(mux *http.ServeMux, a *authos.Authos, baseURL string) error {
	origin, err := originOf(baseURL)
	if err != nil {
		return err
	}
	p := &pages{a: a, logger: a.Logger(), product: a.Config().ProductName}
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(origin); err != nil {
		return fmt.Errorf("%s: %w", envBaseURL, err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.render(w, http.StatusForbidden, pageData{Title: "Request refused",
			Error: "This form was submitted from another site. Open the link from your email again."})
	}))
	post := func(h http.HandlerFunc) http.Handler {
		return authos.Recover(p.logger)(cop.Handler(p.limited(h)))
	}
	mux.Handle("GET /verify-email", authos.Recover(p.logger)(http.HandlerFunc(p.verifyForm)))
	mux.Handle("POST /verify-email", post(p.verify))
	mux.Handle("GET /reset-password", authos.Recover(p.logger)(http.HandlerFunc(p.resetForm)))
	mux.Handle("POST /reset-password", post(p.reset))
	return nil
}

// originOf returns the origin of an absolute http(s) URL as browsers write
// it in the Origin header: lower case, without the default port.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s must be an absolute http(s) URL", envBaseURL)
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	defaultPort := map[string]string{"http": "80", "https": "443"}[scheme]
	if port := u.Port(); port != "" && port != defaultPort {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// pageData is what the template shows: a title, a success notice or an
// error, and at most one form.
type pageData struct {
	Product   string
	Title     string
	Notice    string
	Error     string
	Hint      string
	Form      string // "", "verify" or "reset"
	Token     string
	MinLength int
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · {{.Product}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2430;margin:0;padding:3rem 1rem}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:1rem 0 .3rem;font-weight:600}
input[type=password]{box-sizing:border-box;width:100%;padding:.55rem;border:1px solid #b8bfca;border-radius:4px;font-size:1rem}
button{margin-top:1.4rem;padding:.65rem 1.2rem;border:0;border-radius:4px;background:#2456c7;color:#fff;font-size:1rem;cursor:pointer}
.notice{color:#17663a}.error{color:#a8201a}.hint{color:#5b6473;font-size:.9rem}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{with .Notice}}<p class="notice">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
{{if eq .Form "verify"}}
<form method="post" action="verify-email">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Verify my email</button>
</form>
{{else if eq .Form "reset"}}
<form method="post" action="reset-password">
<input type="hidden" name="token" value="{{.Token}}">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="confirm">Confirm the new password</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
{{with .MinLength}}<p class="hint">At least {{.}} characters.</p>{{end}}
<button type="submit">Set my new password</button>
</form>
{{end}}
</main>
</body>
</html>
`))

// render writes the page with status and the security headers.
func (p *pages) render(w http.ResponseWriter, status int, d pageData) {
	d.Product = p.product
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		p.logger.Error("rendering page", "error", err.Error())
		http.Error(w, "Unexpected server error", http.StatusInternalServerError)
		return
	}
	authos.SetPageHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a write error means the client is gone; the status is already sent
}

// incomplete is the page of a link without its token.
func (p *pages) incomplete(w http.ResponseWriter) {
	p.render(w, http.StatusBadRequest, pageData{Title: "Incomplete link",
		Error: "This link is incomplete: its token is missing.",
		Hint:  "Open the link from your email again, or copy the whole address into the browser."})
}

// renderError shows err's public message with the catalog status; the
// cause of a server error is logged, never shown.
func (p *pages) renderError(w http.ResponseWriter, r *http.Request, title string, err error) {
	e := authos.AsError(err)
	status := e.Code.HTTPStatus()
	if status >= 500 {
		attrs := []any{"error_code", string(e.Code), "method", r.Method, "path", r.URL.Path}
		if e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		p.logger.Error("authos: page request failed", attrs...)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	d := pageData{Title: title, Error: e.PublicMessage()}
	if e.Code == authos.CodeInvalidToken {
		d.Hint = "Links work once and expire. Request a new one from the application."
	}
	p.render(w, status, d)
}

// limited applies the per-IP limit of the JSON auth endpoints, sharing
// their bucket, so that the forms are no way around it.
func (p *pages) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cfg := p.a.Config()
		if cfg.RateLimits.Disabled || cfg.RateLimits.PerIP == (authos.Limit{}) || cfg.RateLimiter == nil {
			next(w, r)
			return
		}
		d, err := cfg.RateLimiter.Allow(r.Context(), "ip:"+p.a.ClientIP(r), cfg.RateLimits.PerIP)
		switch {
		case err != nil: // a broken shared limiter must not open the gate
			p.renderError(w, r, "Please retry", authos.WrapError(authos.CodeServiceUnavailable,
				"The service is briefly unavailable; retry shortly", err))
		case !d.Allowed:
			e := authos.NewError(authos.CodeRateLimitExceeded, "Too many requests; retry later")
			e.RetryAfter = max(d.RetryAfter, time.Second)
			p.renderError(w, r, "Please retry later", e)
		default:
			next(w, r)
		}
	}
}

// parseForm reads the urlencoded body (at most maxFormBytes) into
// r.PostForm; on failure it writes the error page and returns false.
func (p *pages) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		p.render(w, http.StatusUnsupportedMediaType, pageData{Title: "Unsupported request",
			Error: "Submit the form of this page."})
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			p.render(w, http.StatusRequestEntityTooLarge, pageData{Title: "Request too large",
				Error: "The submitted form is too large."})
			return false
		}
		p.render(w, http.StatusBadRequest, pageData{Title: "Bad request", Error: "The submitted form is malformed."})
		return false
	}
	return true
}

// verifyForm (GET /verify-email?token=...) shows the button only: it does
// not verify, since mail scanners fetch links.
func (p *pages) verifyForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		p.incomplete(w)
		return
	}
	p.render(w, http.StatusOK, pageData{Title: "Verify your email address",
		Hint: "Confirm that this email address is yours.", Form: "verify", Token: token})
}

// verify (POST /verify-email) consumes the token.
func (p *pages) verify(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		p.incomplete(w)
		return
	}
	u, err := p.a.VerifyEmail(r.Context(), token)
	if err != nil {
		p.renderError(w, r, "Email not verified", err)
		return
	}
	p.render(w, http.StatusOK, pageData{Title: "Email verified",
		Notice: "Your email address " + u.Email + " is verified. You can now sign in."})
}

// resetForm (GET /reset-password?token=...) shows the new-password form.
func (p *pages) resetForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		p.incomplete(w)
		return
	}
	p.render(w, http.StatusOK, p.resetPage(token, ""))
}

func (p *pages) resetPage(token, problem string) pageData {
	return pageData{Title: "Choose a new password", Error: problem, Form: "reset", Token: token,
		MinLength: p.a.Config().Password.MinLength}
}

// reset (POST /reset-password) checks the confirmation, then consumes the
// token and sets the password. A rejected password shows the form again:
// the token is only consumed when the password is accepted.
func (p *pages) reset(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	token, password := r.PostForm.Get("token"), r.PostForm.Get("password")
	if token == "" {
		p.incomplete(w)
		return
	}
	if password != r.PostForm.Get("confirm") {
		p.render(w, http.StatusBadRequest, p.resetPage(token, "The two passwords do not match."))
		return
	}
	if err := p.a.ResetPassword(r.Context(), token, password); err != nil {
		if e := authos.AsError(err); e.Code == authos.CodeWeakPassword {
			p.render(w, e.Code.HTTPStatus(), p.resetPage(token, e.PublicMessage()))
			return
		}
		p.renderError(w, r, "Password not changed", err)
		return
	}
	p.render(w, http.StatusOK, pageData{Title: "Password changed",
		Notice: "Your password has been changed and every session was signed out. Sign in with the new password."})
}
