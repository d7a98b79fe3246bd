package authos

import (
	"fmt"
	htmltemplate "html/template"
	"math"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/authos/authos/internal/i18n"
)

// Email template names: the keys of Config.Templates.
const (
	templateVerifyEmail   = "verify_email"
	templateResetPassword = "reset_password"
	templateInvitation    = "invitation"
)

// EmailTemplate is one email as Go templates: Subject and Text use
// text/template, HTML uses html/template (escaped). Each executes with
// EmailData.
type EmailTemplate struct {
	Subject string
	Text    string
	HTML    string
}

// EmailData is what templates can use.
type EmailData struct {
	ProductName string
	Email       string
	Name        string
	Link        string // the one-time link
	ExpiresIn   string // e.g. "24 hours"
	OrgName     string // invitations
	InviterName string // invitations
	Role        string // invitations
}

// templateNames are the emails authos sends.
var templateNames = []string{templateVerifyEmail, templateResetPassword, templateInvitation}

// defaultTemplate is the built-in email name in lang, from the catalog.
func defaultTemplate(lang, name string) EmailTemplate {
	k := "email." + name + "."
	return EmailTemplate{Subject: i18n.T(lang, k+"subject"), Text: i18n.T(lang, k+"text"), HTML: i18n.T(lang, k+"html")}
}

type emailTemplate struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

// parseTemplates parses the emails of every language: the catalog's, or
// the host's overrides (by "name.lang" for one language, by "name" for
// every language).
func parseTemplates(overrides map[string]EmailTemplate) (map[string]map[string]*emailTemplate, error) {
	known := map[string]bool{}
	out := map[string]map[string]*emailTemplate{}
	for _, lang := range i18n.Languages() {
		out[lang] = map[string]*emailTemplate{}
		for _, name := range templateNames {
			known[name], known[name+"."+lang] = true, true
			t, ok := overrides[name+"."+lang]
			if !ok {
				if t, ok = overrides[name]; !ok {
					t = defaultTemplate(lang, name)
				}
			}
			et, err := parseTemplate(name, t)
			if err != nil {
				return nil, err
			}
			out[lang][name] = et
		}
	}
	for name := range overrides {
		if !known[name] {
			return nil, fmt.Errorf("authos: unknown email template %q", name)
		}
	}
	return out, nil
}

func parseTemplate(name string, t EmailTemplate) (*emailTemplate, error) {
	var et emailTemplate
	var err error
	if et.subject, err = texttemplate.New(name + ".subject").Option("missingkey=error").Parse(t.Subject); err != nil {
		return nil, fmt.Errorf("authos: email template %s subject: %w", name, err)
	}
	if et.text, err = texttemplate.New(name + ".text").Option("missingkey=error").Parse(t.Text); err != nil {
		return nil, fmt.Errorf("authos: email template %s text: %w", name, err)
	}
	if t.HTML != "" {
		if et.html, err = htmltemplate.New(name + ".html").Option("missingkey=error").Parse(t.HTML); err != nil {
			return nil, fmt.Errorf("authos: email template %s html: %w", name, err)
		}
	}
	return &et, nil
}

func (a *Authos) renderEmail(lang, name, to string, data EmailData) (Message, error) {
	t, ok := a.templates[lang][name]
	if !ok {
		return Message{}, fmt.Errorf("authos: no email template %q", name)
	}
	if data.ProductName == "" {
		data.ProductName = a.cfg.ProductName
	}
	if data.Email == "" {
		data.Email = to
	}
	var subj, text, html strings.Builder
	if err := t.subject.Execute(&subj, data); err != nil {
		return Message{}, WrapError(CodeInternalServerError, "", err)
	}
	if err := t.text.Execute(&text, data); err != nil {
		return Message{}, WrapError(CodeInternalServerError, "", err)
	}
	if t.html != nil {
		if err := t.html.Execute(&html, data); err != nil {
			return Message{}, WrapError(CodeInternalServerError, "", err)
		}
	}
	// A subject is one header line.
	subject := strings.Join(strings.Fields(subj.String()), " ")
	return Message{To: to, Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

// humanDuration renders a link lifetime for an email in lang ("24 hours").
func humanDuration(lang string, d time.Duration) string {
	h := d.Hours()
	switch {
	case h >= 48:
		return i18n.T(lang, "duration.days", int(math.Round(h/24)))
	case h >= 2:
		return i18n.T(lang, "duration.hours", int(math.Round(h)))
	case h >= 1:
		return i18n.T(lang, "duration.hour")
	default:
		return i18n.T(lang, "duration.minutes", int(math.Round(h*60)))
	}
}
