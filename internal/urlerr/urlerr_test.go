package urlerr

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, u := range []string{
		"redis://user:s3cretpw@[::1",
		"redis://user:s3cr/etpw@127.0.0.1:6379/0",   // invalid port ":s3cr"
		"redis://user:s3cr?etpw@127.0.0.1:6379/0",   // the same through the query
		"redis://user:s3cr%zzetpw@127.0.0.1:6379/0", // invalid URL escape
		"redis://user:s3cretpw@127.0.0.1:6379/0\x7f",
	} {
		_, err := url.Parse(u)
		if err == nil {
			t.Fatalf("%q parses", u)
		}
		got := Redact(fmt.Errorf("wrapped: %w", err))
		if got == nil || strings.Contains(got.Error(), "s3cr") {
			t.Errorf("%q: Redact gave %v", u, got)
		}
	}
	other := errors.New("redis: invalid database number: \"x\"")
	if got := Redact(other); got != other {
		t.Errorf("an error without a URL came back as %v", got)
	}
}
