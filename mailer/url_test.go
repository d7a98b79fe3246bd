package mailer

import (
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	good := []struct {
		raw  string
		want SMTPConfig
	}{
		{"smtp://smtp.example.com",
			SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: TLSMandatory}},
		{"smtp://user:pass@smtp.example.com:2525",
			SMTPConfig{Host: "smtp.example.com", Port: 2525, Username: "user", Password: "pass", TLS: TLSMandatory}},
		{"SMTP://smtp.example.com/",
			SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: TLSMandatory}},
		{"smtps://user:pass@smtp.example.com",
			SMTPConfig{Host: "smtp.example.com", Port: 465, Username: "user", Password: "pass", ImplicitTLS: true}},
		{"smtps://smtp.example.com:4650?tls=mandatory",
			SMTPConfig{Host: "smtp.example.com", Port: 4650, ImplicitTLS: true}},
		{"smtp://apikey:p%40ss%3Aw%2Fo%23rd%3F@smtp.example.com:587",
			SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "apikey", Password: "p@ss:w/o#rd?", TLS: TLSMandatory}},
		{"smtp://me%40example.com:pw@smtp.example.com",
			SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "me@example.com", Password: "pw", TLS: TLSMandatory}},
		{"smtp://smtp.example.com?from=no-reply%40example.com",
			SMTPConfig{Host: "smtp.example.com", Port: 587, From: "no-reply@example.com", TLS: TLSMandatory}},
		{"smtp://smtp.example.com?from=Authos+%3Cno-reply%40example.com%3E&tls=opportunistic",
			SMTPConfig{Host: "smtp.example.com", Port: 587, From: "Authos <no-reply@example.com>", TLS: TLSOpportunistic}},
		{"smtp://smtp.example.com?tls=none",
			SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: TLSNone}},
		{"smtp://smtp.example.com?tls=MANDATORY",
			SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: TLSMandatory}},
		// Loopback: opportunistic by default, so a local catcher works.
		{"smtp://localhost:1025",
			SMTPConfig{Host: "localhost", Port: 1025, TLS: TLSOpportunistic}},
		{"smtp://LOCALHOST:1025",
			SMTPConfig{Host: "LOCALHOST", Port: 1025, TLS: TLSOpportunistic}},
		{"smtp://mailpit.localhost:1025",
			SMTPConfig{Host: "mailpit.localhost", Port: 1025, TLS: TLSOpportunistic}},
		{"smtp://127.0.0.1:1025",
			SMTPConfig{Host: "127.0.0.1", Port: 1025, TLS: TLSOpportunistic}},
		{"smtp://127.1.2.3:1025",
			SMTPConfig{Host: "127.1.2.3", Port: 1025, TLS: TLSOpportunistic}},
		{"smtp://[::1]:1025",
			SMTPConfig{Host: "::1", Port: 1025, TLS: TLSOpportunistic}},
		{"smtp://localhost:1025?tls=mandatory",
			SMTPConfig{Host: "localhost", Port: 1025, TLS: TLSMandatory}},
		{"smtp://[2001:db8::1]",
			SMTPConfig{Host: "2001:db8::1", Port: 587, TLS: TLSMandatory}},
		// Not loopback, despite the look.
		{"smtp://localhost.example.com",
			SMTPConfig{Host: "localhost.example.com", Port: 587, TLS: TLSMandatory}},
		{"smtp://10.0.0.1",
			SMTPConfig{Host: "10.0.0.1", Port: 587, TLS: TLSMandatory}},
	}
	for _, tt := range good {
		got, err := ParseSMTPURL(tt.raw)
		if err != nil {
			t.Errorf("ParseSMTPURL(%q): got error %v; want %+v", tt.raw, err, tt.want)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSMTPURL(%q):\ngot  %#v\nwant %#v", tt.raw, got, tt.want)
		}
	}

	const pw = "Hunter2-secret"
	bad := []struct {
		raw, wantErr string
	}{
		{"", "no scheme"},
		{"smtp.example.com:587", "scheme"},
		{"http://u:" + pw + "@smtp.example.com", "unsupported SMTP URL scheme"},
		{"smtp+tls://u:" + pw + "@smtp.example.com", "unsupported SMTP URL scheme"},
		{"smtp:smtp.example.com", "missing //"},
		{"smtp://u:" + pw + "@", "no host"},
		{"smtp://u:" + pw + "@:25", "no host"},
		{"smtp://u:" + pw + "@smtp.example.com:0", "invalid port"},
		{"smtp://u:" + pw + "@smtp.example.com:65536", "invalid port"},
		{"smtp://u:" + pw + "@smtp.example.com:99999999999999999999", "invalid port"},
		{"smtp://u:" + pw + "@smtp.example.com:abc", "invalid port"},
		{"smtp://u:" + pw + "@smtp.example.com:-1", "invalid port"},
		{"smtp://u:" + pw + "@smtp.example.com:", "empty port"},
		{"smtp://u:" + pw + "@smtp.example.com/path", "path"},
		{"smtp://u:" + pw + "@smtp.example.com#frag", "fragment"},
		{"smtp://:" + pw + "@smtp.example.com", "no user name"},
		{"smtp://u:" + pw + "@smtp.example.com?tls=maybe", "unknown TLS policy"},
		{"smtps://u:" + pw + "@smtp.example.com?tls=none", "does not apply"},
		{"smtp://u:" + pw + "@smtp.example.com?from=not-an-address", "invalid sender"},
		{"smtp://u:" + pw + "@smtp.example.com?from=a%40example.com%0D%0ABcc:b%40example.com", "CR or LF"},
		{"smtp://u:" + pw + "@smtp.example.com?from=a%40example.com&from=b%40example.com", "given 2 times"},
		{"smtp://u:" + pw + "@smtp.example.com?password=x", "unknown SMTP URL parameter"},
		{"smtp://u:" + pw + "@smtp.example.com?tls=%zz", "malformed query"},
		// The password is not percent-encoded: url.Parse fails, and its error
		// would quote part of the password.
		{"smtp://u:" + pw + "#x@smtp.example.com", "malformed SMTP URL"},
		{"smtp://u:" + pw + "/x@smtp.example.com", "malformed SMTP URL"},
		{"smtp://u:" + pw + "%zz@smtp.example.com", "malformed SMTP URL"},
		{"smtp://u:" + pw + " @smtp.example.com", "malformed SMTP URL"},
		{"smtp://u:" + pw + "\n@smtp.example.com", "malformed SMTP URL"},
		{"smtp://u:" + pw + "@smtp.example.com:25\x7f", "malformed SMTP URL"},
	}
	for _, tt := range bad {
		_, err := ParseSMTPURL(tt.raw)
		if err == nil {
			t.Errorf("ParseSMTPURL(%q): got nil error; want one containing %q", tt.raw, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseSMTPURL(%q): got error %q; want one containing %q", tt.raw, err, tt.wantErr)
		}
		// No fragment of the password either (url.Parse quotes the text
		// after the last ':' as a port).
		for _, frag := range []string{pw, pw[:6], pw[7:]} {
			if strings.Contains(err.Error(), frag) {
				t.Errorf("ParseSMTPURL(%q): error %q contains password fragment %q", tt.raw, err, frag)
			}
		}
	}
}

