package mfa_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/authos/authos"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store/memory"
)

// A host adds TOTP to its logins: New registers the second factor, and the
// instance's one handler serves its routes.
func ExampleNew() {
	ctx := context.Background()
	key := make([]byte, 32) // in production: AUTHOS_ENCRYPTION_KEY, see authos.ParseKeyring
	rand.Read(key)
	keyring, _ := authos.NewKeyring(key)
	st := memory.New()
	a, err := authos.New(ctx, authos.Config{Store: st, Keyring: keyring})
	if err != nil {
		log.Fatal(err)
	}
	mf, err := mfa.New(a, mfa.Config{Issuer: "Example"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler()) // the core's routes and mfa's

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/user/mfa", nil))
	fmt.Println("without a token:", rec.Code)

	// The same steps as Go calls: a (verified) user signs in and enrolls,
	// confirming each change with the password...
	u, _ := a.Register(ctx, authos.RegisterInput{Email: "ada@example.com", Password: "analytical engine"})
	u.EmailVerified = true
	if err := st.UpdateUser(ctx, u); err != nil {
		log.Fatal(err)
	}
	signedIn, _ := a.Login(ctx, authos.LoginInput{Email: "ada@example.com", Password: "analytical engine"})
	p, _ := a.VerifyAccessToken(ctx, signedIn.AccessToken, "")
	enrollment, _ := mf.Setup(ctx, p, "analytical engine")
	code, _ := totp.GenerateCode(enrollment.Secret, time.Now())
	backup, _ := mf.Enable(ctx, p, code, "analytical engine")
	fmt.Println("backup codes:", len(backup))

	// ...whose password login now asks for the second factor.
	_, err = a.Login(ctx, authos.LoginInput{Email: "ada@example.com", Password: "analytical engine"})
	fmt.Println(authos.AsError(err).Code)
	var mfaStep *authos.MFARequiredError
	if !errors.As(err, &mfaStep) {
		log.Fatal(err)
	}
	preauth := mfaStep.PreAuthToken
	tokens, _ := mf.Verify(ctx, preauth, backup[0])
	fmt.Println("amr:", tokens.Session.AMR)
	// Output:
	// without a token: 401
	// backup codes: 10
	// MFA_REQUIRED
	// amr: [pwd otp]
}
