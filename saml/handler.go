package saml

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

type none = struct{}

// maxACSBytes bounds the ACS form (the base64 Response and RelayState).
const maxACSBytes = 512 << 10

// AMRSAML is the amr value of a SAML sign-in; authos.AMRMFA goes beside
// it when the IdP says the person passed more than one factor.
const AMRSAML = "saml"

func (s *Service) routes() []authos.Route {
	a := s.a
	admin := a.RequireOrgRole(store.RoleAdmin)
	org := func(r *http.Request) authos.Organization { o, _, _ := authos.OrgFrom(r.Context()); return o }
	role := func(r *http.Request) string { _, m, _ := authos.OrgFrom(r.Context()); return m.Role }
	const api = "/api/organizations/{org}/saml"
	return []authos.Route{
		{Pattern: "GET " + api, Handler: admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (Connection, error) {
			return s.Get(r.Context(), org(r))
		}))},
		{Pattern: "PUT " + api, Handler: admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in ConnectionInput) (Connection, error) {
			return s.Put(r.Context(), p.UserID, role(r), org(r), in)
		}))},
		{Pattern: "DELETE " + api, Handler: admin(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *authos.Principal, _ none) (none, error) {
			return none{}, s.Delete(r.Context(), p.UserID, org(r))
		}))},
		{Pattern: "GET /saml/{org}/metadata", Handler: http.HandlerFunc(s.serveMetadata)},
		{Pattern: "GET /saml/{org}/login", Handler: http.HandlerFunc(s.serveLogin)},
		{Pattern: "POST /saml/{org}/acs", Handler: http.HandlerFunc(s.serveACS)},
	}
}

// connection returns the organization with slug and its enabled
// connection; SAML_NOT_CONFIGURED otherwise.
func (s *Service) connection(ctx context.Context, slug string) (authos.Organization, store.SAMLConnection, error) {
	o, err := s.st.GetOrgBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return o, store.SAMLConnection{}, notConfigured()
	}
	if err != nil {
		return o, store.SAMLConnection{}, authos.AsError(err)
	}
	c, err := s.st.GetSAMLConnection(ctx, o.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !c.Enabled {
		return o, store.SAMLConnection{}, notConfigured()
	}
	if err != nil {
		return o, store.SAMLConnection{}, authos.AsError(err)
	}
	return o, c, nil
}

// serveMetadata (GET /saml/{org}/metadata) is our SP metadata for the
// organization's connection.
func (s *Service) serveMetadata(w http.ResponseWriter, r *http.Request) {
	o, c, err := s.connection(r.Context(), r.PathValue("org"))
	if err != nil {
		s.a.WriteError(w, r, err)
		return
	}
	p, err := s.providerOf(o.Slug, c)
	var b []byte
	if err == nil {
		b, err = p.metadata()
	}
	if err != nil {
		s.a.WriteError(w, r, authos.WrapError(authos.CodeInternalServerError, "", err))
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// discover is the hosted page's home-realm discovery: an email in a domain
// of an enabled connection goes to that connection's login.
func (s *Service) discover(ctx context.Context, f authos.SignInFlow, email string) (string, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 || len(email) > 320 {
		return "", false
	}
	c, err := s.st.FindSAMLConnectionByDomain(ctx, strings.ToLower(email[at+1:]))
	if err != nil || !c.Enabled {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.a.Logger().Error("saml: home-realm discovery", "error", err)
		}
		return "", false
	}
	o, err := s.st.GetOrg(ctx, c.OrgID)
	if err != nil {
		return "", false
	}
	return s.a.Config().BaseURL + "/saml/" + url.PathEscape(o.Slug) + "/login?flow=" + url.QueryEscape(f.ID), c.PasswordSignInDisabled
}

// serveLogin (GET /saml/{org}/login?flow=) starts an SP-initiated login
// for the pending sign-in flow: the AuthnRequest is stored under the hash
// of a fresh RelayState, and the browser goes to the IdP.
func (s *Service) serveLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ext := authos.Extend(s.a)
	flow := r.URL.Query().Get("flow")
	f, err := ext.SignInFlow(ctx, flow)
	if err != nil {
		ext.SignInError(w, r, err)
		return
	}
	o, c, err := s.connection(ctx, r.PathValue("org"))
	if err != nil {
		ext.SignInError(w, r, err)
		return
	}
	err = func() error {
		p, err := s.providerOf(o.Slug, c)
		if err != nil {
			return err
		}
		relay := randx.Token(32)
		to, id, err := p.authnRequest(relay)
		if err != nil {
			return err
		}
		sealed, err := s.a.Keyring().Encrypt([]byte(f.ID), flowAAD(c.ID))
		if err != nil {
			return err
		}
		now := s.a.Now()
		if err := s.st.CreateSAMLRequest(ctx, store.SAMLRequest{Hash: hashx.SHA256Hex(relay), RequestID: id,
			ConnectionID: c.ID, Flow: sealed, CreatedAt: now, ExpiresAt: now.Add(s.cfg.RequestTTL)}); err != nil {
			return err
		}
		httpx.Redirect(w, r, to)
		return nil
	}()
	if err != nil {
		ext.SignInError(w, r, authos.WrapError(authos.CodeInternalServerError, "", err))
	}
}

