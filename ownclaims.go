package authos

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// decodeOwnClaims decodes into c the payload of an access token as
// signEdDSA writes it (json.Marshal of accessClaims): one object, no
// whitespace, each known key once, string values without escapes, dates
// as JSON numbers, aud and amr as arrays of strings. It gives what
// json.Unmarshal gives for the same payload, without reflection, and
// reports false for anything else, c then in an undefined state: the
// caller decodes such a payload with json.Unmarshal. Only payloads whose
// signature has been verified reach it.
func decodeOwnClaims(b []byte, c *accessClaims) bool {
	*c = accessClaims{}
	d := claimsDecoder{b: b}
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return d.i == len(b)
	}
	var seen uint16
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		bit, ok := claimBits[key]
		if !ok || seen&bit != 0 {
			return false // unknown (json matches keys case-insensitively) or repeated
		}
		seen |= bit
		switch key {
		case "iss":
			c.Issuer, ok = d.str()
		case "sub":
			c.Subject, ok = d.str()
		case "jti":
			c.ID, ok = d.str()
		case "sid":
			c.SessionID, ok = d.str()
		case "email":
			c.Email, ok = d.str()
		case "org":
			c.Org, ok = d.str()
		case "service":
			c.Service, ok = d.str()
		case "scope":
			c.Scope, ok = d.str()
		case "aud":
			var aud []string
			aud, ok = d.strArray()
			if len(aud) > 0 { // the jwt package leaves an empty array nil
				c.Audience = aud
			}
		case "amr":
			c.AMR, ok = d.strArray()
		case "exp":
			c.ExpiresAt, ok = d.date()
		case "nbf":
			c.NotBefore, ok = d.date()
		case "iat":
			c.IssuedAt, ok = d.date()
		case "is_platform_owner":
			c.IsPlatformOwner, ok = d.boolean()
		}
		if !ok {
			return false
		}
		if d.byte('}') {
			return d.i == len(b)
		}
		if !d.byte(',') {
			return false
		}
	}
}

// claimBits numbers the keys of accessClaims, to refuse a repeated one.
var claimBits = map[string]uint16{
	"iss": 1 << 0, "sub": 1 << 1, "aud": 1 << 2, "exp": 1 << 3, "nbf": 1 << 4, "iat": 1 << 5, "jti": 1 << 6,
	"sid": 1 << 7, "email": 1 << 8, "amr": 1 << 9, "org": 1 << 10, "service": 1 << 11,
	"is_platform_owner": 1 << 12, "scope": 1 << 13,
}

// claimsDecoder reads b from i.
type claimsDecoder struct {
	b []byte
	i int
}

// byte consumes c if it comes next.
func (d *claimsDecoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid
// UTF-8.
func (d *claimsDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, ascii := d.i, true
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return "", false // json.Unmarshal would replace the invalid bytes
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// strArray reads an array of strings; [] gives an empty, non-nil slice,
// as json.Unmarshal does.
func (d *claimsDecoder) strArray() ([]string, bool) {
	if !d.byte('[') {
		return nil, false
	}
	out := []string{}
	if d.byte(']') {
		return out, true
	}
	for {
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if d.byte(']') {
			return out, true
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// boolean reads true or false.
func (d *claimsDecoder) boolean() (bool, bool) {
	for _, lit := range []string{"true", "false"} {
		if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
			d.i += len(lit)
			return lit == "true", true
		}
	}
	return false, false
}

// date reads a JSON number (RFC 8259 §6 grammar) as the jwt package reads
// a NumericDate: seconds since the epoch, truncated to jwt.TimePrecision.
func (d *claimsDecoder) date() (*jwt.NumericDate, bool) {
	start := d.i
	d.byte('-')
	switch {
	case d.byte('0'):
	case d.digits() == 0:
		return nil, false
	}
	if d.byte('.') && d.digits() == 0 {
		return nil, false
	}
	if d.byte('e') || d.byte('E') {
		if !d.byte('+') {
			d.byte('-')
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		return nil, false // out of range: the jwt package refuses it too
	}
	whole, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(whole), int64(frac*1e9))), true
}

// digits consumes a run of decimal digits and returns its length.
func (d *claimsDecoder) digits() int {
	start := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}
