package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/authos/authos"
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
	NeedsConsent bool   `json:"needs_consent"`
	CreatedAt    string `json:"created_at"`
}

func identityView(i store.OAuthIdentity) Identity {
	return Identity{ID: i.ID, Provider: i.Provider, Subject: i.Subject, Email: i.Email, OrganizationID: i.OrgID,
		NeedsConsent: i.NeedsConsent, CreatedAt: stamp(i.CreatedAt)}
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

// linkTicket is sealed into the link URL.
type linkTicket struct {
	User     string `json:"u"`
	Org      string `json:"o,omitempty"`
	Provider string `json:"p"`
	Expires  int64  `json:"e"`
}

func linkAAD(provider string) []byte { return []byte("authos_oauth.link:" + provider) }

// Link returns the URL that links provider to p's account when the
// account holder opens it in their browser (within 10 minutes). The
// request is re-authenticated (authos.Reauthenticate). INVALID_CREDENTIALS,
// NOT_FOUND (organization), PROVIDER_NOT_CONFIGURED.
func (s *Service) Link(ctx context.Context, p *authos.Principal, provider string, in LinkInput) (string, error) {
	if err := s.a.Reauthenticate(ctx, p, in.CurrentPassword); err != nil {
		return "", err
	}
	if !nameRE.MatchString(provider) {
		return "", authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	t := linkTicket{User: p.UserID, Provider: provider, Expires: s.a.Now().Add(linkTTL).Unix()}
	if in.Organization != "" {
		if err := authos.CheckIdentifier("organization", in.Organization); err != nil {
			return "", err
		}
		o, err := s.st.GetOrgBySlug(ctx, in.Organization)
		if errors.Is(err, store.ErrNotFound) {
			return "", authos.NewError(authos.CodeNotFound, "Organization not found")
		}
		if err != nil {
			return "", authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		t.Org = o.ID
	}
	if _, err := s.connFor(ctx, t.Org, provider); err != nil {
		return "", err
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return "", authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	sealed, err := s.a.Keyring().Encrypt(raw, linkAAD(provider))
	if err != nil {
		return "", authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	return s.a.Config().BaseURL + "/auth/social/" + provider + "?link=" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openLink reads a link URL's ticket (OAUTH_STATE_MISMATCH when forged or
// expired).
func (s *Service) openLink(provider, v string) (linkTicket, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(v) > 2048 {
		return linkTicket{}, errState()
	}
	b, err := s.a.Keyring().Decrypt(raw, linkAAD(provider))
	if err != nil {
		return linkTicket{}, errState()
	}
	var t linkTicket
	if err := json.Unmarshal(b, &t); err != nil || t.Provider != provider || s.a.Now().Unix() >= t.Expires {
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
		if !hasPassword && len(is) == 1 {
			return authos.NewError(authos.CodeConflict, "This is the only way to sign in to the account; set a password or link another provider first")
		}
		if err := tx.DeleteOAuthIdentity(ctx, p.UserID, doomed.ID); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventIdentityUnlinked, ActorID: p.UserID, TargetID: p.UserID,
			OrgID: doomed.OrgID, Data: map[string]any{"provider": doomed.Provider, "identity_id": doomed.ID}})
	})
}
