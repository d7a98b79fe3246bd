package authos

import "context"

// Message is one email, already rendered.
type Message struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
}

// Mailer delivers email. Implementations must be safe for concurrent use. A
// returned error makes the outbox worker retry the message later with
// backoff; Send should therefore not report success before the message is
// handed over. Implementations: package mailer (SMTP, a mailbox directory of
// .eml files, and a logging mailer).
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// MailerFunc adapts a function to Mailer.
type MailerFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
