package authos

import (
	"net/http"

	"github.com/authos/authos/internal/i18n"
)

// requestLanguage is the catalog language for r: its Accept-Language, else
// Config.DefaultLanguage.
func (a *Authos) requestLanguage(r *http.Request) string {
	return i18n.Negotiate(r.Header.Get("Accept-Language"), a.cfg.DefaultLanguage)
}

// localMessage is e's public message in lang.
func (a *Authos) localMessage(lang string, e *Error) string {
	_ = lang
	return e.PublicMessage()
}
