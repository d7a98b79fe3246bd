package authos

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// Email template names.
const (
	TemplateVerifyEmail   = "verify_email"
	TemplateResetPassword = "reset_password"
	TemplateInvitation    = "invitation"
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

var defaultTemplates = map[string]EmailTemplate{
	TemplateVerifyEmail: {
		Subject: "Verify your email for {{.ProductName}}",
		Text: `Hello{{if .Name}} {{.Name}}{{end}},

Confirm your email address for {{.ProductName}} by opening this link:

{{.Link}}

The link expires in {{.ExpiresIn}}. If you did not sign up, ignore this email.
`,
		HTML: `<p>Hello{{if .Name}} {{.Name}}{{end}},</p>
<p>Confirm your email address for {{.ProductName}}:</p>
<p><a href="{{.Link}}">Verify my email</a></p>
<p>The link expires in {{.ExpiresIn}}. If you did not sign up, ignore this email.</p>
`,
	},
	TemplateResetPassword: {
		Subject: "Reset your {{.ProductName}} password",
		Text: `Hello{{if .Name}} {{.Name}}{{end}},

Someone asked to reset the password of your {{.ProductName}} account. To choose a new password, open:

{{.Link}}

The link expires in {{.ExpiresIn}}. If you did not ask for this, ignore this email; your password stays the same.
`,
		HTML: `<p>Hello{{if .Name}} {{.Name}}{{end}},</p>
<p>Someone asked to reset the password of your {{.ProductName}} account.</p>
<p><a href="{{.Link}}">Choose a new password</a></p>
<p>The link expires in {{.ExpiresIn}}. If you did not ask for this, ignore this email; your password stays the same.</p>
`,
	},
	TemplateInvitation: {
		Subject: "You are invited to {{.OrgName}} on {{.ProductName}}",
		Text: `Hello,

{{if .InviterName}}{{.InviterName}} invited you{{else}}You are invited{{end}} to join {{.OrgName}} as {{.Role}} on {{.ProductName}}. Accept the invitation here:

{{.Link}}

The invitation expires in {{.ExpiresIn}}.
`,
		HTML: `<p>Hello,</p>
<p>{{if .InviterName}}{{.InviterName}} invited you{{else}}You are invited{{end}} to join <strong>{{.OrgName}}</strong> as {{.Role}} on {{.ProductName}}.</p>
<p><a href="{{.Link}}">Accept the invitation</a></p>
<p>The invitation expires in {{.ExpiresIn}}.</p>
`,
	},
}

type emailTemplate struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

// parseTemplates parses the defaults with the host's overrides on top.
func parseTemplates(overrides map[string]EmailTemplate) (map[string]*emailTemplate, error) {
	out := map[string]*emailTemplate{}
	for name, def := range defaultTemplates {
		t := def
		if o, ok := overrides[name]; ok {
			t = o
		}
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
		out[name] = &et
	}
	for name := range overrides {
		if _, ok := defaultTemplates[name]; !ok {
			return nil, fmt.Errorf("authos: unknown email template %q", name)
		}
	}
	return out, nil
}

// RenderEmail renders the named template for to.
func (a *Authos) RenderEmail(name, to string, data EmailData) (Message, error) {
	return a.renderEmail(name, to, data)
}

func (a *Authos) renderEmail(name, to string, data EmailData) (Message, error) {
	t, ok := a.templates[name]
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

// humanDuration renders a link lifetime for an email ("24 hours").
func humanDuration(d time.Duration) string {
	h := d.Hours()
	switch {
	case h >= 48:
		return fmt.Sprintf("%.0f days", h/24)
	case h >= 2:
		return fmt.Sprintf("%.0f hours", h)
	case h >= 1:
		return "1 hour"
	default:
		return fmt.Sprintf("%.0f minutes", h*60)
	}
}
