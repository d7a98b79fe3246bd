package i18n

// de is the German catalog.
var de = map[string]string{
	"page.signin":            "Anmelden",
	"page.crosssite.title":   "Anfrage abgelehnt",
	"page.crosssite":         "Dieses Formular wurde von einer anderen Website gesendet. Öffnen Sie den Link aus Ihrer E-Mail erneut.",
	"page.expired.title":     "Formular abgelaufen",
	"page.expired":           "Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Öffnen Sie den Link aus Ihrer E-Mail erneut.",
	"page.unsupported.title": "Nicht unterstützte Anfrage",
	"page.unsupported":       "Senden Sie das Formular dieser Seite ab.",
	"page.toolarge.title":    "Anfrage zu groß",
	"page.toolarge":          "Das gesendete Formular ist zu groß.",
	"page.badform.title":     "Ungültige Anfrage",
	"page.badform":           "Das gesendete Formular ist fehlerhaft.",
	"page.retry.title":       "Bitte später erneut versuchen",
	"page.failed":            "Die Seite konnte nicht angezeigt werden.",
	"page.incomplete.title":  "Unvollständiger Link",
	"page.incomplete":        "Dieser Link ist unvollständig: Ihm fehlt das Token.",
	"page.incomplete.hint":   "Öffnen Sie den Link aus Ihrer E-Mail erneut oder kopieren Sie die vollständige Adresse in den Browser.",
	"page.link.hint":         "Links funktionieren nur einmal und laufen ab. Fordern Sie in der Anwendung einen neuen an.",

	// Die Abmeldeseite (RP-initiated logout).
	"page.logout.confirm.title": "Abmelden?",
	"page.logout.confirm":       "Möchten Sie sich abmelden? Sie werden von allen Anwendungen abgemeldet, bei denen Sie sich in diesem Browser angemeldet haben.",
	"page.logout.button":        "Abmelden",
	"page.logout.done.title":    "Abgemeldet",
	"page.logout.done":          "Sie sind abgemeldet. Sie können dieses Fenster schließen.",

	"page.verify.title":        "Bestätigen Sie Ihre E-Mail-Adresse",
	"page.verify.hint":         "Bestätigen Sie, dass diese E-Mail-Adresse Ihnen gehört.",
	"page.verify.button":       "E-Mail-Adresse bestätigen",
	"page.verify.done.title":   "E-Mail-Adresse bestätigt",
	"page.verify.done":         "Ihre E-Mail-Adresse %s ist bestätigt. Sie können sich jetzt anmelden.",
	"page.verify.failed.title": "E-Mail-Adresse nicht bestätigt",
	// The hosted sign-in pages.
	"page.signin.title":      "Anmelden",
	"page.signin.email":      "E-Mail-Adresse",
	"page.signin.password":   "Passwort",
	"page.signin.button":     "Anmelden",
	"page.signin.or":         "Oder weiter mit:",
	"page.signin.forgot":     "Passwort vergessen?",
	"page.signin.new":        "Neu hier?",
	"page.signin.back":       "Zurück zur Anmeldung",
	"page.signin.unverified": "Öffnen Sie den Link in der E-Mail, die wir Ihnen gesendet haben, um Ihre Adresse zu bestätigen, und melden Sie sich dann an.",
	"page.signin.refused":    "Anmeldeanfrage abgelehnt",
	"page.signin.errorcode":  "Fehlercode: %s",
	"page.mfa.title":         "Zwei-Faktor-Authentifizierung",
	"page.mfa.code":          "Authentifizierungscode",
	"page.mfa.hint":          "Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Backup-Codes ein.",
	"page.mfa.button":        "Bestätigen",
	"page.signup.title":      "Konto erstellen",
	"page.signup.name":       "Name (optional)",
	"page.signup.confirm":    "Passwort bestätigen",
	"page.signup.button":     "Konto erstellen",
	"page.signup.have":       "Sie haben bereits ein Konto?",
	"page.signup.exists":     "Melden Sie sich stattdessen an, oder setzen Sie Ihr Passwort zurück, falls Sie es vergessen haben.",
	"page.signup.done.title": "Prüfen Sie Ihre E-Mails",
	"page.signup.done":       "Wir haben einen Bestätigungslink an %s gesendet.",
	"page.signup.done.hint":  "Öffnen Sie ihn, um Ihre Adresse zu bestätigen; er führt Sie zur Anmeldung hierher zurück.",
	"page.forgot.title":      "Passwort zurücksetzen",
	"page.forgot.hint":       "Geben Sie Ihre E-Mail-Adresse ein, und wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen.",
	"page.forgot.button":     "Link senden",
	"page.forgot.done":       "Falls ein Konto diese Adresse verwendet, ist ein Link zum Zurücksetzen des Passworts unterwegs.",
	"page.forgot.done.hint":  "Der Link führt Sie zur Anmeldung hierher zurück.",

	"page.reset.title":        "Neues Passwort wählen",
	"page.reset.password":     "Neues Passwort",
	"page.reset.confirm":      "Neues Passwort bestätigen",
	"page.reset.minlength":    "Mindestens %d Zeichen.",
	"page.reset.button":       "Neues Passwort speichern",
	"page.reset.mismatch":     "Die beiden Passwörter stimmen nicht überein.",
	"page.reset.done.title":   "Passwort geändert",
	"page.reset.done":         "Ihr Passwort wurde geändert und alle Sitzungen wurden abgemeldet. Melden Sie sich mit dem neuen Passwort an.",
	"page.reset.failed.title": "Passwort nicht geändert",

	"page.activate.title":             "Gerät aktivieren",
	"page.activate.already.approved":  "Dieser Code wurde bereits bestätigt.",
	"page.activate.already.denied":    "Dieser Code wurde bereits abgelehnt.",
	"page.activate.already.exchanged": "Dieser Code wurde bereits verwendet.",
	"page.activate.crosssite":         "Dieses Formular wurde von einer anderen Website gesendet. Öffnen Sie die Aktivierungsseite erneut.",
	"page.activate.expired":           "Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Öffnen Sie die Aktivierungsseite erneut.",
	"page.activate.badform":           "Das Formular konnte nicht gelesen werden.",
	"page.activate.signin":            "Sie müssen angemeldet sein, um ein Gerät zu bestätigen. Bestätigen Sie es auf der Webseite der Anwendung, auf der Sie angemeldet sind und die Ihre Anmeldung mit dem Code sendet; diese Seite allein sieht Ihre Anmeldung nicht.",
	"page.activate.approved":          "Gerät bestätigt. Sie können zu Ihrem Gerät zurückkehren.",
	"page.activate.denied":            "Anfrage abgelehnt. Das Gerät wird nicht angemeldet.",
	"page.activate.confirm":           "Ist das Ihr Gerät?",
	"page.activate.confirm.hint":      "Fahren Sie nur fort, wenn Sie diese Anmeldung selbst begonnen haben und der Code unten mit dem auf Ihrem Gerät übereinstimmt.",
	"page.activate.application":       "Anwendung",
	"page.activate.organization":      "Organisation",
	"page.activate.requested":         "Angefragt",
	"page.activate.scope":             "Angefragter Zugriff",
	"page.activate.code":              "Code",
	"page.activate.approve":           "Bestätigen",
	"page.activate.deny":              "Ablehnen",
	"page.activate.mustsignin":        "Zum Bestätigen müssen Sie bei %s angemeldet sein.",
	"page.activate.enter":             "Geben Sie den Code ein, den Ihr Gerät anzeigt",
	"page.activate.continue":          "Weiter",

	"email.verify_email.subject": "Bestätigen Sie Ihre E-Mail-Adresse für {{.ProductName}}",
	"email.verify_email.text": `Hallo{{if .Name}} {{.Name}}{{end}},

bestätigen Sie Ihre E-Mail-Adresse für {{.ProductName}}, indem Sie diesen Link öffnen:

{{.Link}}

Der Link läuft in {{.ExpiresIn}} ab. Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail.
`,
	"email.verify_email.html": `<p>Hallo{{if .Name}} {{.Name}}{{end}},</p>
<p>bestätigen Sie Ihre E-Mail-Adresse für {{.ProductName}}:</p>
<p><a href="{{.Link}}">E-Mail-Adresse bestätigen</a></p>
<p>Der Link läuft in {{.ExpiresIn}} ab. Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail.</p>
`,
	"email.reset_password.subject": "Setzen Sie Ihr Passwort für {{.ProductName}} zurück",
	"email.reset_password.text": `Hallo{{if .Name}} {{.Name}}{{end}},

jemand hat das Zurücksetzen des Passworts Ihres Kontos bei {{.ProductName}} angefordert. Um ein neues Passwort zu wählen, öffnen Sie:

{{.Link}}

Der Link läuft in {{.ExpiresIn}} ab. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.
`,
	"email.reset_password.html": `<p>Hallo{{if .Name}} {{.Name}}{{end}},</p>
<p>jemand hat das Zurücksetzen des Passworts Ihres Kontos bei {{.ProductName}} angefordert.</p>
<p><a href="{{.Link}}">Neues Passwort wählen</a></p>
<p>Der Link läuft in {{.ExpiresIn}} ab. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.</p>
`,
	"email.invitation.subject": "Einladung zu {{.OrgName}} bei {{.ProductName}}",
	"email.invitation.text": `Hallo,

{{if .InviterName}}{{.InviterName}} hat Sie eingeladen{{else}}Sie sind eingeladen{{end}}, {{.OrgName}} als {{.Role}} bei {{.ProductName}} beizutreten. Nehmen Sie die Einladung hier an:

{{.Link}}

Die Einladung läuft in {{.ExpiresIn}} ab.
`,
	"email.invitation.html": `<p>Hallo,</p>
<p>{{if .InviterName}}{{.InviterName}} hat Sie eingeladen{{else}}Sie sind eingeladen{{end}}, <strong>{{.OrgName}}</strong> als {{.Role}} bei {{.ProductName}} beizutreten.</p>
<p><a href="{{.Link}}">Einladung annehmen</a></p>
<p>Die Einladung läuft in {{.ExpiresIn}} ab.</p>
`,

	"email.webhook_disabled.subject": "%s: Webhook %q von %s wurde deaktiviert",
	"email.webhook_disabled.text": `Der Webhook %q (%s) der Organisation %s wurde deaktiviert, weil %s.

Ereignisse werden nicht mehr an ihn gesendet. Beheben Sie den Fehler beim Empfänger und aktivieren Sie den Webhook dann wieder; fehlgeschlagene Zustellungen lassen sich aus seinem Zustellprotokoll erneut senden.
`,
	"email.webhook_disabled.gone":    "er mit 410 Gone geantwortet hat",
	"email.webhook_disabled.failing": "seit %s jede Zustellung an ihn fehlgeschlagen ist",

	"duration.days":    "%d Tagen",
	"duration.hours":   "%d Stunden",
	"duration.hour":    "1 Stunde",
	"duration.minutes": "%d Minuten",

	// Social login (package oauth).
	"page.social.failed":           "Die Anmeldung beim Anbieter ist fehlgeschlagen",
	"page.social.linked":           "%s ist jetzt mit Ihrem Konto verknüpft. Sie können diese Seite schließen.",
	"page.social.done":             "Konto verknüpft",
	"page.social.confirm.title":    "E-Mail-Adresse bestätigen",
	"page.social.confirm.text":     "Bestätigen Sie, dass Sie sich mit dieser E-Mail-Adresse bei %s mit %s angemeldet haben. Waren Sie es nicht, schließen Sie diese Seite: Es ändert sich nichts.",
	"page.social.confirm.button":   "Bestätigen",
	"page.social.confirmed.title":  "E-Mail-Adresse bestätigt",
	"page.social.confirmed":        "Ihre E-Mail-Adresse ist bestätigt. Melden Sie sich erneut mit %s an.",
	"email.social_confirm.subject": "Bestätigen Sie Ihre E-Mail-Adresse für %s",
	"email.social_confirm.text": `Jemand hat sich bei %s mit %s von %s als %s angemeldet.

Waren Sie das, bestätigen Sie Ihre E-Mail-Adresse mit diesem Link und melden Sie sich dann erneut an:

%s

Der Link ist 24 Stunden gültig. Waren Sie es nicht, ignorieren Sie diese E-Mail: Mit Ihrer Adresse ist nichts verknüpft, und Sie können sich weiterhin selbst damit registrieren.
`,
}
