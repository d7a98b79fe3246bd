package saml

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/xmlenc"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"
)

// The SAML library stays behind this file: the rest of the package sees a
// provider (our service provider for one connection), the idpMetadata it
// reads and the assertion it accepts. Nothing here touches the library's
// package-level variables; time comes from the instance's clock through
// the ServiceProvider's own Clock.

// maxMetadataBytes bounds an IdP metadata document (given or fetched).
const maxMetadataBytes = 1 << 20

// idpMetadata is what we read from an IdP's metadata document.
type idpMetadata struct {
	EntityID string
	// CertNotAfter is when the first of its signing certificates expires.
	CertNotAfter time.Time
	entity       *crewjam.EntityDescriptor
}

// parseIDPMetadata reads an EntityDescriptor, or the first entity with an
// IDPSSODescriptor in an EntitiesDescriptor; the IdP must have an SSO
// service with the redirect binding and at least one signing certificate.
func parseIDPMetadata(raw []byte) (idpMetadata, error) {
	if len(raw) > maxMetadataBytes {
		return idpMetadata{}, errors.New("metadata too large")
	}
	var ed *crewjam.EntityDescriptor
	var one crewjam.EntityDescriptor
	if err := xml.Unmarshal(raw, &one); err == nil {
		ed = &one
	} else {
		var all crewjam.EntitiesDescriptor
		if err2 := xml.Unmarshal(raw, &all); err2 != nil {
			return idpMetadata{}, fmt.Errorf("not SAML metadata: %w", err)
		}
		ed = firstIDP(&all)
	}
	if ed == nil || len(ed.IDPSSODescriptors) == 0 {
		return idpMetadata{}, errors.New("no IDPSSODescriptor")
	}
	if ed.EntityID == "" {
		return idpMetadata{}, errors.New("no entityID")
	}
	sp := crewjam.ServiceProvider{IDPMetadata: ed}
	if sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding) == "" {
		return idpMetadata{}, errors.New("no SingleSignOnService with the HTTP-Redirect binding")
	}
	md := idpMetadata{EntityID: ed.EntityID, entity: ed}
	n := 0
	for _, d := range ed.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return idpMetadata{}, errors.New("a signing certificate is not base64")
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return idpMetadata{}, errors.New("a signing certificate does not parse")
				}
				if n == 0 || cert.NotAfter.Before(md.CertNotAfter) {
					md.CertNotAfter = cert.NotAfter.UTC()
				}
				n++
			}
		}
	}
	if n == 0 {
		return idpMetadata{}, errors.New("no signing certificate")
	}
	return md, nil
}

// firstIDP is the first entity with an IDPSSODescriptor, depth first.
func firstIDP(all *crewjam.EntitiesDescriptor) *crewjam.EntityDescriptor {
	for i := range all.EntityDescriptors {
		if len(all.EntityDescriptors[i].IDPSSODescriptors) > 0 {
			return &all.EntityDescriptors[i]
		}
	}
	for i := range all.EntitiesDescriptors {
		if ed := firstIDP(&all.EntitiesDescriptors[i]); ed != nil {
			return ed
		}
	}
	return nil
}

// newSPKey generates our key pair for a connection: RSA (the IdP may
// encrypt assertions to it) and a self-signed certificate.
func newSPKey(entityID string, now time.Time) (*rsa.PrivateKey, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: truncateCN(entityID)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return key, der, nil
}

