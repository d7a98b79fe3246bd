package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		stop()
		log.Fatal(err)
	}
}

// run serves until ctx ends (Ctrl-C), then removes the throwaway database
// when it made one.
func run(ctx context.Context) error {
	addr := os.Getenv("AUTHOS_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	dbPath, encKey := "basic.db", os.Getenv("AUTHOS_ENCRYPTION_KEY")
	if encKey == "" {
		// Demo only: a generated key lives as long as the process, and what it
		// encrypted (the signing keys in the database) becomes unreadable with
		// it, so the database is a throwaway too, removed on exit. Set
		// AUTHOS_ENCRYPTION_KEY (openssl rand -base64 32) to keep basic.db
		// across restarts.
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (Go 1.24+)
		encKey = base64.StdEncoding.EncodeToString(key)
		dir, err := os.MkdirTemp("", "authos-basic-")
		if err != nil {
			return err
		}
		defer func() {
			if err := os.RemoveAll(dir); err != nil { // the database and its -wal and -shm files
				log.Print(err)
			}
		}()
		dbPath = filepath.Join(dir, "basic.db")
	}
	keyring, err := authos.ParseKeyring(encKey)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Print(err)
		}
	}()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// Links in emails point at this server: http://localhost:PORT.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	a, err := authos.New(ctx, authos.Config{Store: st, Keyring: keyring, Mailer: &mailer.Log{},
		BaseURL: "http://localhost:" + port})
	if err != nil {
		_ = ln.Close() // New's error is the one to report
		return err
	}
	bg, stopBackground := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { // delivers queued email (here: to the log), syncs revocations
		defer close(ran)
		if err := a.Run(bg); err != nil {
			log.Print(err)
		}
	}()
	defer func() { stopBackground(); <-ran }() // Run has stopped before the store closes

	mux := http.NewServeMux()
	mux.Handle("/", a.Handler()) // /api/auth/..., /api/user..., /.well-known/..., the emailed links' pages
	mux.Handle("GET /hello", a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := authos.PrincipalFrom(r.Context())
		_, _ = fmt.Fprintf(w, "Hello, %s (user %s, session %s)\n", p.Email, p.UserID, p.SessionID) // the client may be gone
	})))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Printf("listening on %s (http://localhost:%s); Ctrl-C stops", ln.Addr(), port)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
