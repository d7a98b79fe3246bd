package device

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authos/authos"
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

const (
	csrfTTL    = time.Hour
	csrfAAD    = "authos/device/activate-csrf"
	nonceBytes = 16
)

// PageData is what the activation template is executed with.
type PageData struct {
	Product   string
	Title     string
	UserCode  string   // as entered or prefilled (XXXX-XXXX when known)
	Request   *Request // the request the code belongs to, when found
	CSRFToken string   // hidden field "csrf" of the confirm form
	Message   string   // outcome to show (approved, denied)
	Error     string   // problem to show
	// SignInRequired is set when a POST came without a signed-in user.
	SignInRequired bool
}

func (s *Service) cookieName() string {
	if strings.HasPrefix(s.a.Config().BaseURL, "https://") {
		return "__Host-authos_device_csrf"
	}
	return "authos_device_csrf"
}

// csrf returns the page's token, setting the nonce cookie when absent.
func (s *Service) csrf(w http.ResponseWriter, r *http.Request) (string, error) {
	var nonce []byte
	if c, err := r.Cookie(s.cookieName()); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil && len(b) == nonceBytes {
			nonce = b
		}
	}
	if nonce == nil {
		nonce = randomBytes(nonceBytes)
		http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: base64.RawURLEncoding.EncodeToString(nonce),
			Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
			Secure: strings.HasPrefix(s.a.Config().BaseURL, "https://")})
	}
	plain := binary.BigEndian.AppendUint64(nil, uint64(s.a.Now().Add(csrfTTL).Unix()))
	sealed, err := s.a.Keyring().Encrypt(append(plain, nonce...), []byte(csrfAAD))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// checkCSRF verifies the form's token against the cookie.
func (s *Service) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return false
	}
	nonce, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(nonce) != nonceBytes {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get("csrf"))
	if err != nil || len(raw) == 0 {
		return false
	}
	plain, err := s.a.Keyring().Decrypt(raw, []byte(csrfAAD))
	if err != nil || len(plain) != 8+nonceBytes {
		return false
	}
	if time.Unix(int64(binary.BigEndian.Uint64(plain[:8])), 0).Before(s.a.Now()) {
		return false
	}
	return subtle.ConstantTimeCompare(plain[8:], nonce) == 1
}

func (s *Service) handlePage(w http.ResponseWriter, r *http.Request) {
	d := &PageData{UserCode: strings.TrimSpace(r.URL.Query().Get("user_code"))}
	status := http.StatusOK
	if d.UserCode != "" {
		req, err := s.Lookup(r.Context(), "device-ip:"+s.a.ClientIP(r), d.UserCode)
		if err != nil {
			status = s.pageError(w, d, err)
		} else {
			d.Request, d.UserCode = req, req.UserCode
			if req.Status != "pending" {
				d.Error = "This code was already " + req.Status + "."
			}
		}
	}
	s.render(w, r, status, d)
}

// pageError puts err's public message in d and returns the status.
func (s *Service) pageError(w http.ResponseWriter, d *PageData, err error) int {
	e := authos.AsError(err)
	d.Error = e.PublicMessage()
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	return e.Code.HTTPStatus()
}

func (s *Service) pagePost() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusForbidden, &PageData{Error: "This form was submitted from another site. Open the activation page again."})
	}))
	return cop.Handler(http.HandlerFunc(s.handlePagePost))
}

func (s *Service) handlePagePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, &PageData{Error: "The form could not be read."})
		return
	}
	d := &PageData{UserCode: strings.TrimSpace(r.PostForm.Get("user_code"))}
	if !s.checkCSRF(r) {
		d.Error = "This form has expired or did not come from this page. Open the activation page again."
		s.render(w, r, http.StatusForbidden, d)
		return
	}
	p, err := s.cfg.PageAuth(r)
	if err != nil || p == nil {
		d.SignInRequired = true
		d.Error = "You need to be signed in to approve a device. Approve it from the application's signed-in " +
			"web page, which sends your sign-in with the code; this page alone cannot see your sign-in."
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
		d.Message = "Device approved. You can return to your device."
	case "deny":
		req, err = s.Deny(r.Context(), p, d.UserCode)
		d.Message = "Request denied. The device will not be signed in."
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
	d.Product = s.a.Config().ProductName
	if d.Title == "" {
		d.Title = "Activate a device"
	}
	if d.Request != nil && d.Request.Status == "pending" && d.Message == "" {
		tok, err := s.csrf(w, r)
		if err != nil {
			s.a.Logger().Error("device: csrf token", "cause", err.Error())
			status, d.Request, d.Error = http.StatusInternalServerError, nil, "The page could not be prepared."
		}
		d.CSRFToken = tok
	}
	var buf bytes.Buffer
	if err := s.tmpl.Execute(&buf, d); err != nil {
		s.a.Logger().Error("device: activation template", "cause", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>The page could not be shown.</p>")
	}
	authos.SetPageHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a write error means the client is gone; the status is already sent
}

// defaultTemplate is the built-in activation page: no script, no external
// asset, inline style only.
var defaultTemplate = template.Must(template.New("activate").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · {{.Product}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
.box{border:1px solid #ccc;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}.err{color:#a00}.ok{color:#070}
input{font-size:1.4rem;letter-spacing:.15em;text-transform:uppercase;width:11rem}button{font-size:1rem;margin-right:.5rem}
dt{font-weight:600}dd{margin:0 0 .5rem 0}</style></head><body>
<h1>{{.Title}}</h1>
{{with .Message}}<p class="ok" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="err" role="alert">{{.}}</p>{{end}}
{{if and .Request (eq .Request.Status "pending") (not .Message)}}
<div class="box">
<p><strong>Is this your device?</strong> Only continue if you started this sign-in yourself and the code below
matches the one your device shows.</p>
<dl><dt>Application</dt><dd>{{.Request.ServiceName}}</dd>
<dt>Organization</dt><dd>{{.Request.Organization}}</dd>
<dt>Requested</dt><dd>{{.Request.RequestedAt.UTC.Format "2006-01-02 15:04:05 MST"}}</dd>
{{with .Request.Scope}}<dt>Access requested</dt><dd>{{.}}</dd>{{end}}
<dt>Code</dt><dd>{{.Request.UserCode}}</dd></dl>
<form method="post" action="activate">
<input type="hidden" name="user_code" value="{{.Request.UserCode}}">
<input type="hidden" name="csrf" value="{{.CSRFToken}}">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
<p>You must be signed in to {{.Product}} to approve.</p>
</div>
{{else if not .Message}}
<form method="get" action="activate" class="box">
<label for="user_code">Enter the code shown on your device</label><br>
<input id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off" autocapitalize="characters" maxlength="16" required>
<button type="submit">Continue</button>
</form>
{{end}}
</body></html>
`))
