package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/authos/authos"
)

// Default ports and timeout of an SMTP mailer.
const (
	// DefaultSubmissionPort is the message submission port, used with STARTTLS
	// (RFC 6409).
	DefaultSubmissionPort = 587
	// DefaultImplicitTLSPort is the submissions port, used with implicit TLS
	// (RFC 8314).
	DefaultImplicitTLSPort = 465
	// DefaultSMTPTimeout bounds connecting and the SMTP exchange when
	// SMTPConfig.Timeout is zero.
	DefaultSMTPTimeout = 30 * time.Second
)

// TLSPolicy says whether a connection that starts in plain text (smtp://)
// must be upgraded with STARTTLS (RFC 3207). It does not apply to implicit
// TLS. The zero value is TLSMandatory.
type TLSPolicy int

const (
	// TLSMandatory requires STARTTLS: Send fails, before any credentials or
	// mail are sent, if the server does not offer it or the handshake fails.
	TLSMandatory TLSPolicy = iota
	// TLSOpportunistic uses STARTTLS when the server offers it and plain text
	// otherwise. AUTH PLAIN and LOGIN, which reveal the password, are still
	// refused over plain text, except to localhost, 127.0.0.1 or ::1.
	TLSOpportunistic
	// TLSNone never uses STARTTLS. Meant for a local mail catcher.
	TLSNone
)

// String returns "mandatory", "opportunistic" or "none", the values of the
// tls= parameter of ParseSMTPURL.
func (p TLSPolicy) String() string {
	switch p {
	case TLSMandatory:
		return "mandatory"
	case TLSOpportunistic:
		return "opportunistic"
	case TLSNone:
		return "none"
	}
	return "TLSPolicy(" + strconv.Itoa(int(p)) + ")"
}

// parseTLSPolicy is the inverse of TLSPolicy.String.
func parseTLSPolicy(s string) (TLSPolicy, error) {
	switch strings.ToLower(s) {
	case "mandatory":
		return TLSMandatory, nil
	case "opportunistic":
		return TLSOpportunistic, nil
	case "none":
		return TLSNone, nil
	}
	return 0, fmt.Errorf("mailer: unknown TLS policy %q (want mandatory, opportunistic or none)", s)
}

// SMTPConfig configures an SMTP mailer. ParseSMTPURL builds one from a URL.
// Its String and LogValue methods hide the password.
type SMTPConfig struct {
	// Host is the server's host name or IP address (no port, no brackets).
	Host string
	// Port is the server's TCP port; 0 means DefaultImplicitTLSPort with
	// ImplicitTLS and DefaultSubmissionPort otherwise.
	Port int
	// Username and Password are the SMTP AUTH credentials; an empty
	// Username means no authentication. PLAIN or LOGIN is used when the
	// server offers it, else a challenge-response mechanism it offers.
	Username string
	Password string
	// From is the sender, as an RFC 5322 address such as
	// "Example <no-reply@example.com>"; it is used for the From header
	// field and the envelope sender (MAIL FROM).
	From string
	// ImplicitTLS makes the connection TLS from the first byte (smtps://,
	// RFC 8314); TLS is then ignored.
	ImplicitTLS bool
	// TLS is the STARTTLS policy of a plain-text connection; the zero value
	// is TLSMandatory.
	TLS TLSPolicy
	// Timeout bounds connecting and the exchange with the server; 0 means
	// DefaultSMTPTimeout. A sooner deadline on Send's context wins.
	Timeout time.Duration
}

