package saml_test

import (
	"testing"
	"time"

	"github.com/authos/authos/saml"
)

// FuzzACS feeds the response parser decoded Responses, seeded with a
// valid signed one and its variants (an unsolicited one among them): it never
// panics and refuses with one of its three reasons, whether it reads the
// input as the answer to a request or as unsolicited.
func FuzzACS(f *testing.F) {
	t := f
	p := newIDP(t)
	now := time.Now().UTC()
	const entity, acs = "https://sp.example/saml/corp/metadata", "https://sp.example/saml/corp/acs"
	parse, err := saml.NewTestParser([]byte(p.metadata(t)), entity, acs, func() time.Time { return now })
	if err != nil {
		f.Fatal(err)
	}
	fg := forge{requestID: "id-seed", assertionID: "_a-seed", issuer: p.srv.URL + "/metadata", nameID: zoe, audience: entity,
		recipient: acs, destination: acs, issued: now, notBefore: now.Add(-time.Minute), notOnOrAfter: now.Add(5 * time.Minute),
		signAssertion: true, by: newSigner(p.key, p.cert)}
	valid, _ := fg.doc(t).WriteToBytes()
	if err := parse(valid, "id-seed"); err != nil {
		f.Fatalf("the seed is refused: %v", err)
	}
	f.Add(valid)
	fg.signAssertion, fg.signResponse = false, true
	signedResponse, _ := fg.doc(t).WriteToBytes()
	f.Add(signedResponse)
	fg.signResponse = false
	unsigned, _ := fg.doc(t).WriteToBytes()
	f.Add(unsigned)
	fg.requestID, fg.signAssertion = "", true
	unsolicited, _ := fg.doc(t).WriteToBytes()
	if err := parse(unsolicited, ""); err != nil {
		f.Fatalf("the unsolicited seed is refused: %v", err)
	}
	f.Add(unsolicited)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte("<"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, id := range []string{"id-seed", ""} {
			if err := parse(raw, id); err != nil && !saml.Classified(err) {
				t.Fatalf("unclassified refusal %v", err)
			}
		}
	})
}

// FuzzMetadata feeds the IdP metadata reader: it never panics, and what
// it accepts names an entity and a certificate expiry.
func FuzzMetadata(f *testing.F) {
	t := f
	p := newIDP(t)
	md := p.metadata(t)
	f.Add([]byte(md))
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + md + `</EntitiesDescriptor>`))
	f.Add([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, exp, err := saml.ParseIDPMetadata(raw)
		if err == nil && (id == "" || exp.IsZero()) {
			t.Fatalf("accepted metadata without entity id or certificate: %q %v", id, exp)
		}
	})
}
