package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/mailer"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},    // rank ceil(2) = 2
		{ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond}, // rank ceil(2.5) = 3
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
		{ms(hundred...), 1, 1 * time.Millisecond},
		{ms(1, 2), 0.001, 1 * time.Millisecond},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v; want %v", c.sorted, c.p, got, c.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	cfg, err := parseArgs([]string{"-targets", "http://a:1/, http://b:2", "-c", "64", "-d", "20s", "-scenario", "user,mixed",
		"-email", "ann@example.com", "-password", "pw"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Targets, " ") != "http://a:1 http://b:2" || cfg.Concurrency != 64 || cfg.Duration != 20*time.Second ||
		strings.Join(cfg.Scenarios, " ") != "user mixed" || cfg.Email != "ann@example.com" || cfg.Password != "pw" {
		t.Errorf("parsed %+v", cfg)
	}
	def, err := parseArgs(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(def.Targets, " ") != "http://127.0.0.1:8080" || def.Concurrency != 16 || def.Duration != 10*time.Second ||
		strings.Join(def.Scenarios, " ") != "login refresh user" {
		t.Errorf("defaults %+v", def)
	}
	for _, bad := range [][]string{
		{"-targets", "ftp://x"},
		{"-targets", " , "},
		{"-targets", "localhost:8080"},
		{"-c", "0"},
		{"-d", "0s"},
		{"-scenario", "logout"},
		{"-email", "ann@example.com"},
		{"-password", "pw"},
		{"extra"},
		{"-nope"},
	} {
		if _, err := parseArgs(bad, io.Discard); err == nil {
			t.Errorf("parseArgs(%q) accepted", bad)
		}
	}
}

func TestVerificationToken(t *testing.T) {
	dir := t.TempDir()
	box := &mailer.Mailbox{Dir: dir}
	ctx := context.Background()
	send := func(to, link string) {
		t.Helper()
		if err := box.Send(ctx, authos.Message{To: to, Subject: "Verify", Text: "Open " + link + " to verify."}); err != nil {
			t.Fatal(err)
		}
	}
	if tok, err := verificationToken(dir, "ann@example.com"); tok != "" || err != nil {
		t.Fatalf("empty mailbox: %q %v", tok, err)
	}
	send("bob@example.com", "http://x/verify-email?token=bobs")
	send("ann@example.com", "http://x/reset-password?token=reset")
	send("ann@example.com", "http://x/verify-email?token=old")
	send("ann@example.com", "http://x/verify-email?token=a%2Bnew-one")
	if tok, err := verificationToken(dir, "ann@example.com"); tok != "a+new-one" || err != nil {
		t.Errorf("verificationToken = %q, %v; want the newest link's token a+new-one", tok, err)
	}
}

// TestSmokeRun signs up through the mailbox, then runs every scenario
// briefly against an in-process authos served twice (round robin): every
// operation succeeds, none fails.
func TestSmokeRun(t *testing.T) {
	dir := t.TempDir()
	inst := authostest.New(t, func(c *authos.Config) {
		c.RateLimits.Disabled = true
		c.Now = time.Now // tokens and sessions on the real clock
		c.Mailer = &mailer.Mailbox{Dir: dir}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the outbox worker: deliver the verification email
		for ctx.Err() == nil {
			inst.Emails()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	srv1, srv2 := httptest.NewServer(inst.Handler()), httptest.NewServer(inst.Handler())
	defer srv1.Close()
	defer srv2.Close()
	cfg, err := parseArgs([]string{"-targets", srv1.URL + "," + srv2.URL, "-c", "3", "-d", "300ms",
		"-scenario", "login,refresh,user,mixed", "-mailbox", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(cfg)
	cr, err := account(ctx, c, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, sc := range cfg.Scenarios {
		res, err := run(ctx, c, cfg, cr, sc)
		if err != nil {
			t.Fatalf("%s: %v", sc, err)
		}
		res.print(&out, cfg)
		for op, s := range res.stats {
			if len(s.lat) == 0 || len(s.errors) > 0 {
				t.Errorf("scenario %s, %s: %d ok, errors %v", sc, op, len(s.lat), s.errors)
			}
		}
	}
	t.Logf("\n%s", out.String())
	for _, want := range []string{"scenario login: c=3", "scenario mixed: c=3", "p99", "2 target(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
