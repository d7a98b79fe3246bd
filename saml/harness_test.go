package saml_test

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/coreos/go-oidc/v3/oidc"
	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/saml"
	"github.com/authos/authos/store"
)

const (
	callback  = "https://app.example.com/callback"
	zoe       = "zoe@corp.example"
	ownerMail = "olive@corp.example"
)

// idp is crewjam/saml's IdentityProvider served over HTTP: it signs in
// whoever its session says, without a form.
type idp struct {
	srv    *httptest.Server
	idp    *crewjam.IdentityProvider
	key    *rsa.PrivateKey
	cert   *x509.Certificate
	email  string
	mfa    bool
	groups []string    // the session's groups (attribute eduPersonAffiliation)
	down   atomic.Bool // the metadata URL answers 500
	sp     string      // our metadata URL (the SP's entity id)
}

// GetServiceProvider fetches the SP's metadata from its entity id (our
// metadata URL; an AuthnRequest's issuer, or the IdP-initiated target).
func (p *idp) GetServiceProvider(r *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	if id == "" {
		id = p.sp
	}
	resp, err := http.Get(id)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	var ed crewjam.EntityDescriptor
	raw, _ := io.ReadAll(resp.Body)
	if err := xml.Unmarshal(raw, &ed); err != nil {
		return nil, err
	}
	return &ed, nil
}

func (p *idp) GetSession(w http.ResponseWriter, r *http.Request, req *crewjam.IdpAuthnRequest) *crewjam.Session {
	s := &crewjam.Session{ID: "sess-1", CreateTime: time.Now(), ExpireTime: time.Now().Add(time.Hour), Index: "1",
		NameID: p.email, NameIDFormat: string(crewjam.EmailAddressNameIDFormat), UserEmail: p.email, UserCommonName: "Zoe Zed",
		Groups: p.groups}
	if p.mfa {
		s.AuthnContextClassRef = "http://schemas.microsoft.com/claims/multipleauthn"
	}
	return s
}

func newKeyPair(t testing.TB, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

func newIDP(t testing.TB) *idp {
	t.Helper()
	p := &idp{email: zoe}
	p.key, p.cert = newKeyPair(t, "idp.example")
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	base, _ := url.Parse(p.srv.URL)
	md, sso := *base, *base
	md.Path, sso.Path = "/metadata", "/sso"
	p.idp = &crewjam.IdentityProvider{Key: p.key, Signer: p.key, Certificate: p.cert, MetadataURL: md, SSOURL: sso,
		ServiceProviderProvider: p, SessionProvider: p, SignatureMethod: dsig.RSASHA256SignatureMethod}
	mux.Handle("/", p.idp.Handler())
	mux.HandleFunc("/metadata", func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		p.idp.Handler().ServeHTTP(w, r)
	})
	// /start?sp=&RelayState= signs the session in to the SP unsolicited
	// (IdP-initiated): the auto-POST form of a Response without
	// InResponseTo.
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		sp := r.URL.Query().Get("sp")
		if sp == "" {
			sp = p.sp
		}
		p.idp.ServeIDPInitiated(w, r, sp, r.URL.Query().Get("RelayState"))
	})
	return p
}

