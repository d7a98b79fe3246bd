package saml

import (
	"errors"
	"time"
)

// NewTestParser is our provider for the IdP metadata, with a fresh SP key
// and endpoints at entityID and acs, as a function checking a decoded
// Response against requestID (for fuzzing the parser).
func NewTestParser(idpMetadata []byte, entityID, acs string, now func() time.Time) (func(raw []byte, requestID string) error, error) {
	md, err := parseIDPMetadata(idpMetadata)
	if err != nil {
		return nil, err
	}
	key, der, err := newSPKey(entityID, now())
	if err != nil {
		return nil, err
	}
	p, err := newProvider(spURLs{entityID: entityID, metadata: entityID, acs: acs}, md, key, der, now)
	if err != nil {
		return nil, err
	}
	return func(raw []byte, requestID string) error { _, err := p.parse(raw, requestID); return err }, nil
}

// Classified reports whether err is one of the parser's three refusals.
func Classified(err error) bool {
	return errors.Is(err, errSignature) || errors.Is(err, errExpired) || errors.Is(err, errInvalid)
}

// ParseIDPMetadata is parseIDPMetadata: the entity id and certificate
// expiry it read.
func ParseIDPMetadata(raw []byte) (string, time.Time, error) {
	md, err := parseIDPMetadata(raw)
	return md.EntityID, md.CertNotAfter, err
}
