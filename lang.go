package authos

import (
	"context"
	"net/http"
	"slices"

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
	switch v := ctx.Value(languageKey{}).(type) {
	case string:
		return v
	case *requestCtx:
		return v.a.negotiate(v.acceptLanguage)
	}
	return a.cfg.DefaultLanguage
}

// requestLanguage is the catalog language for r: its Accept-Language, else
// Config.DefaultLanguage.
func (a *Authos) requestLanguage(r *http.Request) string {
	return a.negotiate(r.Header.Get("Accept-Language"))
}

// negotiate is the catalog language for an Accept-Language value, else
// Config.DefaultLanguage.
func (a *Authos) negotiate(acceptLanguage string) string {
	return i18n.Negotiate(acceptLanguage, a.cfg.DefaultLanguage)
}

// withRequestContext gives each request the context that carries its
// language, so that the emails a request causes are written in it, and its
// client address (clientIPFrom), for throttling.
func (a *Authos) withRequestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := &requestCtx{Context: r.Context(), a: a, acceptLanguage: r.Header.Get("Accept-Language"),
			remoteAddr: r.RemoteAddr, forwardedFor: slices.Clone(r.Header.Values("X-Forwarded-For"))}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requestCtx is the context of a request Handler serves. It answers the
// request's language (languageKey) and client address (clientIPKey) from
// the request's headers when asked, rather than working both out, and
// putting each in a context of its own, for every request: most requests
// need neither. What it holds is copied from the request, so that it reads
// the same from any goroutine.
type requestCtx struct {
	context.Context
	a              *Authos
	acceptLanguage string
	remoteAddr     string
	forwardedFor   []string
}

// Value answers languageKey and clientIPKey with c itself (see language
// and clientIPFrom), and every other key from the request's context.
func (c *requestCtx) Value(key any) any {
	switch key.(type) {
	case languageKey, clientIPKey:
		return c
	}
	return c.Context.Value(key)
}

// localMessage is e's public message in lang (the English one when lang
// has no translation of it).
func localMessage(lang string, e *Error) string {
	if s := i18n.Error(lang, string(e.Code), e.Message); s != "" {
		return s
	}
	return e.PublicMessage()
}
