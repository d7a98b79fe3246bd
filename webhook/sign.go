package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every endpoint secret: "whsec_" + base64 of 32 random
// bytes (Standard Webhooks).
const SecretPrefix = "whsec_"

// Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock in Verify.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrMissingHeaders   = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrInvalidTimestamp = errors.New("webhook: webhook-timestamp is not a unix time in seconds")
	ErrTimestampOutside = errors.New("webhook: webhook-timestamp outside the tolerance")
	ErrNoValidSignature = errors.New("webhook: no valid signature")
	ErrInvalidSecret    = errors.New("webhook: the secret is not whsec_ + base64")
)

// DecodeSecret returns the signing key of a "whsec_..." secret (the prefix
// may be omitted).
func DecodeSecret(secret string) ([]byte, error) {
	s := strings.TrimPrefix(secret, SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// signature returns "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
func signature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the webhook-signature header value for a message: one v1
// signature per secret, space-separated (several during a rotation).
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	var sigs []string
	for _, s := range secrets {
		key, err := DecodeSecret(s)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, signature(key, id, ts.Unix(), body))
	}
	return strings.Join(sigs, " "), nil
}

// Verify checks a received webhook as a receiver must: the webhook-id,
// webhook-timestamp and webhook-signature headers present, the timestamp
// within tolerance of now (DefaultTolerance when 0), and one of the v1
// signatures made with secret over the raw body (compared in constant
// time). Receivers should also drop a webhook-id they have processed.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := DecodeSecret(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < 0 || len(tsText) > 12 {
		return ErrInvalidTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrTimestampOutside
	}
	want := []byte(signature(key, id, ts, body))
	for _, s := range strings.Fields(sigs) {
		if version, _, ok := strings.Cut(s, ","); !ok || version != "v1" {
			continue
		}
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrNoValidSignature
}
