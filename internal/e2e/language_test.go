package e2e_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/page"
)

// With Accept-Language: de, the emails a request causes, both account
// pages and the error answers are German; the error codes stay the same.
func TestGermanEmailsPagesAndErrors(t *testing.T) {
	h := pageHarness(t, nil)
	css := page.DefaultStylesheet
	de := map[string]string{"Accept-Language": "de"}

	// Error answers.
	r := h.doWith("POST", "/api/auth/register", de, map[string]string{"email": "not-an-email", "password": pagePass})
	if h.wantError(r, 400, authos.CodeInvalidEmail); r.str("error") != "Ungültiges E-Mail-Format" {
		t.Errorf("INVALID_EMAIL in German: %q", r.str("error"))
	}
	r = h.doWith("POST", "/api/auth/register", de, map[string]string{"email": pageEmail, "password": "short"})
	if h.wantError(r, 400, authos.CodeWeakPassword); r.str("error") != "Das Passwort muss mindestens 8 Zeichen lang sein" {
		t.Errorf("WEAK_PASSWORD in German: %q", r.str("error"))
	}
	r = h.doWith("POST", "/api/auth/register", de, `{"email": 5}`)
	if h.wantError(r, 400, authos.CodeBadRequest); r.str("error") != "Das Feld email hat den falschen Typ" {
		t.Errorf("BAD_REQUEST in German: %q", r.str("error"))
	}
	r = h.doWith("GET", "/api/nowhere", de, nil)
	if h.wantError(r, 404, authos.CodeNotFound); r.str("error") != "Diese Route gibt es nicht" {
		t.Errorf("NOT_FOUND in German: %q", r.str("error"))
	}
	r = h.doWith("GET", "/api/user", de, nil)
	if h.wantError(r, 401, authos.CodeUnauthorized); r.str("error") != "Anmeldung erforderlich" {
		t.Errorf("UNAUTHORIZED in German: %q", r.str("error"))
	}

	// The verification email and page.
	h.wantOK(h.doWith("POST", "/api/auth/register", de, map[string]string{"email": pageEmail, "password": pagePass}), 201)
	m, _ := h.mail(pageEmail, "Bestätigen Sie Ihre E-Mail-Adresse für authos")
	for _, want := range []string{"Hallo,", "bestätigen Sie Ihre E-Mail-Adresse", "Der Link läuft in 24 Stunden ab."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("German verification email lacks %q:\n%s", want, m.Text)
		}
	}
	r = h.doWith("POST", "/api/auth/login", de, map[string]string{"email": pageEmail, "password": pagePass + "x"})
	if h.wantError(r, 401, authos.CodeInvalidCredentials); r.str("error") != "E-Mail-Adresse oder Passwort ist falsch" {
		t.Errorf("INVALID_CREDENTIALS in German: %q", r.str("error"))
	}
	r = h.doWith("POST", "/api/auth/login", nil, map[string]string{"email": pageEmail, "password": pagePass + "x"})
	if h.wantError(r, 401, authos.CodeInvalidCredentials); r.str("error") != "Invalid email or password" {
		t.Errorf("INVALID_CREDENTIALS without Accept-Language: %q", r.str("error"))
	}
	b := newBrowser(t, h, h.srv.URL)
	b.lang = "de-DE, en;q=0.5"
	p := b.get(linkRE.FindString(m.Text))
	checkPage(t, "German verify page", p, 200, css, `<html lang="de">`, "Bestätigen Sie Ihre E-Mail-Adresse · authos",
		"E-Mail-Adresse bestätigen</button>")
	p = b.post("/verify-email", p.fields(t), nil)
	checkPage(t, "German verify done", p, 200, css, "E-Mail-Adresse bestätigt", "ist bestätigt", ">Anmelden</a>")
	p = b.post("/verify-email", url.Values{"token": {"used"}, "csrf": {"x"}}, nil)
	checkPage(t, "German CSRF refusal", p, 403, css, "Dieses Formular ist abgelaufen")

	// The reset email (sent later by the outbox worker: the request's
	// language is stored with it) and page.
	h.wantOK(h.doWith("POST", "/api/auth/forgot-password", map[string]string{"Accept-Language": "fr;q=0.9, de;q=0.8"},
		map[string]string{"email": pageEmail}), 202)
	m, _ = h.mail(pageEmail, "Setzen Sie Ihr Passwort für authos zurück")
	if !strings.Contains(m.Text, "Der Link läuft in 1 Stunde ab.") || !strings.Contains(m.HTML, "Neues Passwort wählen</a>") {
		t.Errorf("German reset email:\n%s\n%s", m.Text, m.HTML)
	}
	p = b.get(linkRE.FindString(m.Text))
	checkPage(t, "German reset page", p, 200, css, `<label for="password">Neues Passwort</label>`,
		`<label for="confirm">Neues Passwort bestätigen</label>`, "Mindestens 8 Zeichen.", "Neues Passwort speichern")
	form := p.fields(t)
	form.Set("password", "password")
	form.Set("confirm", "password")
	p = b.post("/reset-password", form, nil)
	checkPage(t, "German weak password", p, 400, css, "Das Passwort ist zu verbreitet")
	form = p.fields(t)
	form.Set("password", "zweiundvierzig Äpfel")
	form.Set("confirm", "zweiundvierzig Äpfel!")
	p = b.post("/reset-password", form, nil)
	checkPage(t, "German mismatch", p, 400, css, "Die beiden Passwörter stimmen nicht überein.")
	form = p.fields(t)
	form.Set("password", "zweiundvierzig Äpfel")
	form.Set("confirm", "zweiundvierzig Äpfel")
	checkPage(t, "German reset done", b.post("/reset-password", form, nil), 200, css, "Passwort geändert", ">Anmelden</a>")
	checkPage(t, "German used link", b.post("/reset-password", form, nil), 400, css,
		"Das Token ist ungültig, abgelaufen oder wurde bereits verwendet", "Links funktionieren nur einmal")
	h.wantOK(h.login(pageEmail, "zweiundvierzig Äpfel"), 200)
}

