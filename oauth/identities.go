package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Identity is a linked provider account as its owner sees it.
type Identity struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	Email    string `json:"email"`
	// OrganizationID is set when the identity was made with an
	// organization's own credentials.
	OrganizationID string `json:"organization_id,omitempty"`
	// NeedsConsent: the provider refused to renew access; signing in with
	// it again restores it.
	NeedsConsent bool `json:"needs_consent"`
	// Unconfirmed: made with its account by an organization's own provider
	// and waiting for the email address's confirmation; it signs nobody in
	// until then, and is dropped if the address is proven another way.
	Unconfirmed bool   `json:"unconfirmed"`
	CreatedAt   string `json:"created_at"`
}

func identityView(i store.OAuthIdentity) Identity {
	return Identity{ID: i.ID, Provider: i.Provider, Subject: i.Subject, Email: i.Email, OrganizationID: i.OrgID,
		NeedsConsent: i.NeedsConsent, Unconfirmed: i.Unconfirmed, CreatedAt: stamp(i.CreatedAt)}
}

// Identities lists userID's linked provider accounts, oldest first.
func (s *Service) Identities(ctx context.Context, userID string) ([]Identity, error) {
	is, err := s.st.ListOAuthIdentities(ctx, userID)
	if err != nil {
		return nil, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	out := make([]Identity, 0, len(is))
	for _, i := range is {
		out = append(out, identityView(i))
	}
	return out, nil
}

// LinkInput asks to link a provider to the signed-in account.
type LinkInput struct {
	// CurrentPassword confirms the account holder (see
	// authos.Reauthenticate).
	CurrentPassword string `json:"current_password,omitempty"`
	// Organization (slug) picks that organization's own credentials at the
	// provider; default the platform's.
	Organization string `json:"organization,omitempty"`
}

// linkTTL is how long a link URL works.
const linkTTL = 10 * time.Minute

// linkTicket is what a link URL stands for, sealed into the store's
// pending login (store.OAuthState) that the URL's secret names.
type linkTicket struct {
	User     string `json:"u"`
	Org      string `json:"o,omitempty"`
	Provider string `json:"p"`
}

// linkAAD binds a sealed ticket to its row (and keeps it apart from a
// provider login's data, which is sealed under stateAAD).
func linkAAD(hash string) []byte { return []byte("authos_oauth.link:" + hash) }

// LinkResult is the URL that links a provider, and the browser-binding
// cookie to set in the browser that will open it.
type LinkResult struct {
	URL     string
	Browser string
}

// Link returns the URL that links provider to p's account when the
// account holder opens it within 10 minutes, once, in the browser that
// carries the binding cookie Browser (browser: the cookie the request
// carried, "" to make one). The ticket is kept server-side, single use,
// under the hash of the URL's secret: a URL seen elsewhere (history, logs,
// a shoulder) links nobody's provider account to the holder's. The
// request is re-authenticated (authos.Reauthenticate).
// INVALID_CREDENTIALS, NOT_FOUND (organization), PROVIDER_NOT_CONFIGURED.
func (s *Service) Link(ctx context.Context, p *authos.Principal, provider string, in LinkInput, browser string) (LinkResult, error) {
	if err := s.a.Reauthenticate(ctx, p, in.CurrentPassword); err != nil {
		return LinkResult{}, err
	}
	if !nameRE.MatchString(provider) {
		return LinkResult{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	t := linkTicket{User: p.UserID, Provider: provider}
	if in.Organization != "" {
		if err := authos.CheckIdentifier("organization", in.Organization); err != nil {
			return LinkResult{}, err
		}
		o, err := s.st.GetOrgBySlug(ctx, in.Organization)
		if errors.Is(err, store.ErrNotFound) {
			return LinkResult{}, authos.NewError(authos.CodeNotFound, "Organization not found")
		}
		if err != nil {
			return LinkResult{}, authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		t.Org = o.ID
	}
	if _, err := s.connFor(ctx, t.Org, provider); err != nil {
		return LinkResult{}, err
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return LinkResult{}, authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	if len(browser) != 43 {
		browser = randx.Token(32)
	}
	secret := randx.Token(32)
	hash := hashx.SHA256Hex(secret)
	sealed, err := s.a.Keyring().Encrypt(raw, linkAAD(hash))
	if err != nil {
		return LinkResult{}, authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	now := s.a.Now()
	if err := s.st.CreateOAuthState(ctx, store.OAuthState{Hash: hash, Provider: provider, OrgID: t.Org,
		BrowserHash: hashx.SHA256Hex(browser), Data: sealed, CreatedAt: now, ExpiresAt: now.Add(linkTTL)}); err != nil {
		return LinkResult{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	return LinkResult{URL: httpx.AppendQuery(s.a.Config().BaseURL+"/auth/social/"+provider, url.Values{"link": {secret}}),
		Browser: browser}, nil
}

// openLink consumes a link URL's ticket opened by browser (the binding
// cookie's value): OAUTH_STATE_MISMATCH when it is forged, used, expired,
// of another provider or opened in another browser (it is spent all the
// same).
func (s *Service) openLink(ctx context.Context, provider, secret, browser string) (linkTicket, error) {
	if len(secret) != 43 || len(browser) > 64 {
		return linkTicket{}, errState()
	}
	hash := hashx.SHA256Hex(secret)
	st, err := s.st.ConsumeOAuthState(ctx, hash, s.a.Now())
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUsed), errors.Is(err, store.ErrExpired):
		return linkTicket{}, errState()
	case err != nil:
		return linkTicket{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	case st.Provider != provider || browser == "" || hashx.SHA256Hex(browser) != st.BrowserHash:
		return linkTicket{}, errState()
	}
	b, err := s.a.Keyring().Decrypt(st.Data, linkAAD(hash))
	if err != nil {
		return linkTicket{}, errState()
	}
	var t linkTicket
	if err := json.Unmarshal(b, &t); err != nil || t.Provider != provider || t.User == "" {
		return linkTicket{}, errState()
	}
	return t, nil
}

// Unlink removes p's identity id (or the identity at the provider named
// id) after re-authentication. CONFLICT when it is the account's last way
// to sign in (no password and no other identity); NOT_FOUND.
func (s *Service) Unlink(ctx context.Context, p *authos.Principal, id, currentPassword string) error {
	if err := s.a.Reauthenticate(ctx, p, currentPassword); err != nil {
		return err
	}
	if err := authos.CheckIdentifier("id", id); err != nil {
		return err
	}
	return s.tx(ctx, func(tx oauthTx) error {
		is, err := tx.ListOAuthIdentities(ctx, p.UserID)
		if err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		var doomed *store.OAuthIdentity
		for k := range is {
			if is[k].ID == id || (doomed == nil && is[k].Provider == id) {
				doomed = &is[k]
			}
		}
		if doomed == nil {
			return authos.NewError(authos.CodeNotFound, "No such linked account")
		}
		_, err = tx.GetPassword(ctx, p.UserID)
		hasPassword := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		others := 0 // the other ways to sign in (an unconfirmed identity is none)
		for _, i := range is {
			if i.ID != doomed.ID && !i.Unconfirmed {
				others++
			}
		}
		if !hasPassword && others == 0 && !doomed.Unconfirmed {
			return authos.NewError(authos.CodeConflict, "This is the only way to sign in to the account; set a password or link another provider first")
		}
		if err := tx.DeleteOAuthIdentity(ctx, p.UserID, doomed.ID); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventIdentityUnlinked, ActorID: p.UserID, TargetID: p.UserID,
			OrgID: doomed.OrgID, Data: map[string]any{"provider": doomed.Provider, "identity_id": doomed.ID}})
	})
}