func truncateCN(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// clock adapts the instance's clock for the library (only Now, Since and
// Until are used for SAML checks).
type clock struct {
	clockwork.Clock
	now func() time.Time
}

func (c clock) Now() time.Time                  { return c.now() }
func (c clock) Since(t time.Time) time.Duration { return c.now().Sub(t) }
func (c clock) Until(t time.Time) time.Duration { return t.Sub(c.now()) }

// provider is our service provider for one connection.
type provider struct {
	sp *crewjam.ServiceProvider
}

// spURLs are our endpoints for one connection.
type spURLs struct {
	entityID, metadata, acs string
}

func newProvider(u spURLs, md idpMetadata, key crypto.Signer, certDER []byte, now func() time.Time) (*provider, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, err
	}
	mdURL, err := url.Parse(u.metadata)
	if err != nil {
		return nil, err
	}
	acsURL, err := url.Parse(u.acs)
	if err != nil {
		return nil, err
	}
	sp := &crewjam.ServiceProvider{
		EntityID: u.entityID, Key: key, Certificate: cert, MetadataURL: *mdURL, AcsURL: *acsURL,
		IDPMetadata: md.entity, SignatureMethod: dsig.RSASHA256SignatureMethod,
		AuthnNameIDFormat:                crewjam.EmailAddressNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
		Clock:                            dsig.NewFakeClock(clock{Clock: clockwork.NewRealClock(), now: now}),
		RejectSHA1Signatures:             true,
		RejectUnknownConditions:          true,
		LimitRelayStateLength:            true,
		MetadataValidDuration:            7 * 24 * time.Hour,
	}
	return &provider{sp: sp}, nil
}

// metadata is our SP metadata document.
func (p *provider) metadata() ([]byte, error) {
	b, err := xml.MarshalIndent(p.sp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// authnRequest returns the redirect-binding URL of a signed AuthnRequest
// carrying relayState, and the request's ID.
func (p *provider) authnRequest(relayState string) (string, string, error) {
	req, err := p.sp.MakeAuthenticationRequest(p.sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding),
		crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return "", "", err
	}
	u, err := req.Redirect(relayState, p.sp)
	if err != nil {
		return "", "", err
	}
	return u.String(), req.ID, nil
}

// assertion is what we use of an accepted assertion.
type assertion struct {
	ID           string
	NameID       string
	Attributes   map[string][]string // by Name and by FriendlyName
	AuthnClasses []string
	// Expires is the latest NotOnOrAfter that bounds the assertion (for
	// the replay cache).
	Expires   time.Time
	NotBefore time.Time
	// NotOnOrAfter is the earliest of the Conditions' and the bearer
	// confirmation's (zero when neither says).
	NotOnOrAfter time.Time
}

// maxClockSkew is the most clock skew the library tolerates on NotBefore
// and IssueInstant (read, never changed).
func maxClockSkew() time.Duration { return crewjam.MaxClockSkew }

const nsDSig = "http://www.w3.org/2000/09/xmldsig#"

// shape is what parse reads of a Response before the library does: its
// root, the one assertion (plain or encrypted) among its children, and
// whether the Response or that assertion carries a Signature.
type shape struct {
	root, assertion        *etree.Element
	encrypted              bool
	responseSigned, signed bool // signed: the plain assertion's own Signature
}

// shapeOf parses raw and checks that it is a Response with exactly one
// assertion as a direct child: more than one beside each other is a
// wrapping attempt (a signed assertion carried next to the one to be
// read), errSignature; none, or not a Response, errInvalid.
func shapeOf(raw []byte) (shape, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return shape{}, fmt.Errorf("%w: %w", errInvalid, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" {
		return shape{}, fmt.Errorf("%w: not a Response", errInvalid)
	}
	sh := shape{root: root, responseSigned: hasSignature(root)}
	n := 0
	for _, el := range root.ChildElements() {
		if el.Tag == "Assertion" || el.Tag == "EncryptedAssertion" {
			sh.assertion, sh.encrypted = el, el.Tag == "EncryptedAssertion"
			n++
		}
	}
	switch {
	case n > 1:
		return shape{}, fmt.Errorf("%w: %d assertions", errSignature, n)
	case n == 0:
		return shape{}, fmt.Errorf("%w: no assertion", errInvalid)
	}
	sh.signed = !sh.encrypted && hasSignature(sh.assertion)
	return sh, nil
}

// hasSignature reports whether el has an XML signature as a direct child.
func hasSignature(el *etree.Element) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			return true
		}
	}
	return false
}

