package urlerr

import (
	"errors"
	"net/url"
)

// Redact returns err, or, when err is or wraps a *url.Error, an error that
// holds no part of the URL: url.Parse quotes the URL, or the piece it
// stumbled on, and either can be (part of) the password, since an unencoded
// / or ? in it ends the host early ("invalid port").
func Redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("malformed URL (percent-encode any of @ : / ? # % in the user name or password)")
	}
	return err
}
