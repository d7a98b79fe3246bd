package authos_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/authos/authos"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store/memory"
)

// A host application embeds authos: it mounts the authos routes on its own
// mux and protects its own routes with RequireAuth. (README.md shows the same
// program; swap memory.New() for sqlite.Open or postgres.Open in production.)
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	key := make([]byte, 32) // in production: AUTHOS_ENCRYPTION_KEY, see authos.ParseKeyring
	rand.Read(key)
	keyring, err := authos.NewKeyring(key)
	if err != nil {
		log.Fatal(err)
	}
	a, err := authos.New(ctx, authos.Config{
		Store:   memory.New(),
		Keyring: keyring,
		Mailer:  &mailer.Log{},
		BaseURL: "https://id.example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	go func() { // outbox delivery, revocation sync, cleanup
		if err := a.Run(ctx); err != nil {
			log.Print(err)
		}
	}()

	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	mux.Handle("GET /hello", a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "Hello, %s\n", authos.PrincipalFrom(r.Context()).Email) // the client may be gone
	})))

	// Without a token the host route answers with the authos error envelope.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
	var e struct {
		Code string `json:"error_code"`
	}
	if err := json.NewDecoder(rec.Body).Decode(&e); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Code, e.Code)

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	fmt.Println(rec.Code)
	// Output:
	// 401 UNAUTHORIZED
	// 200
}

// The whole account flow through the HTTP handlers: register, follow the
// emailed verification link, log in, call a protected host route.
func Example_login() {
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	keyring, _ := authos.NewKeyring(key)
	outbox := make(chan authos.Message, 10)
	a, err := authos.New(ctx, authos.Config{
		Store:   memory.New(),
		Keyring: keyring,
		Mailer: authos.MailerFunc(func(_ context.Context, m authos.Message) error {
			outbox <- m
			return nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	mux.Handle("GET /hello", a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "Hello, %s", authos.PrincipalFrom(r.Context()).Email) // the client may be gone
	})))
	send := func(method, path, bearer, body string) (int, map[string]any, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var out map[string]any
		if rec.Header().Get("Content-Type") == "application/json" { // the host route answers text
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				log.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return rec.Code, out, rec.Body.String()
	}

	code, _, _ := send("POST", "/api/auth/register", "", `{"email":"ada@example.com","password":"analytical engine"}`)
	fmt.Println("register:", code)
	code, out, _ := send("POST", "/api/auth/login", "", `{"email":"ada@example.com","password":"analytical engine"}`)
	fmt.Println("login before verification:", code, out["error_code"])

	if _, err := a.ProcessOutbox(ctx); err != nil { // what Run does in the background
		log.Fatal(err)
	}
	m := <-outbox
	link := regexp.MustCompile(`https?://\S+`).FindString(m.Text)
	u, _ := url.Parse(link)
	code, _, _ = send("POST", "/api/auth/verify-email", "", `{"token":"`+u.Query().Get("token")+`"}`)
	fmt.Println("verify:", code)

	code, out, _ = send("POST", "/api/auth/login", "", `{"email":"ada@example.com","password":"analytical engine"}`)
	fmt.Println("login:", code, out["token_type"])
	_, _, hello := send("GET", "/hello", out["access_token"].(string), "")
	fmt.Println(hello)
	// Output:
	// register: 201
	// login before verification: 401 EMAIL_NOT_VERIFIED
	// verify: 200
	// login: 200 Bearer
	// Hello, ada@example.com
}