// Config.DefaultLanguage applies when the request names no language authos
// has; a request's own language still wins.
func TestDefaultLanguage(t *testing.T) {
	h := pageHarness(t, func(c *authos.Config) { c.DefaultLanguage = "de" })
	h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": pageEmail, "password": pagePass}), 201)
	h.mail(pageEmail, "Bestätigen Sie")
	h.wantOK(h.doWith("POST", "/api/auth/resend-verification", map[string]string{"Accept-Language": "fr, en;q=0.1"},
		map[string]string{"email": pageEmail}), 202)
	h.mail(pageEmail, "Verify your email for authos")
	r := h.doWith("POST", "/api/auth/login", map[string]string{"Accept-Language": "fr"}, map[string]string{"email": pageEmail, "password": "wrong password"})
	if h.wantError(r, 401, authos.CodeInvalidCredentials); r.str("error") != "E-Mail-Adresse oder Passwort ist falsch" {
		t.Errorf("INVALID_CREDENTIALS with DefaultLanguage de: %q", r.str("error"))
	}
	b := newBrowser(t, h, h.srv.URL)
	checkPage(t, "default German page", b.get(h.srv.URL+"/verify-email"), 400, page.DefaultStylesheet, `<html lang="de">`, "Unvollständiger Link")
	b.lang = "en"
	checkPage(t, "English page", b.get(h.srv.URL+"/verify-email"), 400, page.DefaultStylesheet, `<html lang="en">`, "Incomplete link")

	if _, err := authos.New(t.Context(), authos.Config{Store: h.a.Store(), Keyring: h.a.Keyring(), DefaultLanguage: "fr"}); err == nil {
		t.Error("New accepted DefaultLanguage fr, which the catalog lacks")
	}
}