func flowAAD(connID string) []byte { return []byte("authos/saml/flow/" + connID) }

// refusal is the error shown for a refused response; cause goes to the
// log only.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, code authos.ErrorCode, msg string, cause error) {
	attrs := []any{"error_code", string(code), "path", r.URL.Path}
	if cause != nil {
		attrs = append(attrs, "cause", cause.Error())
	}
	s.a.Logger().Warn("saml: response refused", attrs...)
	authos.Extend(s.a).SignInError(w, r, authos.NewError(code, msg))
}

const (
	msgInvalid   = "The sign-in response of the identity provider is not valid"
	msgSignature = "The sign-in response of the identity provider is not correctly signed"
	msgExpired   = "The sign-in response of the identity provider has expired or is not valid yet"
)

// serveACS (POST /saml/{org}/acs) is the assertion consumer service.
// A response answers the request its RelayState names (SP-initiated);
// with allow_idp_initiated, one whose RelayState names no request of ours
// is unsolicited (IdP-initiated): it must carry no InResponseTo and pass
// every other check.
func (s *Service) serveACS(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ext := authos.Extend(s.a)
	if err := ext.ParseForm(w, r, maxACSBytes); err != nil {
		s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, err)
		return
	}
	o, c, err := s.connection(ctx, r.PathValue("org"))
	if err != nil {
		ext.SignInError(w, r, err)
		return
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.PostForm.Get("SAMLResponse")), ""))
	if err != nil || len(raw) == 0 {
		s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, errors.New("SAMLResponse is not base64"))
		return
	}
	relay := r.PostForm.Get("RelayState")
	if len(relay) > 80 {
		s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, errors.New("RelayState longer than 80 bytes"))
		return
	}
	now := s.a.Now()
	var req store.SAMLRequest
	solicited := false
	if relay != "" {
		req, err = s.st.ConsumeSAMLRequest(ctx, hashx.SHA256Hex(relay), now)
		switch {
		case err == nil && req.ConnectionID != c.ID:
			s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, errors.New("request of another connection"))
			return
		case err == nil:
			solicited = true
		case errors.Is(err, store.ErrNotFound) && c.AllowIDPInitiated:
			// A RelayState of the IdP's own: an unsolicited response.
		default:
			s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, err)
			return
		}
	}
	var flow []byte
	var landing store.Service
	switch {
	case solicited:
		if flow, err = s.a.Keyring().Decrypt(req.Flow, flowAAD(c.ID)); err != nil {
			ext.SignInError(w, r, authos.WrapError(authos.CodeInternalServerError, "", err))
			return
		}
	case !c.AllowIDPInitiated:
		// An unsolicited (IdP-initiated) response has no flow to continue.
		s.refuse(w, r, authos.CodeInvalidSAMLResponse, "Start the sign-in from the application", errors.New("no RelayState: IdP-initiated"))
		return
	default:
		landing, err = s.st.GetService(ctx, c.IDPInitiatedServiceID)
		if errors.Is(err, store.ErrNotFound) || err == nil && landing.OrgID != o.ID {
			err = authos.NewError(authos.CodeSAMLNotConfigured, "The SAML connection names no application for sign-ins started at the identity provider")
		}
		if err != nil {
			ext.SignInError(w, r, authos.AsError(err))
			return
		}
	}
	p, err := s.providerOf(o.Slug, c)
	if err != nil {
		ext.SignInError(w, r, authos.WrapError(authos.CodeInternalServerError, "", err))
		return
	}
	as, err := p.parse(raw, req.RequestID)
	switch {
	case errors.Is(err, errSignature):
		s.refuse(w, r, authos.CodeSAMLSignatureInvalid, msgSignature, err)
		return
	case errors.Is(err, errExpired):
		s.refuse(w, r, authos.CodeSAMLExpired, msgExpired, err)
		return
	case err != nil:
		s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, err)
		return
	}
	skew := s.cfg.ClockSkew
	if now.Before(as.NotBefore.Add(-skew)) || !as.NotOnOrAfter.IsZero() && !now.Before(as.NotOnOrAfter.Add(skew)) {
		s.refuse(w, r, authos.CodeSAMLExpired, msgExpired, errors.New("outside the validity window"))
		return
	}
	until := as.Expires.Add(skew)
	if min := now.Add(skew); until.Before(min) {
		until = min
	}
	if err := s.st.UseSAMLAssertion(ctx, c.ID, as.ID, until, now); err != nil {
		if errors.Is(err, store.ErrUsed) {
			s.refuse(w, r, authos.CodeInvalidSAMLResponse, msgInvalid, errors.New("assertion replayed"))
			return
		}
		ext.SignInError(w, r, authos.AsError(err))
		return
	}
	email, name := s.identity(c, as)
	if email == "" {
		s.refuse(w, r, authos.CodeInvalidSAMLResponse, "The identity provider did not send an email address of the organization's domains", nil)
		return
	}
	user, err := s.provision(ctx, o, c, email, name, s.groups(c, as))
	if err != nil {
		ext.SignInError(w, r, err)
		return
	}
	amr := []string{AMRSAML}
	if slices.ContainsFunc(as.AuthnClasses, isMFAClass) {
		amr = append(amr, authos.AMRMFA)
	}
	if solicited {
		ext.ContinueSignIn(w, r, string(flow), user, amr)
		return
	}
	s.land(w, r, o, c, landing, user, amr, relay)
}

