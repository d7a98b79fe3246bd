package memory

import (
	"bytes"
	"maps"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

// state is everything the store holds. Values in the maps are private copies:
// no slice in them is shared with a caller.
type state struct {
	users       map[string]store.User               // by id
	emails      map[string]string                   // lower-cased email -> user id
	passwords   map[string]store.PasswordCredential // by user id
	tokens      map[string]store.OneTimeToken       // by hash
	sessions    map[string]store.Session            // by id
	revokedGone map[string]time.Time                // deleted users' sessions -> revoked at
	refresh     map[string]store.RefreshToken       // by hash
	failures    map[string]store.LoginFailures      // by key
	keys        map[string]store.SigningKey         // by id
	outbox      map[string]store.OutboxMessage      // by id
	audit       map[string]store.AuditEntry         // by id
	orgs        map[string]store.Organization       // by id
	members     map[memberKey]store.Membership      // by (org id, user id)
	invitations map[string]store.Invitation         // by id
	services    map[string]store.Service            // by id
	apiKeys     map[string]store.APIKey             // by id
	events      map[eventKey]time.Time              // processed events -> when
	mfa         map[string]store.MFAFactor          // by user id
	backupCodes map[backupKey]backupCode            // by (user id, hash)
	devices     map[string]deviceRow                // by device-code hash
	scimTokens  map[string]store.SCIMToken          // by id
	scimUsers   map[memberKey]store.SCIMUser        // by (org id, user id)
	scimGroups  map[string]store.SCIMGroup          // by id
	scimMembers map[groupMemberKey]string           // group members -> org id
	webhooks    map[string]store.WebhookEndpoint    // by id
	deliveries  map[string]store.WebhookDelivery    // by id
	authReqs    map[string]store.AuthRequest        // by id hash
	authCodes   map[string]store.AuthCode           // by hash
	signIns     map[string]string                   // sign-in cookie hash -> session id
	families    map[string][]string                 // sign-in session id -> families, sorted
	// Social login.
	oauthProviders  map[string]store.OAuthProvider // by providerKey(org id, provider)
	oauthStates     map[string]store.OAuthState    // by hash
	oauthIdentities map[string]store.OAuthIdentity // by id
	// SAML single sign-on.
	samlConns map[string]store.SAMLConnection // by org id
	samlReqs  map[string]store.SAMLRequest    // by RelayState hash
	samlUsed  map[string]time.Time            // samlAssertionKey -> expiry
}

func newState() *state {
	return &state{
		users:       map[string]store.User{},
		emails:      map[string]string{},
		passwords:   map[string]store.PasswordCredential{},
		tokens:      map[string]store.OneTimeToken{},
		sessions:    map[string]store.Session{},
		revokedGone: map[string]time.Time{},
		refresh:     map[string]store.RefreshToken{},
		failures:    map[string]store.LoginFailures{},
		keys:        map[string]store.SigningKey{},
		outbox:      map[string]store.OutboxMessage{},
		audit:       map[string]store.AuditEntry{},
		orgs:        map[string]store.Organization{},
		members:     map[memberKey]store.Membership{},
		invitations: map[string]store.Invitation{},
		services:    map[string]store.Service{},
		apiKeys:     map[string]store.APIKey{},
		events:      map[eventKey]time.Time{},
		mfa:         map[string]store.MFAFactor{},
		backupCodes: map[backupKey]backupCode{},
		devices:     map[string]deviceRow{},
		scimTokens:  map[string]store.SCIMToken{},
		scimUsers:   map[memberKey]store.SCIMUser{},
		scimGroups:  map[string]store.SCIMGroup{},
		scimMembers: map[groupMemberKey]string{},
		webhooks:    map[string]store.WebhookEndpoint{},
		deliveries:  map[string]store.WebhookDelivery{},
		authReqs:    map[string]store.AuthRequest{},
		authCodes:   map[string]store.AuthCode{},
		signIns:     map[string]string{},
		families:    map[string][]string{},

		oauthProviders:  map[string]store.OAuthProvider{},
		oauthStates:     map[string]store.OAuthState{},
		oauthIdentities: map[string]store.OAuthIdentity{},

		samlConns: map[string]store.SAMLConnection{},
		samlReqs:  map[string]store.SAMLRequest{},
		samlUsed:  map[string]time.Time{},
	}
}

// clone returns a deep copy of st.
func (st *state) clone() *state {
	return &state{
		users:       maps.Clone(st.users),
		emails:      maps.Clone(st.emails),
		passwords:   maps.Clone(st.passwords),
		tokens:      cloneMap(st.tokens, copyToken),
		sessions:    cloneMap(st.sessions, copySession),
		revokedGone: maps.Clone(st.revokedGone),
		refresh:     maps.Clone(st.refresh),
		failures:    maps.Clone(st.failures),
		keys:        cloneMap(st.keys, copyKey),
		outbox:      cloneMap(st.outbox, copyMsg),
		audit:       cloneMap(st.audit, copyAudit),
		orgs:        maps.Clone(st.orgs),
		members:     maps.Clone(st.members),
		invitations: maps.Clone(st.invitations),
		services:    cloneMap(st.services, copyService),
		apiKeys:     cloneMap(st.apiKeys, copyAPIKey),
		events:      maps.Clone(st.events),
		mfa:         cloneMap(st.mfa, copyMFAFactor),
		backupCodes: maps.Clone(st.backupCodes),
		devices:     cloneMap(st.devices, copyDevice),
		scimTokens:  maps.Clone(st.scimTokens),
		scimUsers:   cloneSCIMUsers(st.scimUsers),
		scimGroups:  maps.Clone(st.scimGroups),
		scimMembers: maps.Clone(st.scimMembers),
		webhooks:    cloneMap(st.webhooks, copyEndpoint),
		deliveries:  cloneMap(st.deliveries, copyDelivery),
		authReqs:    maps.Clone(st.authReqs),
		authCodes:   cloneMap(st.authCodes, copyAuthCode),
		signIns:     maps.Clone(st.signIns),
		families:    cloneMap(st.families, slices.Clone[[]string]),

		oauthProviders:  cloneMap(st.oauthProviders, copyOAuthProvider),
		oauthStates:     cloneMap(st.oauthStates, copyOAuthState),
		oauthIdentities: cloneMap(st.oauthIdentities, copyOAuthIdentity),

		samlConns: cloneMap(st.samlConns, copySAMLConnection),
		samlReqs:  cloneMap(st.samlReqs, copySAMLRequest),
		samlUsed:  maps.Clone(st.samlUsed),
	}
}

// cloneMap copies m, copying each value with cp.
func cloneMap[V any](m map[string]V, cp func(V) V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = cp(v)
	}
	return out
}

func copyToken(t store.OneTimeToken) store.OneTimeToken {
	t.Data = bytes.Clone(t.Data)
	return t
}

func copySession(s store.Session) store.Session {
	s.AMR = slices.Clone(s.AMR)
	return s
}

func copyKey(k store.SigningKey) store.SigningKey {
	k.PrivateKey = bytes.Clone(k.PrivateKey)
	k.PublicKey = bytes.Clone(k.PublicKey)
	return k
}

func copyMsg(m store.OutboxMessage) store.OutboxMessage {
	m.Payload = bytes.Clone(m.Payload)
	return m
}

func copyAudit(e store.AuditEntry) store.AuditEntry {
	e.Before = bytes.Clone(e.Before)
	e.After = bytes.Clone(e.After)
	return e
}

func copyService(s store.Service) store.Service {
	s.RedirectURIs = slices.Clone(s.RedirectURIs)
	s.PostLogoutRedirectURIs = slices.Clone(s.PostLogoutRedirectURIs)
	return s
}

func copyAPIKey(k store.APIKey) store.APIKey {
	k.Scopes = slices.Clone(k.Scopes)
	return k
}
