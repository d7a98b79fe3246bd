package mailer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/authos/authos"
)

// ErrHeaderInjection is returned (wrapped) by Send when the recipient or the
// subject of a message contains CR or LF, which could smuggle extra header
// fields or SMTP commands into the message.
var ErrHeaderInjection = errors.New("mailer: CR or LF in a header field")

// hasCRLF reports whether s contains a carriage return or a line feed.
func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

// checkFrom validates a sender address from configuration.
func checkFrom(from string) error {
	if from == "" {
		return errors.New("mailer: sender address (From) is required")
	}
	if hasCRLF(from) {
		return fmt.Errorf("%w: From", ErrHeaderInjection)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return fmt.Errorf("mailer: invalid sender address %q: %v", from, err)
	}
	return nil
}

// buildMsg turns m into a go-mail message from the given sender. The body is
// text/plain, with a text/html alternative when m.HTML is set.
func buildMsg(from string, m authos.Message) (*gomail.Msg, error) {
	if hasCRLF(m.To) {
		return nil, fmt.Errorf("%w: To", ErrHeaderInjection)
	}
	if hasCRLF(m.Subject) {
		return nil, fmt.Errorf("%w: Subject", ErrHeaderInjection)
	}
	if strings.TrimSpace(m.To) == "" {
		return nil, errors.New("mailer: message has no recipient")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mailer: invalid sender address %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mailer: invalid recipient address %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(newMessageID(from))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// newMessageID returns a random Message-ID (RFC 5322 §3.6.4), without angle
// brackets, whose right-hand side is the domain of the sender address rather
// than the local host name, which would leak into every message.
func newMessageID(from string) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			domain = a.Address[i+1:]
		}
	}
	return randomHex(16) + "@" + domain
}

// randomHex returns n random bytes from crypto/rand, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}
