package saml_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/saml"
	"github.com/authos/authos/store/memory"
)

const mallory = "mallory@corp.example"

// attackHarness is a harness with the connection and a client, on memory.
func attackHarness(t *testing.T) *harness {
	h := newHarness(t, memory.New())
	h.connect(nil)
	h.client()
	return h
}

// noAccount checks that nobody was signed up by a refused response.
func noAccount(t *testing.T, h *harness, emails ...string) {
	t.Helper()
	for _, e := range emails {
		if _, err := h.inst.Store().GetUserByEmail(t.Context(), e); err == nil {
			t.Fatalf("%s has an account after a refused response", e)
		}
	}
}

// evil is a copy of the response's (only) assertion, unsigned, for
// mallory, with a new ID.
func evil(t *testing.T, doc *etree.Document) *etree.Element {
	t.Helper()
	orig := doc.Root().FindElement("./Assertion")
	if orig == nil {
		t.Fatal("no assertion")
	}
	e := orig.Copy()
	if s := e.SelectElement("Signature"); s != nil {
		e.RemoveChild(s)
	}
	e.CreateAttr("ID", "_evil"+randHex(t))
	e.FindElement("./Subject/NameID").SetText(mallory)
	return e
}

// evilResponse is f's response signed as a whole (not its assertion)
// with an evil Response in its place: a copy (ID _evilresp) carrying the
// original Signature and the evil assertion instead of the signed one;
// place puts the original (its Signature removed) o into it.
func evilResponse(t *testing.T, f forge, place func(ev, sig, o *etree.Element)) *etree.Document {
	f.signAssertion, f.signResponse = false, true
	doc := f.doc(t)
	orig := doc.Root()
	ev := orig.Copy()
	ev.CreateAttr("ID", "_evilresp")
	sig := ev.SelectElement("Signature")
	ev.RemoveChild(ev.SelectElement("Assertion"))
	ev.AddChild(evil(t, doc))
	o := orig.Copy()
	o.RemoveChild(o.SelectElement("Signature"))
	place(ev, sig, o)
	doc.SetRoot(ev)
	return doc
}

// moveSignature moves the signed assertion orig's Signature into the
// evil assertion ev (after its Issuer) and returns it.
func moveSignature(orig, ev *etree.Element) *etree.Element {
	sig := orig.SelectElement("Signature")
	orig.RemoveChild(sig)
	ev.InsertChildAt(1, sig)
	return sig
}

