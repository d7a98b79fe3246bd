package mailer

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseSMTPURL parses an SMTP server URL into an SMTPConfig:
//
//	smtp://user:pass@host:port?from=no-reply%40example.com&tls=mandatory
//	smtps://user:pass@host:port?from=no-reply%40example.com
//
// smtp:// connects in plain text and upgrades with STARTTLS; its port
// defaults to 587 and its TLS policy to mandatory, except for localhost, a
// *.localhost name or a loopback IP address, where it defaults to
// opportunistic so that a local mail catcher without TLS works. smtps://
// uses implicit TLS and port 465 by default. The user name and password are
// percent-decoded. Query parameters: from (the sender address, see
// SMTPConfig.From) and tls (mandatory, opportunistic or none; smtp:// only).
//
// Errors never contain the password. The result is not validated further:
// NewSMTP does that (a missing from is reported there).
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var cfg SMTPConfig
	u, err := url.Parse(raw)
	if err != nil {
		// Neither url.Parse's error nor any part of raw is echoed: both can
		// hold (parts of) the password.
		const hint = "percent-encode any of @ : / ? # % in the user name or password"
		var uerr *url.Error
		if errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "invalid port") {
			return cfg, errors.New("mailer: malformed SMTP URL: invalid port (want 1-65535; " + hint + ")")
		}
		return cfg, errors.New("mailer: malformed SMTP URL (" + hint + ")")
	}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
	case "smtps":
		cfg.ImplicitTLS = true
	case "":
		return cfg, errors.New("mailer: SMTP URL has no scheme (want smtp:// or smtps://)")
	default:
		return cfg, fmt.Errorf("mailer: unsupported SMTP URL scheme %q (want smtp or smtps)", u.Scheme)
	}
	if u.Opaque != "" {
		return cfg, errors.New("mailer: SMTP URL must have the form smtp://host (missing //)")
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return cfg, errors.New("mailer: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return cfg, fmt.Errorf("mailer: SMTP URL has an invalid port %q (want 1-65535)", p)
		}
		cfg.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return cfg, errors.New("mailer: SMTP URL has an empty port")
	}
	if u.Path != "" && u.Path != "/" {
		return cfg, errors.New("mailer: SMTP URL must not have a path")
	}
	if u.Fragment != "" {
		return cfg, errors.New("mailer: SMTP URL must not have a fragment")
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		if cfg.Username == "" && cfg.Password != "" {
			return cfg, errors.New("mailer: SMTP URL has a password but no user name")
		}
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, errors.New("mailer: SMTP URL has a malformed query")
	}
	if cfg.ImplicitTLS {
		cfg.TLS = TLSMandatory
	} else if isLoopbackHost(cfg.Host) {
		cfg.TLS = TLSOpportunistic
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return cfg, fmt.Errorf("mailer: SMTP URL parameter %q given %d times", key, len(vals))
		}
		v := vals[0]
		switch key {
		case "from":
			if err := checkFrom(v); err != nil {
				return cfg, err
			}
			cfg.From = v
		case "tls":
			p, err := parseTLSPolicy(v)
			if err != nil {
				return cfg, err
			}
			if cfg.ImplicitTLS && p != TLSMandatory {
				return cfg, fmt.Errorf("mailer: tls=%s does not apply to smtps:// (always TLS); use smtp://", p)
			}
			cfg.TLS = p
		default:
			return cfg, fmt.Errorf("mailer: unknown SMTP URL parameter %q (want from or tls)", key)
		}
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultSubmissionPort
		if cfg.ImplicitTLS {
			cfg.Port = DefaultImplicitTLSPort
		}
	}
	return cfg, nil
}

// isLoopbackHost reports whether host is localhost, a *.localhost name
// (RFC 6761 §6.3) or a loopback IP address.
func isLoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