func (p *idp) metadata(t testing.TB) string {
	t.Helper()
	b, err := xml.Marshal(p.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// harness is an instance with the hosted pages and package saml, the
// organization corp (owned by Olive) with a web service, and its SAML
// connection to the IdP.
type harness struct {
	t     *testing.T
	inst  *authostest.Instance
	srv   *httptest.Server
	saml  *saml.Service
	idp   *idp
	org   authos.Organization
	web   authos.ServiceView
	owner string // Olive's access token
	conf  *oauth2.Config
	idv   *oidc.IDTokenVerifier
}

func newHarness(t *testing.T, st store.Storage) *harness {
	t.Helper()
	h := &harness{t: t}
	// Checked against openapi.yaml; the wrapper is built here, on the
	// test's goroutine (it may fail t), the instance's handler at each
	// request (the instance needs the server's URL first).
	h.srv = httptest.NewServer(oapitest.Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.inst.Handler().ServeHTTP(w, r) })))
	t.Cleanup(h.srv.Close)
	h.inst = authostest.New(t, func(c *authos.Config) {
		c.Store, c.BaseURL, c.AutoApproveOrgs = st, h.srv.URL, true
		c.RateLimits.Disabled = true
	})
	var err error
	if h.saml, err = saml.New(h.inst.Authos, saml.Config{AllowPrivateMetadataURLs: true}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	h.owner = authostest.Token(t, h.inst, ownerMail, authostest.Name("Olive"))
	p, err := h.inst.VerifyAccessToken(ctx, h.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	h.org, _, err = h.inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "corp", Name: "Corp"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	h.web, err = h.inst.CreateService(ctx, p.UserID, h.org, authos.ServiceInput{Slug: str("web"), Name: str("Web"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{callback}})
	if err != nil {
		t.Fatal(err)
	}
	h.idp = newIDP(t)
	h.idp.sp = h.srv.URL + "/saml/corp/metadata"
	return h
}

// api sends a JSON request with Olive's token.
func (h *harness) api(method, path string, body any) authostest.Response {
	h.t.Helper()
	req := authostest.NewJSONRequest(h.t, method, h.srv.URL+path, map[string]string{"Authorization": "Bearer " + h.owner}, body)
	return authostest.Send(h.t, http.DefaultClient, req)
}

// connect configures the connection with the IdP's metadata URL.
func (h *harness) connect(extra map[string]any) authostest.Response {
	h.t.Helper()
	body := map[string]any{"idp_metadata_url": h.idp.srv.URL + "/metadata", "domains": []string{"corp.example"}, "default_role": "member"}
	for k, v := range extra {
		body[k] = v
	}
	r := h.api(http.MethodPut, "/api/organizations/corp/saml", body)
	if r.Status != http.StatusOK {
		h.t.Fatalf("PUT saml: %d %s", r.Status, r.Raw)
	}
	return r
}

func (h *harness) client() {
	h.t.Helper()
	provider, err := oidc.NewProvider(h.t.Context(), h.srv.URL)
	if err != nil {
		h.t.Fatal(err)
	}
	h.conf = &oauth2.Config{ClientID: h.web.ClientID, ClientSecret: h.web.ClientSecret, RedirectURL: callback,
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"}}
	h.idv = provider.Verifier(&oidc.Config{ClientID: h.web.ClientID})
}

func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type answer struct {
	resp *http.Response
	body string
}

func do(t *testing.T, b *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp, string(raw)}
}

func get(t *testing.T, b *http.Client, u string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(t, b, req)
}

func post(t *testing.T, b *http.Client, u string, form url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, b, req)
}

func location(t *testing.T, a answer) *url.URL {
	t.Helper()
	if a.resp.StatusCode != http.StatusFound {
		t.Fatalf("%s %s: status %d; want 302\n%s", a.resp.Request.Method, a.resp.Request.URL, a.resp.StatusCode, a.body)
	}
	u, err := a.resp.Request.URL.Parse(a.resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	inputRE  = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)
)

// login is an SP-initiated login in progress: the browser has been sent to
// the IdP with a signed AuthnRequest.
type login struct {
	b                      *http.Client
	verifier, state, nonce string
	toIDP                  *url.URL // the redirect to the IdP (SAMLRequest, RelayState, signature)
	requestID, relayState  string
}

// start runs the client's authorization request, the hosted page's
// home-realm discovery for email and our login redirect.
func (h *harness) start(email string) *login {
	h.t.Helper()
	t := h.t
	l := &login{b: browser(t), verifier: oauth2.GenerateVerifier(), state: "st-" + randHex(t), nonce: "n-" + randHex(t)}
	to := location(t, get(t, l.b, h.conf.AuthCodeURL(l.state, oauth2.S256ChallengeOption(l.verifier), oidc.Nonce(l.nonce))))
	page := get(t, l.b, to.String())
	if page.resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page: %d\n%s", page.resp.StatusCode, page.body)
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	form.Set("email", email)
	ssoLogin := location(t, post(t, l.b, h.srv.URL+"/auth/signin", form))
	if ssoLogin.Path != "/saml/corp/login" {
		t.Fatalf("home-realm discovery sent the browser to %s; want /saml/corp/login", ssoLogin)
	}
	l.toIDP = location(t, get(t, l.b, ssoLogin.String()))
	q := l.toIDP.Query()
	l.relayState = q.Get("RelayState")
	if !strings.HasPrefix(l.toIDP.String(), h.idp.srv.URL+"/sso?") || q.Get("Signature") == "" || q.Get("SigAlg") != dsig.RSASHA256SignatureMethod ||
		l.relayState == "" || len(l.relayState) > 80 {
		t.Fatalf("redirect to the IdP %s: want its SSO URL with a signed AuthnRequest and a RelayState of at most 80 bytes", l.toIDP)
	}
	raw, err := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	xmlReq, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xmlReq); err != nil {
		t.Fatal(err)
	}
	l.requestID = doc.Root().SelectAttrValue("ID", "")
	return l
}