// String returns the configuration as an smtp:// or smtps:// URL with the
// password replaced by "xxxxx", so a config can be logged safely.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		if c.Password != "" {
			u.User = url.UserPassword(c.Username, "xxxxx")
		} else {
			u.User = url.User(c.Username)
		}
	}
	q := url.Values{}
	if c.From != "" {
		q.Set("from", c.From)
	}
	if !c.ImplicitTLS {
		q.Set("tls", c.TLS.String())
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// LogValue implements slog.LogValuer with the redacted form of String.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// SMTP is an authos.Mailer that submits each message to an SMTP server. Each
// Send opens its own connection, so an SMTP is safe for concurrent use.
type SMTP struct {
	cfg SMTPConfig
	// tlsConfig replaces go-mail's default TLS configuration (system roots,
	// ServerName = Host, TLS 1.2 or later) when set; tests use it to trust a
	// self-signed certificate.
	tlsConfig *tls.Config
}

var _ authos.Mailer = (*SMTP)(nil)

// NewSMTP validates cfg, fills in the default port and timeout, and returns
// an SMTP mailer. It does not connect to the server.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	cfg.Host = strings.TrimSuffix(strings.TrimPrefix(cfg.Host, "["), "]")
	if cfg.Host == "" {
		return nil, errors.New("mailer: SMTP host is required")
	}
	if strings.ContainsAny(cfg.Host, "/@?# \t\r\n") {
		return nil, fmt.Errorf("mailer: invalid SMTP host %q", cfg.Host)
	}
	if strings.Contains(cfg.Host, ":") && net.ParseIP(cfg.Host) == nil {
		return nil, fmt.Errorf("mailer: invalid SMTP host %q (give the port in Port)", cfg.Host)
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultSubmissionPort
		if cfg.ImplicitTLS {
			cfg.Port = DefaultImplicitTLSPort
		}
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mailer: invalid SMTP port %d (want 1-65535)", cfg.Port)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, errors.New("mailer: SMTP password given without a user name")
	}
	if cfg.TLS < TLSMandatory || cfg.TLS > TLSNone {
		return nil, fmt.Errorf("mailer: invalid %v", cfg.TLS)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("mailer: negative SMTP timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	if err := checkFrom(cfg.From); err != nil {
		return nil, err
	}
	return &SMTP{cfg: cfg}, nil
}

// Config returns the configuration in use, defaults filled in. It includes
// the password; its String method does not.
func (s *SMTP) Config() SMTPConfig { return s.cfg }

// Send submits m to the server: MAIL FROM the configured sender, RCPT TO
// m.To, and the message as DATA. It returns nil only once the server has
// accepted the message. A CR or LF in m.To or m.Subject is rejected with
// ErrHeaderInjection before dialling. Returned errors never contain the
// password.
//
// ctx cancels connecting; its deadline, when sooner than the configured
// Timeout, bounds the whole exchange.
func (s *SMTP) Send(ctx context.Context, m authos.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := buildMsg(s.cfg.From, m)
	if err != nil {
		return err
	}
	timeout := s.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return context.DeadlineExceeded
		}
		timeout = min(timeout, left)
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(timeout),
	}
	if s.cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(goMailPolicy(s.cfg.TLS)))
	}
	if s.tlsConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.tlsConfig.Clone()))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			// PLAIN or LOGIN when offered (both refuse plain text except to
			// localhost); otherwise go-mail picks among the challenge-based
			// mechanisms the server offers.
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password),
		)
	}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return s.redact(fmt.Errorf("mailer: SMTP client for %s: %w", addr, err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return s.redact(fmt.Errorf("mailer: SMTP send via %s: %w", addr, err))
	}
	return nil
}

// goMailPolicy maps a TLSPolicy to go-mail's.
func goMailPolicy(p TLSPolicy) gomail.TLSPolicy {
	switch p {
	case TLSOpportunistic:
		return gomail.TLSOpportunistic
	case TLSNone:
		return gomail.NoTLS
	}
	return gomail.TLSMandatory
}

// redact returns err unchanged unless its text contains the password, in
// which case it returns a flat error with every occurrence masked.
func (s *SMTP) redact(err error) error {
	return redactSecret(err, s.cfg.Password)
}

// redactSecret masks secret in err's text, dropping the wrapped chain (which
// would still hold the secret) when it had to.
func redactSecret(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "xxxxx"))
}
