package authos

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// TestLoginUpgradesWeakerHash: a hash made with weaker parameters is
// replaced by one with the current parameters on the next successful login.
func TestLoginUpgradesWeakerHash(t *testing.T) {
	a, _ := newTestAuthos(t, func(c *Config) { c.Hasher = nil }) // the default, Argon2id
	u := verifiedUser(t, a, "old@example.test", "an old password")
	ctx := context.Background()
	weak, err := NewArgon2id(Argon2Params{Memory: 12288, Time: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := weak.Hash(ctx, "an old password")
	if err := a.st.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: enc, UpdatedAt: a.now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(ctx, LoginInput{Email: "old@example.test", Password: "an old password"}); err != nil {
		t.Fatal(err)
	}
	cred, err := a.st.GetPassword(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cred.Hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash after login = %q; want upgraded to the current parameters", cred.Hash)
	}
}

func TestAlternativeSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{AlgES256, AlgRS256} {
		t.Run(alg, func(t *testing.T) {
			a, _ := newTestAuthos(t, func(c *Config) { c.SigningAlgorithm = alg })
			u := verifiedUser(t, a, "alg@example.test", "algorithm test pw")
			tr, err := a.CompleteLogin(context.Background(), u, LoginContext{Method: AMRPassword})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.VerifyAccessToken(context.Background(), tr.AccessToken, ""); err != nil {
				t.Fatalf("verify: %v", err)
			}
			k := a.jwks().Keys[0]
			switch alg {
			case AlgES256:
				if k.KeyType != "EC" || k.Curve != "P-256" || len(k.X) != 43 || len(k.Y) != 43 {
					t.Errorf("jwk = %+v", k)
				}
			case AlgRS256:
				if k.KeyType != "RSA" || k.E != "AQAB" || len(k.N) != 512 { // 3072-bit modulus
					t.Errorf("jwk = %+v (len n %d)", k, len(k.N))
				}
			}
		})
	}
	kr, _ := NewKeyring(testKey(1))
	if _, err := New(context.Background(), Config{Store: nil, Keyring: kr}); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := (Config{Store: memory.New(), Keyring: kr, SigningAlgorithm: "HS256"}).withDefaults(); err == nil {
		t.Error("HS256 accepted as signing algorithm")
	}
	if _, err := (Config{Store: memory.New(), Keyring: kr, BaseURL: "ftp://x"}).withDefaults(); err == nil {
		t.Error("ftp BaseURL accepted")
	}
	if _, err := (Config{Store: memory.New()}).withDefaults(); err == nil {
		t.Error("missing keyring accepted")
	}
}

func TestTemplateOverride(t *testing.T) {
	var got []Message
	a, _ := newTestAuthos(t, func(c *Config) {
		c.ProductName = "Acme ID"
		c.Templates = map[string]EmailTemplate{templateResetPassword: {
			Subject: "{{.ProductName}}: new password",
			Text:    "Go to {{.Link}}",
			HTML:    `<a href="{{.Link}}">{{.Email}}</a>`,
		}}
		c.Mailer = MailerFunc(func(_ context.Context, m Message) error { got = append(got, m); return nil })
	})
	verifiedUser(t, a, "tpl@example.test", "template password")
	ctx := context.Background()
	if err := a.ForgotPassword(ctx, "TPL@example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ProcessOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	var last Message
	for _, m := range got { // queued at the same instant: order not defined
		if strings.Contains(m.Subject, "new password") {
			last = m
		}
	}
	if last.Subject != "Acme ID: new password" || !strings.HasPrefix(last.Text, "Go to https://id.example.test/reset-password?token=") ||
		!strings.Contains(last.HTML, `>tpl@example.test</a>`) {
		t.Fatalf("message = %+v", last)
	}
	kr, _ := NewKeyring(testKey(1))
	_, err := New(context.Background(), Config{Store: memory.New(), Keyring: kr,
		Templates: map[string]EmailTemplate{"nope": {Subject: "x", Text: "y"}}})
	if err == nil {
		t.Error("unknown template name accepted")
	}
	_, err = New(context.Background(), Config{Store: memory.New(), Keyring: kr,
		Templates: map[string]EmailTemplate{templateVerifyEmail: {Subject: "{{", Text: "y"}}})
	if err == nil || errors.Is(err, CodeInternalServerError) {
		t.Errorf("broken template: %v", err)
	}
}

func TestEnsurePlatformOwner(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	ctx := context.Background()
	u, outcome, err := a.EnsurePlatformOwner(ctx, "root@example.test", "owner password!")
	if err != nil || outcome != OwnerCreated || !u.IsPlatformOwner || !u.EmailVerified {
		t.Fatalf("first call: %+v %s %v", u, outcome, err)
	}
	if _, err := a.Login(ctx, LoginInput{Email: "root@example.test", Password: "owner password!"}); err != nil {
		t.Fatalf("owner login: %v", err)
	}
	if _, outcome, _ := a.EnsurePlatformOwner(ctx, "ROOT@example.test", "another password"); outcome != OwnerUnchanged {
		t.Errorf("second call outcome %s; want unchanged", outcome)
	}
	if _, err := a.Login(ctx, LoginInput{Email: "root@example.test", Password: "owner password!"}); err != nil {
		t.Errorf("existing password replaced: %v", err)
	}
	if _, err := a.Register(ctx, RegisterInput{Email: "plain@example.test", Password: "simple passphrase"}); err != nil {
		t.Fatal(err)
	}
	if p, outcome, _ := a.EnsurePlatformOwner(ctx, "plain@example.test", "simple passphrase"); outcome != OwnerPromoted || !p.IsPlatformOwner || !p.EmailVerified {
		t.Errorf("promotion: %+v %s", p, outcome)
	}
	if n, _ := a.st.CountPlatformOwners(ctx); n != 2 {
		t.Errorf("owners = %d; want 2", n)
	}
	if _, _, err := a.EnsurePlatformOwner(ctx, "bad", "owner password!"); !errors.Is(err, CodeInvalidEmail) {
		t.Errorf("bad email: %v", err)
	}
	if _, _, err := a.EnsurePlatformOwner(ctx, "x@example.test", "short"); !errors.Is(err, CodeWeakPassword) {
		t.Errorf("weak password: %v", err)
	}
}

func TestNameValidation(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	ctx := context.Background()
	_, err := a.Register(ctx, RegisterInput{Email: "n1@example.test", Password: "name password", Name: "X"})
	if !errors.Is(err, CodeNameTooShort) {
		t.Errorf("1-char name: %v", err)
	}
	_, err = a.Register(ctx, RegisterInput{Email: "n2@example.test", Password: "name password", Name: strings.Repeat("n", 101)})
	if !errors.Is(err, CodeNameTooLong) {
		t.Errorf("101-char name: %v", err)
	}
	u, err := a.Register(ctx, RegisterInput{Email: "n3@example.test", Password: "name password", Name: "  Bo  "})
	if err != nil || u.Name != "Bo" {
		t.Fatalf("name trimmed: %q %v", u.Name, err)
	}
	long := strings.Repeat("n", 101)
	if _, err := a.UpdateProfile(ctx, u.ID, ProfileUpdate{Name: &long}); !errors.Is(err, CodeNameTooLong) {
		t.Errorf("patch long name: %v", err)
	}
	name := "Robert"
	if _, err := a.UpdateProfile(ctx, "no-such-user", ProfileUpdate{Name: &name}); !errors.Is(err, CodeNotFound) {
		t.Errorf("patch unknown user: %v", err)
	}
}