// atIDP has the IdP answer the AuthnRequest and returns the auto-POST
// form's SAMLResponse and RelayState.
func (h *harness) atIDP(l *login) url.Values {
	h.t.Helper()
	a := get(h.t, l.b, l.toIDP.String())
	if a.resp.StatusCode != http.StatusOK {
		h.t.Fatalf("IdP: %d\n%s", a.resp.StatusCode, a.body)
	}
	form := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(a.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("SAMLResponse") == "" || form.Get("RelayState") != l.relayState {
		h.t.Fatalf("IdP form lacks SAMLResponse or RelayState:\n%s", a.body)
	}
	return form
}

// acs posts form to the ACS from the browser.
func (h *harness) acs(b *http.Client, form url.Values) answer {
	h.t.Helper()
	return post(h.t, b, h.srv.URL+"/saml/corp/acs", form)
}

// finish checks the redirect to the client and redeems the code.
func (h *harness) finish(l *login, back *url.URL) *oidc.IDToken {
	h.t.Helper()
	q := back.Query()
	if back.Scheme+"://"+back.Host+back.Path != callback || q.Get("state") != l.state || q.Get("code") == "" {
		h.t.Fatalf("redirect %s; want %s with code and state", back, callback)
	}
	tok, err := h.conf.Exchange(h.t.Context(), q.Get("code"), oauth2.VerifierOption(l.verifier))
	if err != nil {
		h.t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := h.idv.Verify(h.t.Context(), raw)
	if err != nil {
		h.t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != l.nonce {
		h.t.Fatalf("nonce %q; want %q", idt.Nonce, l.nonce)
	}
	return idt
}

func randHex(t testing.TB) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToLower(big.NewInt(0).SetBytes(b).Text(16))
}

// refused checks an ACS answer: the error page with code, and no sign-in
// cookie set.
func refused(t *testing.T, a answer, code authos.ErrorCode) {
	t.Helper()
	if a.resp.StatusCode != http.StatusBadRequest || !strings.Contains(a.body, string(code)) {
		t.Fatalf("ACS: status %d; want 400 with %s\n%s", a.resp.StatusCode, code, a.body)
	}
	for _, c := range a.resp.Cookies() {
		if strings.Contains(c.Name, "signin") && c.MaxAge >= 0 {
			t.Fatalf("ACS refusal set cookie %s", c.Name)
		}
	}
	if loc := a.resp.Header.Get("Location"); loc != "" {
		t.Fatalf("ACS refusal redirected to %s", loc)
	}
}

// signer signs XML elements with key and cert (an IdP's, or another).
type signer struct {
	ctx *dsig.SigningContext
}

func newSigner(key *rsa.PrivateKey, cert *x509.Certificate) signer {
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	_ = ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod)
	return signer{ctx}
}

// sign replaces el (a child of its parent) by its signed copy, the
// Signature right after the Issuer as the schema wants, and returns it.
func (s signer) sign(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	signed, err := s.ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	// goxmldsig appends the Signature to the copy's child list directly;
	// rebuild the list with it after the Issuer.
	var sig *etree.Element
	kids := signed.Child[:0:0]
	for _, c := range signed.Child {
		if e, ok := c.(*etree.Element); ok && e.Tag == "Signature" {
			sig = e.Copy()
			continue
		}
		kids = append(kids, c)
	}
	signed.Child = nil
	for _, c := range kids {
		signed.AddChild(c)
	}
	signed.InsertChildAt(1, sig)
	if parent := el.Parent(); parent != nil {
		i := el.Index()
		parent.RemoveChild(el)
		parent.InsertChildAt(i, signed)
	}
	return signed
}

// forge describes a response to build and sign.
type forge struct {
	requestID, assertionID, issuer, nameID, audience, recipient, destination string
	noAudience                                                               bool
	issued, notBefore, notOnOrAfter                                          time.Time
	signResponse, signAssertion                                              bool
	by                                                                       signer
	encryptTo                                                                *x509.Certificate // the SP's: the assertion goes encrypted
}

func (h *harness) forge(l *login) forge {
	now := h.inst.Clock.Now()
	return forge{requestID: l.requestID, assertionID: "_a" + randHex(h.t), issuer: h.idp.srv.URL + "/metadata", nameID: zoe, audience: h.srv.URL + "/saml/corp/metadata",
		recipient: h.srv.URL + "/saml/corp/acs", destination: h.srv.URL + "/saml/corp/acs",
		issued: now, notBefore: now.Add(-time.Minute), notOnOrAfter: now.Add(5 * time.Minute),
		signAssertion: true, by: newSigner(h.idp.key, h.idp.cert)}
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// doc builds the response document, signed as f says.
func (f forge) doc(t testing.TB) *etree.Document {
	t.Helper()
	aud := `<saml:AudienceRestriction><saml:Audience>` + f.audience + `</saml:Audience></saml:AudienceRestriction>`
	if f.noAudience {
		aud = ""
	}
	src := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r` + randHex(t) +
		`" Version="2.0" IssueInstant="` + ts(f.issued) + `" Destination="` + f.destination + `" InResponseTo="` + f.requestID + `">` +
		`<saml:Issuer>` + f.issuer + `</saml:Issuer>` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` + f.assertionID + `" Version="2.0" IssueInstant="` + ts(f.issued) + `">` +
		`<saml:Issuer>` + f.issuer + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">` + f.nameID + `</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="` + f.requestID +
		`" NotOnOrAfter="` + ts(f.notOnOrAfter) + `" Recipient="` + f.recipient + `"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotBefore="` + ts(f.notBefore) + `" NotOnOrAfter="` + ts(f.notOnOrAfter) + `">` + aud + `</saml:Conditions>` +
		`<saml:AuthnStatement AuthnInstant="` + ts(f.issued) + `" SessionIndex="s1"><saml:AuthnContext><saml:AuthnContextClassRef>` +
		`urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
		`</saml:Assertion></samlp:Response>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(src); err != nil {
		t.Fatal(err)
	}
	if f.signAssertion {
		f.by.sign(t, doc.Root().SelectElement("Assertion"))
	}
	if f.encryptTo != nil {
		as := doc.Root().SelectElement("Assertion")
		one := etree.NewDocument()
		one.SetRoot(as.Copy())
		plain, err := one.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		enc := xmlenc.OAEP()
		enc.BlockCipher = xmlenc.AES128GCM
		data, err := enc.Encrypt(f.encryptTo, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
		ea := etree.NewElement("saml:EncryptedAssertion")
		ea.AddChild(data)
		i := as.Index()
		doc.Root().RemoveChild(as)
		doc.Root().InsertChildAt(i, ea)
	}
	if f.signResponse {
		doc.SetRoot(f.by.sign(t, doc.Root()))
	}
	// Read back, so that the tree an attack edits is a plain one.
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	out := etree.NewDocument()
	if err := out.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return out
}

// spCert is our encryption certificate from the SP metadata.
func (h *harness) spCert() *x509.Certificate {
	h.t.Helper()
	ed, err := h.idp.GetServiceProvider(nil, h.srv.URL+"/saml/corp/metadata")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, d := range ed.SPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "encryption" || len(kd.KeyInfo.X509Data.X509Certificates) == 0 {
				continue
			}
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(kd.KeyInfo.X509Data.X509Certificates[0].Data), ""))
			if err != nil {
				h.t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				h.t.Fatal(err)
			}
			return cert
		}
	}
	h.t.Fatal("no encryption certificate in the SP metadata")
	return nil
}

// post sends the document to the ACS with the login's RelayState.
func (h *harness) postDoc(l *login, doc *etree.Document) answer {
	h.t.Helper()
	raw, err := doc.WriteToBytes()
	if err != nil {
		h.t.Fatal(err)
	}
	return h.postRaw(l, raw)
}

func (h *harness) postRaw(l *login, raw []byte) answer {
	h.t.Helper()
	return h.acs(l.b, url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}, "RelayState": {l.relayState}})
}
