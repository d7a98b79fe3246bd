package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store/sqlite"
)

func main() {
	ctx := context.Background()
	dbPath, encKey := "basic.db", os.Getenv("AUTHOS_ENCRYPTION_KEY")
	if encKey == "" {
		// Demo only: a generated key lives as long as the process, and what it
		// encrypted (the signing keys in the database) becomes unreadable with
		// it, so the database is a throwaway too. Set AUTHOS_ENCRYPTION_KEY
		// (openssl rand -base64 32) to keep basic.db across restarts.
		key := make([]byte, 32)
		rand.Read(key)
		encKey = base64.StdEncoding.EncodeToString(key)
		dbPath = filepath.Join(os.TempDir(), fmt.Sprintf("authos-basic-%d.db", time.Now().UnixNano()))
	}
	keyring, err := authos.ParseKeyring(encKey)
	if err != nil {
		log.Fatal(err)
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Print(err)
		}
	}()

	a, err := authos.New(ctx, authos.Config{Store: st, Keyring: keyring, Mailer: &mailer.Log{}})
	if err != nil {
		log.Fatal(err)
	}
	go func() { // delivers queued email (here: to the log), syncs revocations
		if err := a.Run(ctx); err != nil {
			log.Print(err)
		}
	}()

	mux := http.NewServeMux()
	mux.Handle("/", a.Handler()) // /api/auth/..., /api/user..., /.well-known/...
	mux.Handle("GET /hello", a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := authos.PrincipalFrom(r.Context())
		_, _ = fmt.Fprintf(w, "Hello, %s (user %s, session %s)\n", p.Email, p.UserID, p.SessionID) // the client may be gone
	})))
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Println("listening on :8080")
	log.Fatal(srv.ListenAndServe())
}
