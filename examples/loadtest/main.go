package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/authos/authos/mailer"
)

// Operations, in the order they are reported.
const (
	opLogin   = "login"
	opRefresh = "refresh"
	opUser    = "user"
	scMixed   = "mixed"
)

var allOps = []string{opLogin, opRefresh, opUser}

// config is the parsed command line.
type config struct {
	Targets         []string
	Concurrency     int
	Duration        time.Duration
	Scenarios       []string // each entry one run: an operation or "mixed"
	Email, Password string
	Mailbox         string
	Timeout         time.Duration
}

// parseArgs parses the command line (without the program name).
func parseArgs(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "http://127.0.0.1:8080", "comma-separated base URLs of the servers (round robin)")
	c := fs.Int("c", 16, "concurrent workers")
	d := fs.Duration("d", 10*time.Second, "duration of each scenario")
	scenario := fs.String("scenario", "login,refresh,user", "comma-separated runs: login, refresh, user, or mixed")
	email := fs.String("email", "", "email of a verified account (default: sign up a new one)")
	password := fs.String("password", "", "password of -email")
	mailbox := fs.String("mailbox", "", "directory where the server writes emails (AUTHOS_MAILBOX_DIR), to verify a new account")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout of one request")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	cfg := config{Concurrency: *c, Duration: *d, Email: *email, Password: *password, Mailbox: *mailbox, Timeout: *timeout}
	for _, t := range strings.Split(*targets, ",") {
		t = strings.TrimRight(strings.TrimSpace(t), "/")
		if t == "" {
			continue
		}
		if u, err := url.Parse(t); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config{}, fmt.Errorf("-targets: %q is not an http(s) base URL", t)
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	if len(cfg.Targets) == 0 {
		return config{}, errors.New("-targets: no server named")
	}
	for _, s := range strings.Split(*scenario, ",") {
		s = strings.TrimSpace(s)
		if s != scMixed && !slices.Contains(allOps, s) {
			return config{}, fmt.Errorf("-scenario: unknown %q (want login, refresh, user or mixed)", s)
		}
		cfg.Scenarios = append(cfg.Scenarios, s)
	}
	switch {
	case cfg.Concurrency < 1:
		return config{}, errors.New("-c must be at least 1")
	case cfg.Duration <= 0 || cfg.Timeout <= 0:
		return config{}, errors.New("-d and -timeout must be positive")
	case (cfg.Email == "") != (cfg.Password == ""):
		return config{}, errors.New("give both -email and -password, or neither")
	}
	return cfg, nil
}

// percentile is the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it; 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100 + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// client sends the requests of the test round robin over the targets.
type client struct {
	http    *http.Client
	targets []string
	next    atomic.Uint64
}

func newClient(cfg config) *client {
	tr := &http.Transport{MaxIdleConns: 0, MaxIdleConnsPerHost: cfg.Concurrency + 8, IdleConnTimeout: time.Minute}
	return &client{http: &http.Client{Transport: tr, Timeout: cfg.Timeout}, targets: cfg.Targets}
}