// TestSignatureAttacks: unsigned, tampered, signed by another key, and
// the eight XML signature wrapping variants built from a valid signed
// response: each refused with SAML_SIGNATURE_INVALID, nobody signed in.
func TestSignatureAttacks(t *testing.T) {
	h := attackHarness(t)
	otherKey, otherCert := newKeyPair(t, "attacker")
	cases := []struct {
		name  string
		build func(f forge) *etree.Document
	}{
		{"unsigned response and assertion", func(f forge) *etree.Document {
			f.signAssertion = false
			return f.doc(t)
		}},
		{"assertion signature removed", func(f forge) *etree.Document {
			doc := f.doc(t)
			a := doc.Root().SelectElement("Assertion")
			a.RemoveChild(a.SelectElement("Signature"))
			return doc
		}},
		{"signed assertion tampered", func(f forge) *etree.Document {
			doc := f.doc(t)
			doc.Root().FindElement("./Assertion/Subject/NameID").SetText(mallory)
			return doc
		}},
		{"signed response tampered", func(f forge) *etree.Document {
			f.signAssertion, f.signResponse = false, true
			doc := f.doc(t)
			doc.Root().FindElement("./Assertion/Subject/NameID").SetText(mallory)
			return doc
		}},
		{"signed by another key", func(f forge) *etree.Document {
			f.by = newSigner(otherKey, otherCert)
			return f.doc(t)
		}},
		{"response signed by another key", func(f forge) *etree.Document {
			f.signAssertion, f.signResponse, f.by = false, true, newSigner(otherKey, otherCert)
			return f.doc(t)
		}},
		// An encrypted assertion: nothing signed inside (told apart by
		// decrypting it, the library names no kind for it), or signed by
		// another key.
		{"encrypted assertion unsigned", func(f forge) *etree.Document {
			f.signAssertion, f.encryptTo = false, h.spCert()
			return f.doc(t)
		}},
		{"encrypted assertion signed by another key", func(f forge) *etree.Document {
			f.by, f.encryptTo = newSigner(otherKey, otherCert), h.spCert()
			return f.doc(t)
		}},
		// XSW1: an evil Response whose signature still points at the
		// original Response, kept inside the Signature element.
		{"XSW1", func(f forge) *etree.Document {
			return evilResponse(t, f, func(ev, sig, o *etree.Element) { sig.AddChild(o) })
		}},
		// XSW2: as XSW1, the original Response a sibling before the
		// Signature (detached signature).
		{"XSW2", func(f forge) *etree.Document {
			return evilResponse(t, f, func(ev, sig, o *etree.Element) { ev.InsertChildAt(sig.Index(), o) })
		}},
		// XSW3: an evil assertion before the signed one.
		{"XSW3", func(f forge) *etree.Document {
			doc := f.doc(t)
			orig := doc.Root().SelectElement("Assertion")
			doc.Root().InsertChildAt(orig.Index(), evil(t, doc))
			return doc
		}},
		// XSW4: the signed assertion wrapped inside the evil one.
		{"XSW4", func(f forge) *etree.Document {
			doc := f.doc(t)
			orig := doc.Root().SelectElement("Assertion")
			ev := evil(t, doc)
			doc.Root().RemoveChild(orig)
			ev.AddChild(orig)
			doc.Root().AddChild(ev)
			return doc
		}},
		// XSW5: the evil assertion carries the original signature; the
		// original assertion, unsigned, is appended to the Response.
		{"XSW5", func(f forge) *etree.Document {
			doc := f.doc(t)
			orig := doc.Root().SelectElement("Assertion")
			ev := evil(t, doc)
			moveSignature(orig, ev)
			doc.Root().RemoveChild(orig)
			doc.Root().AddChild(ev)
			doc.Root().AddChild(orig)
			return doc
		}},
		// XSW6: as XSW5, the original assertion inside the Signature.
		{"XSW6", func(f forge) *etree.Document {
			doc := f.doc(t)
			orig := doc.Root().SelectElement("Assertion")
			ev := evil(t, doc)
			moveSignature(orig, ev).AddChild(orig.Copy())
			doc.Root().RemoveChild(orig)
			doc.Root().AddChild(ev)
			return doc
		}},
		// XSW7: the signed assertion hidden in an Extensions element,
		// the evil assertion in its place.
		{"XSW7", func(f forge) *etree.Document {
			doc := f.doc(t)
			orig := doc.Root().SelectElement("Assertion")
			ev := evil(t, doc)
			doc.Root().RemoveChild(orig)
			ext := doc.Root().CreateElement("samlp:Extensions")
			ext.AddChild(orig)
			doc.Root().AddChild(ev)
			return doc
		}},
		// XSW8: the evil assertion carries the signature, with the
		// original assertion (unsigned) in an Object inside it.
		{"XSW8", func(f forge) *etree.Document {
			doc := f.doc(t)
			orig := doc.Root().SelectElement("Assertion")
			ev := evil(t, doc)
			moveSignature(orig, ev).CreateElement("ds:Object").AddChild(orig.Copy())
			doc.Root().RemoveChild(orig)
			doc.Root().AddChild(ev)
			return doc
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			l := h.start(zoe)
			refused(t, h.postDoc(l, tc.build(h.forge(l))), authos.CodeSAMLSignatureInvalid)
			noAccount(t, h, zoe, mallory)
		})
	}
}

// TestResponseChecks: every check on the content of a correctly signed
// response, with its code; nobody signed in.
func TestResponseChecks(t *testing.T) {
	h := attackHarness(t)
	now := h.inst.Clock.Now()
	cases := []struct {
		name   string
		change func(f *forge)
		code   authos.ErrorCode
	}{
		{"expired", func(f *forge) {
			f.issued, f.notBefore, f.notOnOrAfter = now.Add(-20*time.Minute), now.Add(-20*time.Minute), now.Add(-10*time.Minute)
		}, authos.CodeSAMLExpired},
		{"expired beyond the skew", func(f *forge) { f.notOnOrAfter = now.Add(-91 * time.Second) }, authos.CodeSAMLExpired},
		{"not yet valid", func(f *forge) { f.notBefore = now.Add(10 * time.Minute) }, authos.CodeSAMLExpired},
		{"issued in the future", func(f *forge) {
			f.issued, f.notBefore, f.notOnOrAfter = now.Add(time.Hour), now.Add(time.Hour), now.Add(2*time.Hour)
		}, authos.CodeSAMLExpired},
		{"wrong audience", func(f *forge) { f.audience = "https://other.example/sp" }, authos.CodeInvalidSAMLResponse},
		{"missing audience", func(f *forge) { f.noAudience = true }, authos.CodeInvalidSAMLResponse},
		{"wrong recipient", func(f *forge) { f.recipient = "https://other.example/acs" }, authos.CodeInvalidSAMLResponse},
		{"wrong destination", func(f *forge) { f.destination = "https://other.example/acs"; f.signResponse = true }, authos.CodeInvalidSAMLResponse},
		{"wrong issuer", func(f *forge) { f.issuer = "https://other-idp.example" }, authos.CodeInvalidSAMLResponse},
		{"unknown InResponseTo", func(f *forge) { f.requestID = "_not-ours" }, authos.CodeInvalidSAMLResponse},
		{"empty InResponseTo with a valid RelayState", func(f *forge) { f.requestID = "" }, authos.CodeInvalidSAMLResponse},
		{"email outside the domains", func(f *forge) { f.nameID = "zoe@elsewhere.example" }, authos.CodeInvalidSAMLResponse},
		// The comment splits the NameID's text; canonicalization drops it,
		// and the whole text is read, whose domain is not owned.
		{"comment in the NameID", func(f *forge) { f.nameID = "zoe@corp.example.evil.test" }, authos.CodeInvalidSAMLResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			l := h.start(zoe)
			f := h.forge(l)
			tc.change(&f)
			doc := f.doc(t)
			if tc.name == "comment in the NameID" {
				raw, _ := doc.WriteToString()
				raw = strings.Replace(raw, "zoe@corp.example.evil.test", "zoe@corp.example<!---->.evil.test", 1)
				refused(t, h.postRaw(l, []byte(raw)), tc.code)
			} else {
				refused(t, h.postDoc(l, doc), tc.code)
			}
			noAccount(t, h, zoe, "zoe@elsewhere.example", "zoe@corp.example.evil.test")
		})
	}
}

