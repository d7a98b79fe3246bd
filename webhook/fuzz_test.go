package webhook_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/webhook"
)

// FuzzVerify: Verify never panics on any header values and body; it
// accepts exactly when the signature list holds the v1 signature Sign
// makes for the id, timestamp and body; and what Sign makes verifies.
func FuzzVerify(f *testing.F) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1_767_225_600, 0)
	good, _ := webhook.Sign([]string{secret}, "msg_1", now, []byte(`{"type":"user.login"}`))
	f.Add("msg_1", "1767225600", good, []byte(`{"type":"user.login"}`))
	f.Add("msg_1", "1767225600", "v1,AAAA "+good, []byte(`{"type":"user.login"}`))
	f.Add("msg_2", "-1", "v1a,xyz", []byte{})
	f.Add("", "", "", []byte("x"))
	f.Add("msg.3", "1767225600 ", "v1, v1,,", []byte("{}"))
	f.Add("m", "001767225600", good, []byte(`{"type":"user.login"}`))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		err := webhook.Verify(secret, h, body, now, time.Minute)
		if err == nil {
			n, perr := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
			if perr != nil {
				t.Fatalf("accepted timestamp %q", ts)
			}
			want, _ := webhook.Sign([]string{secret}, h.Get("webhook-id"), time.Unix(n, 0), body)
			if !containsField(h.Get("webhook-signature"), want) {
				t.Fatalf("accepted %q without the signature %q", sig, want)
			}
		}
		if id == "" || strings.ContainsAny(id, "\r\n") {
			return
		}
		signed, err := webhook.Sign([]string{secret}, id, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("webhook-signature", signed)
		if h.Get("webhook-id") != "" {
			if err := webhook.Verify(secret, h, body, now, time.Minute); err != nil && h.Get("webhook-id") == id {
				t.Fatalf("Sign's own signature refused: %v", err)
			}
		}
	})
}

func containsField(list, want string) bool {
	for _, f := range strings.Fields(list) {
		if f == want {
			return true
		}
	}
	return false
}
