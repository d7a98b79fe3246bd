package authos

import (
	"context"
	"net/http"

	"github.com/authos/authos/internal/i18n"
)

type languageKey struct{}

// WithLanguage returns ctx carrying lang ("de", "de-AT", ...) as the
// language of the emails a Go call with ctx sends. Handler sets it from
// each request's Accept-Language; a host calling the Go API sets it
// itself. A language the catalog lacks is ignored.
func WithLanguage(ctx context.Context, lang string) context.Context {
	if lang = i18n.Normalize(lang); lang == "" {
		return ctx
	}
	return context.WithValue(ctx, languageKey{}, lang)
}

// language is the catalog language of ctx, else Config.DefaultLanguage.
func (a *Authos) language(ctx context.Context) string {
	if lang, ok := ctx.Value(languageKey{}).(string); ok {
		return lang
	}
	return a.cfg.DefaultLanguage
}

// requestLanguage is the catalog language for r: its Accept-Language, else
// Config.DefaultLanguage.
func (a *Authos) requestLanguage(r *http.Request) string {
	return i18n.Negotiate(r.Header.Get("Accept-Language"), a.cfg.DefaultLanguage)
}

// withRequestLanguage puts the request's language in its context, so that
// the emails a request causes are written in it.
func (a *Authos) withRequestLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), languageKey{}, a.requestLanguage(r))))
	})
}

// localMessage is e's public message in lang (the English one when lang
// has no translation of it).
func localMessage(lang string, e *Error) string {
	if s := i18n.Error(lang, string(e.Code), e.Message); s != "" {
		return s
	}
	return e.PublicMessage()
}