// TestReplay: a request is answered once; an assertion id is accepted
// once, also by a second instance sharing the store.
func TestReplay(t *testing.T) {
	for _, b := range backends.List(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			sts := backends.Instances(t, b, 2)
			h := newHarness(t, sts[0])
			h.connect(nil)
			h.client()
			l := h.start(zoe)
			f := h.forge(l)
			raw, _ := f.doc(t).WriteToBytes()
			h.finish(l, location(t, h.postRaw(l, raw)))

			// The same response again: the request is used.
			refused(t, h.postRaw(l, raw), authos.CodeInvalidSAMLResponse)

			// The IdP (or a thief holding its key's output) answers a new
			// request with an assertion id already seen, at a second
			// instance on the same database.
			srv2 := httptest.NewServer(nil)
			t.Cleanup(srv2.Close)
			inst2 := authostest.New(t, func(c *authos.Config) {
				c.Store, c.BaseURL, c.Keyring, c.AutoApproveOrgs = sts[1], h.srv.URL, h.inst.Keyring(), true
				c.RateLimits.Disabled = true
			})
			if _, err := saml.New(inst2.Authos, saml.Config{}); err != nil {
				t.Fatal(err)
			}
			srv2.Config.Handler = oapitest.Handler(t, inst2.Handler())
			l2 := h.start(zoe)
			f2 := h.forge(l2)
			f2.assertionID = f.assertionID
			raw2, _ := f2.doc(t).WriteToBytes()
			a := post(t, l2.b, srv2.URL+"/saml/corp/acs", url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw2)}, "RelayState": {l2.relayState}})
			refused(t, a, authos.CodeInvalidSAMLResponse)
			// A fresh assertion id is accepted there.
			l3 := h.start(zoe)
			raw3, _ := h.forge(l3).doc(t).WriteToBytes()
			a = post(t, l3.b, srv2.URL+"/saml/corp/acs", url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw3)}, "RelayState": {l3.relayState}})
			h.finish(l3, location(t, a))
		})
	}
}

// TestUnsolicitedAndMalformed: IdP-initiated responses (no RelayState)
// while not allowed, and malformed input: 400 with the code, never 500.
func TestUnsolicitedAndMalformed(t *testing.T) {
	h := attackHarness(t)
	l := h.start(zoe)
	f := h.forge(l)
	f.requestID = ""
	raw, _ := f.doc(t).WriteToBytes()
	refused(t, h.acs(l.b, url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}}), authos.CodeInvalidSAMLResponse)

	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">` +
		`<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">` +
		`<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">` +
		`<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>` +
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x>&lol9;</x></samlp:Response>`
	for name, resp := range map[string]string{
		"not base64":     "%%%not base64%%%",
		"not XML":        base64.StdEncoding.EncodeToString([]byte("<samlp:Response <<<")),
		"not a Response": base64.StdEncoding.EncodeToString([]byte(`<a xmlns="urn:x"/>`)),
		"billion laughs": base64.StdEncoding.EncodeToString([]byte(laughs)),
		"empty":          "",
	} {
		t.Run(name, func(t *testing.T) {
			h.t = t
			l := h.start(zoe)
			refused(t, h.acs(l.b, url.Values{"SAMLResponse": {resp}, "RelayState": {l.relayState}}), authos.CodeInvalidSAMLResponse)
		})
	}
	// A body over the limit.
	l = h.start(zoe)
	a := h.acs(l.b, url.Values{"SAMLResponse": {strings.Repeat("A", 600<<10)}, "RelayState": {l.relayState}})
	if a.resp.StatusCode >= 500 || a.resp.StatusCode == http.StatusFound {
		t.Fatalf("oversized body: %d", a.resp.StatusCode)
	}
	noAccount(t, h, zoe)
}
