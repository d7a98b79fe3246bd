package authos

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzDecodeOwnClaims: whatever decodeOwnClaims accepts, json.Unmarshal
// accepts too and decodes to the same claims; the seeds include payloads
// it must accept (those json.Marshal writes) and ones it must leave to
// json.Unmarshal.
func FuzzDecodeOwnClaims(f *testing.F) {
	now := time.Unix(1700000000, 0)
	for _, c := range []accessClaims{
		{RegisteredClaims: jwt.RegisteredClaims{Issuer: "https://id.example.com", Subject: "u1", Audience: jwt.ClaimStrings{"authos", "b"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now), ID: "rt-0123"},
			SessionID: "s1", Email: "zoë@example.com", AMR: []string{"pwd", "otp"}, IsPlatformOwner: true,
			Org: "org1", Service: "svc", Scope: "openid profile"},
		{RegisteredClaims: jwt.RegisteredClaims{Subject: "u2", ExpiresAt: jwt.NewNumericDate(now)}, AMR: []string{}},
		{},
	} {
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		var got accessClaims
		if !decodeOwnClaims(b, &got) {
			f.Fatalf("refused what json.Marshal writes: %s", b)
		}
		var want accessClaims
		if err := json.Unmarshal(b, &want); err != nil {
			f.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			f.Fatalf("%s:\n got %+v\nwant %+v", b, got, want)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"aud":[],"amr":[],"exp":1.5e9,"iat":-0.25,"is_platform_owner":false}`,
		`{"email":"a\"b"}`, `{"ISS":"x"}`, `{"iss":"a","iss":"b"}`, `{ "iss":"a"}`, `{"aud":"one"}`,
		`{"exp":"1700000000"}`, `{"exp":01}`, `{"exp":1e999}`, `{"exp":null}`, `{"sub":"\xff"}`,
		`{"iss":"a"}x`, `{"iss":"a",}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got accessClaims
		if !decodeOwnClaims(b, &got) {
			return
		}
		var want accessClaims
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("accepted %q, which json.Unmarshal refuses: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}
