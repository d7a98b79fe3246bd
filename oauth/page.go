package oauth

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/page"
)

// pageData is what the social login page is executed with.
type pageData struct {
	Lang       string
	Product    string
	Title      string
	Stylesheet template.CSS
	Message    string
	Error      string
	Hint       string
	Form       *confirmForm
}

// confirmForm is the confirmation page's form: it posts to the page's own
// path (relative "confirm", so that it holds under a BaseURL with a path).
type confirmForm struct {
	Token, Button string
}

// T returns the catalog message key in the page's language.
func (d *pageData) T(key string, args ...any) string { return i18n.T(d.Lang, key, args...) }

const socialContent = `{{with .Message}}<p class="notice" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
{{with .Form}}<form method="post" action="confirm"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">{{.Button}}</button></form>{{end}}
`

// pages holds the parsed page and its stylesheet.
type pages struct {
	tmpl  *template.Template
	style page.Style
}

func newPages(a *authos.Authos) (*pages, error) {
	p := a.Config().Pages
	style, err := page.NewStyle(p.Stylesheet)
	if err != nil {
		return nil, err
	}
	t, err := page.Parse("social", p.Templates["layout"], socialContent)
	if err != nil {
		return nil, err
	}
	return &pages{tmpl: t, style: style}, nil
}

func (s *Service) pageData(r *http.Request) *pageData {
	cfg := s.a.Config()
	return &pageData{Lang: i18n.Negotiate(r.Header.Get("Accept-Language"), cfg.DefaultLanguage), Product: cfg.ProductName,
		Stylesheet: s.pages.style.CSS}
}

// errorPage shows err with its catalog code (support reads it off a
// screenshot) and the catalog's status for it (OAUTH_ERROR: 500, as the
// JSON API answers it).
func (s *Service) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := authos.AsError(err)
	status := e.Code.HTTPStatus()
	switch {
	case e.Code == authos.CodeOAuthError:
		// The provider failed, not this instance: a warning.
		s.a.Logger().Warn("oauth: provider login failed", "cause", errText(e))
	case status >= 500:
		s.a.Logger().Error("oauth: provider login failed", "error_code", string(e.Code), "cause", errText(e))
	}
	d := s.pageData(r)
	d.Title = d.T("page.social.failed")
	if d.Error = i18n.Error(d.Lang, string(e.Code), e.Message); d.Error == "" {
		d.Error = e.PublicMessage()
	}
	d.Hint = d.T("page.signin.errorcode", string(e.Code))
	s.render(w, status, d)
}

func errText(e *authos.Error) string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Message
}

func (s *Service) render(w http.ResponseWriter, status int, d *pageData) {
	var buf bytes.Buffer
	if err := s.pages.tmpl.Execute(&buf, d); err != nil {
		s.a.Logger().Error("oauth: page template", "cause", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>" + template.HTMLEscapeString(d.T("page.failed")) + "</p>")
	}
	page.SetHeaders(w.Header(), s.pages.style)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a write error means the client is gone
}