// land ends an IdP-initiated sign-in: the browser gets the hosted pages'
// sign-in session and goes to the landing service's initiate_login_uri
// with iss (OpenID Connect Core §4, third-party initiated login), so that
// the service starts an ordinary authorization request, which completes
// without asking. When a second factor is due no session is opened and
// login_hint is added: the service's request then signs the person in
// through the IdP again (home-realm discovery) and runs the second-factor
// step. A RelayState that is exactly one of the service's redirect URIs
// is passed on as target_link_uri; any other is ignored.
func (s *Service) land(w http.ResponseWriter, r *http.Request, o authos.Organization, c store.SAMLConnection,
	svc store.Service, user authos.User, amr []string, relay string) {
	ext := authos.Extend(s.a)
	opened, err := ext.OpenSignIn(w, r, user, authos.LoginContext{Method: AMRSAML, AMR: amr, OrgID: o.ID, Org: o.Slug,
		ServiceID: svc.ID, Service: svc.Slug, ClientIP: s.a.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		ext.SignInError(w, r, err)
		return
	}
	u, err := url.Parse(c.IDPInitiatedLoginURI)
	if err != nil {
		ext.SignInError(w, r, authos.WrapError(authos.CodeInternalServerError, "", err))
		return
	}
	q := u.Query()
	q.Set("iss", s.a.Config().Issuer)
	if !opened {
		q.Set("login_hint", user.Email)
	}
	if relay != "" && slices.Contains(svc.RedirectURIs, relay) {
		q.Set("target_link_uri", relay)
	}
	u.RawQuery = q.Encode()
	httpx.Redirect(w, r, u.String())
}

// Default attribute names (Entra ID / ADFS claim URIs, the LDAP OIDs and
// the plain names Okta and others send).
var (
	emailAttrs = []string{"email", "mail", "emailaddress", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"urn:oid:0.9.2342.19200300.100.1.3"}
	nameAttrs = []string{"name", "displayName", "http://schemas.microsoft.com/identity/claims/displayname",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "urn:oid:2.16.840.1.113730.3.1.241"}
)

// identity is the email (lower-cased, in one of the connection's domains;
// "" otherwise) and name the assertion carries.
func (s *Service) identity(c store.SAMLConnection, as *assertion) (string, string) {
	first := func(names ...string) string {
		for _, n := range names {
			if n == "" {
				continue
			}
			for _, v := range as.Attributes[n] {
				if v = strings.TrimSpace(v); v != "" {
					return v
				}
			}
		}
		return ""
	}
	var email string
	if c.EmailAttribute != "" {
		email = first(c.EmailAttribute)
	} else if email = first(emailAttrs...); email == "" {
		email = strings.TrimSpace(as.NameID)
	}
	email = strings.ToLower(email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") || !slices.Contains(c.Domains, email[at+1:]) {
		return "", ""
	}
	name := first(c.NameAttribute)
	if c.NameAttribute == "" {
		name = first(nameAttrs...)
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return email, name
}

// isMFAClass reports whether an AuthnContextClassRef says the person
// passed more than one factor.
func isMFAClass(ref string) bool {
	switch ref {
	case "http://schemas.microsoft.com/claims/multipleauthn",
		"urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
		"urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered",
		"urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
		"https://refeds.org/profile/mfa":
		return true
	}
	return false
}

// Default names of the groups attribute (Okta's usual statement, the
// LDAP memberOf, Entra ID's group claim).
var groupAttrs = []string{"groups", "memberOf", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"}

// groups returns the person's groups: the values of the connection's
// groups attribute, or of the default names (trimmed, empty ones
// dropped).
func (s *Service) groups(c store.SAMLConnection, as *assertion) []string {
	names := groupAttrs
	if c.GroupsAttribute != "" {
		names = []string{c.GroupsAttribute}
	}
	var out []string
	for _, n := range names {
		for _, v := range as.Attributes[n] {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// roleFor is the role the connection grants a person in groups: the
// highest role a group of theirs maps to, else the default role.
func roleFor(c store.SAMLConnection, groups []string) string {
	role := c.DefaultRole
	for _, g := range groups {
		if r, ok := c.GroupRoles[g]; ok && roleRank[r] > roleRank[role] {
			role = r
		}
	}
	return role
}

// provision finds or creates (JIT, verified) the account of email and
// makes it a member of o with the role its groups map to (else the
// connection's default role). An account that exists already must be a
// member of o: the organization's IdP vouches only for its own people.
// When the connection maps groups, an existing member's role follows
// their groups at each sign-in (member.role_changed, as a change through
// the API), except that an owner is never demoted by it: ownership is
// given up through the API only.
func (s *Service) provision(ctx context.Context, o authos.Organization, c store.SAMLConnection, email, name string, groups []string) (authos.User, error) {
	var user authos.User
	role := roleFor(c, groups)
	err := s.tx(ctx, func(tx samlTx) error {
		now := s.a.Now()
		ext := authos.Extend(s.a)
		u, err := tx.GetUserByEmail(ctx, email)
		switch {
		case err == nil:
			m, err := tx.GetMember(ctx, o.ID, u.ID)
			if errors.Is(err, store.ErrNotFound) {
				return authos.NewError(authos.CodeNotOrganizationMember,
					"An account with this email exists already; an organization admin must add it before it signs in with SAML")
			}
			if err != nil {
				return err
			}
			if m.Status == store.MemberSuspended {
				return authos.NewError(authos.CodeForbidden, "The membership in this organization is suspended")
			}
			user = u
			if len(c.GroupRoles) == 0 || m.Role == role || m.Role == store.RoleOwner {
				return nil
			}
			if err := tx.SetMemberRole(ctx, o.ID, u.ID, role); err != nil {
				return err
			}
			return ext.Emit(ctx, tx, authos.Event{Type: event.MemberRoleChanged, OrgID: o.ID, TargetID: u.ID,
				Data: map[string]any{"from": m.Role, "to": role, "via": "saml_group"}})
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		n, err := tx.CountMembers(ctx, o.ID)
		if err != nil {
			return err
		}
		if l := s.a.LimitsOf(o).MaxMembers; l >= 0 && n >= l {
			return authos.NewError(authos.CodeTeamLimitExceeded, "The organization's member limit is reached")
		}
		user = store.User{ID: randx.ID(), Email: email, Name: name, EmailVerified: true, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateUser(ctx, user); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, store.Membership{OrgID: o.ID, UserID: user.ID, Role: role, CreatedAt: now}); err != nil {
			return err
		}
		return ext.Emit(ctx, tx, authos.Event{Type: event.MemberAdded, OrgID: o.ID, TargetID: user.ID,
			Data: map[string]any{"role": role, "via": "saml"}})
	})
	if err != nil {
		return authos.User{}, authos.AsError(err)
	}
	return user, nil
}
