// Package saml is SAML 2.0 single sign-on per organization: an
// organization's admins connect its identity provider (metadata as XML or
// URL, the email domains it owns, the role new members get), and people
// whose email is in one of those domains sign in to the organization's
// services through it (OASIS SAML V2.0 Web Browser SSO profile:
// SP-initiated, a signed AuthnRequest over the HTTP-Redirect binding, the
// Response over the HTTP-POST binding; IdP-initiated where a connection
// allows it).
//
// Every response is checked: an XML signature over the Response or the
// Assertion by the configured IdP certificate (the signed element is the
// one read, so wrapping attacks fail), issuer, audience, recipient and
// destination, InResponseTo naming an AuthnRequest we issued and have not
// seen answered, validity window with a bounded clock skew, exactly one
// assertion, and a replay cache of assertion ids kept in the store until
// they expire (shared by every instance). Encrypted assertions are
// decrypted with the connection's own key.
//
// The browser is bound to the login through the RelayState: a random
// value that names the stored AuthnRequest and the pending sign-in flow
// (the IdP's POST to the ACS is cross-site, so a SameSite cookie would not
// come back). An accepted assertion finds or creates the account (JIT,
// email verified) and continues the flow through authos' one sign-in
// completion path, second factor included. The person's groups may map
// to organization roles, at joining and at each later sign-in.
//
// An unsolicited (IdP-initiated) response, where the connection allows
// it, passes the same checks but InResponseTo, which it must not carry;
// the browser then gets the hosted pages' sign-in session
// (authos.Extension.OpenSignIn) and goes to the landing service's
// initiate_login_uri with iss (OpenID Connect Core 1.0 §4, third-party
// initiated login), whose authorization request completes without asking.
//
// Metadata given as a URL is fetched again daily in the instance's
// housekeeping; a failure keeps the metadata in use and is shown on the
// connection.
//
// New registers the routes with authos.Extend; the store must offer
// store.SAMLStore. The SAML library (github.com/crewjam/saml) stays behind
// a small internal interface, and none of its package-level settings is
// changed.
package saml