func TestParseSMTPURLThenNewSMTP(t *testing.T) {
	cfg, err := ParseSMTPURL("smtp://user:pass@localhost:1025?from=no-reply%40example.com")
	if err != nil {
		t.Fatalf("ParseSMTPURL: %v", err)
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	if got := s.Config(); got.Port != 1025 || got.TLS != TLSOpportunistic || got.From != "no-reply@example.com" {
		t.Errorf("Config(): got %+v; want port 1025, opportunistic TLS, from no-reply@example.com", got)
	}

	cfg, err = ParseSMTPURL("smtp://smtp.example.com")
	if err != nil {
		t.Fatalf("ParseSMTPURL: %v", err)
	}
	if _, err := NewSMTP(cfg); err == nil || !strings.Contains(err.Error(), "From") {
		t.Errorf("NewSMTP without from: got %v; want an error about From", err)
	}
}

func TestTLSPolicyString(t *testing.T) {
	for _, p := range []TLSPolicy{TLSMandatory, TLSOpportunistic, TLSNone} {
		got, err := parseTLSPolicy(p.String())
		if err != nil || got != p {
			t.Errorf("parseTLSPolicy(%q): got %v, %v; want %v", p.String(), got, err, p)
		}
	}
	if got, want := TLSPolicy(9).String(), "TLSPolicy(9)"; got != want {
		t.Errorf("TLSPolicy(9).String(): got %q; want %q", got, want)
	}
}