// apiError is an answer other than the one expected.
type apiError struct {
	Status int
	Code   string // error_code of the envelope, if any
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s", e.Status, e.Code) }

// do sends a JSON request and decodes a 2xx answer into out (may be nil).
func (c *client) do(ctx context.Context, method, path, bearer string, in, out any) error {
	base := c.targets[int(c.next.Add(1)-1)%len(c.targets)]
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // the body is read to the end below
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var env struct {
			Code string `json:"error_code"`
		}
		_ = json.Unmarshal(b, &env)
		return &apiError{Status: resp.StatusCode, Code: env.Code}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

type tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login logs in, waiting and trying again while the server answers 503
// (its hash pool is full) or 429.
func (c *client) login(ctx context.Context, cr credentials) (tokens, error) {
	for {
		var t tokens
		err := c.do(ctx, "POST", "/api/auth/login", "", cr, &t)
		var ae *apiError
		if errors.As(err, &ae) && (ae.Status == http.StatusServiceUnavailable || ae.Status == http.StatusTooManyRequests) {
			select {
			case <-ctx.Done():
				return t, ctx.Err()
			case <-time.After(100 * time.Millisecond):
				continue
			}
		}
		return t, err
	}
}

// account returns the credentials to test with: the given ones, or a new
// account signed up (and verified through the mailbox directory).
func account(ctx context.Context, c *client, cfg config, stderr io.Writer) (credentials, error) {
	if cfg.Email != "" {
		return credentials{cfg.Email, cfg.Password}, nil
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	cr := credentials{Email: "loadtest-" + hex.EncodeToString(b) + "@example.com", Password: "load test " + hex.EncodeToString(b)}
	if err := c.do(ctx, "POST", "/api/auth/register", "", cr, nil); err != nil {
		return cr, fmt.Errorf("sign-up: %w", err)
	}
	_, _ = fmt.Fprintf(stderr, "signed up %s\n", cr.Email)
	_, err := c.login(ctx, cr)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != "EMAIL_NOT_VERIFIED" {
		return cr, err
	}
	if cfg.Mailbox == "" {
		return cr, errors.New("the new account must verify its email: pass -mailbox (the server's AUTHOS_MAILBOX_DIR) or -email/-password of a verified account")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		token, err := verificationToken(cfg.Mailbox, cr.Email)
		if err != nil {
			return cr, err
		}
		if token != "" {
			if err := c.do(ctx, "POST", "/api/auth/verify-email", "", map[string]string{"token": token}, nil); err != nil {
				return cr, fmt.Errorf("verify-email: %w", err)
			}
			return cr, nil
		}
		if time.Now().After(deadline) {
			return cr, fmt.Errorf("no verification email for %s in %s", cr.Email, cfg.Mailbox)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// verificationToken is the token of the newest verification link sent to
// email in the mailbox directory dir; "" when there is none yet.
func verificationToken(dir, email string) (string, error) {
	msgs, err := mailer.ReadMailbox(dir)
	if err != nil {
		return "", err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if !strings.EqualFold(m.To, email) {
			continue
		}
		for _, field := range strings.Fields(m.Text) {
			u, err := url.Parse(strings.Trim(field, "<>()."))
			if err != nil || !strings.HasSuffix(u.Path, "/verify-email") {
				continue
			}
			if t := u.Query().Get("token"); t != "" {
				return t, nil
			}
		}
	}
	return "", nil
}

// opStats are the outcomes of one operation.
type opStats struct {
	lat    []time.Duration // of the successful requests
	errors map[string]int  // "HTTP 503 SERVICE_UNAVAILABLE", "network", ...
}

func (s *opStats) add(d time.Duration, err error) {
	if err == nil {
		s.lat = append(s.lat, d)
		return
	}
	if s.errors == nil {
		s.errors = map[string]int{}
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		s.errors[ae.Error()]++
	case errors.Is(err, context.DeadlineExceeded):
		s.errors["timeout"]++
	default:
		s.errors["network"]++
	}
}

// worker is one simulated client: its own session (for refresh rotation)
// and its own statistics.
type worker struct {
	c     *client
	cr    credentials
	tok   tokens
	stats map[string]*opStats
}

// step runs op once and records it.
func (w *worker) step(ctx context.Context, op string) {
	start := time.Now()
	var err error
	switch op {
	case opLogin:
		var t tokens
		err = w.c.do(ctx, "POST", "/api/auth/login", "", w.cr, &t)
	case opRefresh:
		var t tokens
		err = w.c.do(ctx, "POST", "/api/auth/refresh", "", map[string]string{"refresh_token": w.tok.Refresh}, &t)
		if err == nil {
			w.tok = t
		}
	case opUser:
		err = w.c.do(ctx, "GET", "/api/user", w.tok.Access, nil, nil)
	}
	if ctx.Err() != nil && err != nil {
		return // cut off by the end of the run: not an outcome
	}
	w.stats[op].add(time.Since(start), err)
	if op == opRefresh && err != nil && ctx.Err() == nil {
		// A failed rotation may have used up the token: start a new session.
		if t, lerr := w.c.login(ctx, w.cr); lerr == nil {
			w.tok = t
		}
	}
}

// result is one run of a scenario.
type result struct {
	scenario string
	elapsed  time.Duration
	stats    map[string]*opStats
}

// run runs scenario at cfg.Concurrency for cfg.Duration.
func run(ctx context.Context, c *client, cfg config, cr credentials, scenario string) (result, error) {
	ops := []string{scenario}
	if scenario == scMixed {
		ops = allOps
	}
	workers := make([]*worker, cfg.Concurrency)
	var setup sync.WaitGroup
	errs := make([]error, len(workers))
	for i := range workers {
		w := &worker{c: c, cr: cr, stats: map[string]*opStats{}}
		for _, op := range allOps {
			w.stats[op] = &opStats{}
		}
		workers[i] = w
		if scenario == opLogin {
			continue
		}
		setup.Go(func() { w.tok, errs[i] = c.login(ctx, cr) }) // a session of its own
	}
	setup.Wait()
	if err := errors.Join(errs...); err != nil {
		return result{}, fmt.Errorf("logging the workers in: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			for n := i; rctx.Err() == nil; n++ {
				w.step(rctx, ops[n%len(ops)])
			}
		})
	}
	wg.Wait()
	res := result{scenario: scenario, elapsed: time.Since(start), stats: map[string]*opStats{}}
	for _, op := range ops {
		all := &opStats{errors: map[string]int{}}
		for _, w := range workers {
			all.lat = append(all.lat, w.stats[op].lat...)
			for k, v := range w.stats[op].errors {
				all.errors[k] += v
			}
		}
		slices.Sort(all.lat)
		res.stats[op] = all
	}
	return res, nil
}

// print writes the table of res.
func (res result) print(out io.Writer, cfg config) {
	_, _ = fmt.Fprintf(out, "scenario %s: c=%d, %s, %d target(s)\n", res.scenario, cfg.Concurrency, res.elapsed.Round(time.Millisecond), len(cfg.Targets))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "op\tok\terrors\treq/s\tp50\tp99\terror kinds\t")
	for _, op := range allOps {
		s, ok := res.stats[op]
		if !ok {
			continue
		}
		nerr := 0
		var kinds []string
		for _, k := range slices.Sorted(maps.Keys(s.errors)) {
			nerr += s.errors[k]
			kinds = append(kinds, k+" ×"+strconv.Itoa(s.errors[k]))
		}
		rate := float64(len(s.lat)) / res.elapsed.Seconds()
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t\n", op, len(s.lat), nerr, rate,
			fmtDur(percentile(s.lat, 50)), fmtDur(percentile(s.lat, 99)), strings.Join(kinds, ", "))
	}
	_ = tw.Flush() // out is the terminal or a buffer
}

// fmtDur shows d in milliseconds with two decimals.
func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// loadtest runs every scenario of cfg, printing each table to out.
func loadtest(ctx context.Context, cfg config, out, stderr io.Writer) error {
	c := newClient(cfg)
	cr, err := account(ctx, c, cfg, stderr)
	if err != nil {
		return err
	}
	for _, sc := range cfg.Scenarios {
		res, err := run(ctx, c, cfg, cr, sc)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc, err)
		}
		res.print(out, cfg)
	}
	return nil
}

func main() {
	cfg, err := parseArgs(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := loadtest(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}