// unsignedInside reports whether the encrypted assertion of sh, decrypted
// with our key, carries no signature (so that nothing signed the
// response).
func (p *provider) unsignedInside(sh shape) bool {
	data := sh.assertion.FindElement("./EncryptedData")
	if data == nil {
		return false
	}
	plain, err := xmlenc.Decrypt(p.sp.Key, data)
	if err != nil {
		return false
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(plain) != nil || doc.Root() == nil {
		return false
	}
	return !hasSignature(doc.Root())
}

// Reasons a response is refused, mapped to catalog codes by the caller.
var (
	errSignature = errors.New("signature")
	errExpired   = errors.New("expired")
	errInvalid   = errors.New("invalid")
)

// parse verifies the decoded response XML against the request id, or,
// when requestID is "", as an unsolicited response (which must then carry
// no InResponseTo), and returns its one assertion. Errors wrap
// errSignature, errExpired or errInvalid around the library's reason (for
// the log only). The signature reasons are told apart without reading the
// library's messages: a response of which nothing is signed is refused
// before the library sees it, and the library's typed errors say the rest.
func (p *provider) parse(raw []byte, requestID string) (*assertion, error) {
	sh, err := shapeOf(raw)
	if err != nil {
		return nil, err
	}
	if !sh.responseSigned && !sh.encrypted && !sh.signed {
		return nil, fmt.Errorf("%w: neither the Response nor the Assertion is signed", errSignature)
	}
	p.sp.AllowIDPInitiated = requestID == ""
	a, err := p.sp.ParseXMLResponse(raw, []string{requestID}, p.sp.AcsURL)
	if err != nil {
		cause := err
		var ire *crewjam.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			cause = ire.PrivateErr
		}
		switch {
		case errors.Is(cause, crewjam.ErrInvalidSignature), errors.Is(cause, crewjam.ErrUntrustedCertificate),
			errors.Is(cause, crewjam.ErrCertificateNotValidNow):
			return nil, fmt.Errorf("%w: %w", errSignature, cause)
		case errors.Is(cause, crewjam.ErrExpired), errors.Is(cause, crewjam.ErrNotYetValid):
			return nil, fmt.Errorf("%w: %w", errExpired, cause)
		case !sh.responseSigned && sh.encrypted && p.unsignedInside(sh):
			// The library names no kind for a missing signature.
			return nil, fmt.Errorf("%w: neither the Response nor the decrypted Assertion is signed: %w", errSignature, cause)
		}
		return nil, fmt.Errorf("%w: %w", errInvalid, cause)
	}
	out := &assertion{ID: a.ID, Attributes: map[string][]string{}}
	if a.Subject != nil && a.Subject.NameID != nil {
		out.NameID = a.Subject.NameID.Value
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				out.Attributes[at.Name] = append(out.Attributes[at.Name], v.Value)
				if at.FriendlyName != "" && at.FriendlyName != at.Name {
					out.Attributes[at.FriendlyName] = append(out.Attributes[at.FriendlyName], v.Value)
				}
			}
		}
	}
	for _, st := range a.AuthnStatements {
		if st.AuthnContext.AuthnContextClassRef != nil {
			out.AuthnClasses = append(out.AuthnClasses, st.AuthnContext.AuthnContextClassRef.Value)
		}
	}
	bound := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if out.NotOnOrAfter.IsZero() || t.Before(out.NotOnOrAfter) {
			out.NotOnOrAfter = t
		}
		if t.After(out.Expires) {
			out.Expires = t
		}
	}
	if c := a.Conditions; c != nil {
		out.NotBefore = c.NotBefore
		bound(c.NotOnOrAfter)
	}
	if a.Subject != nil {
		for _, sc := range a.Subject.SubjectConfirmations {
			if d := sc.SubjectConfirmationData; d != nil {
				bound(d.NotOnOrAfter)
				if d.NotBefore.After(out.NotBefore) {
					out.NotBefore = d.NotBefore
				}
			}
		}
	}
	return out, nil
}
