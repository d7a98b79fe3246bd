package oauth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// ProviderInput sets an organization's own credentials at a provider.
type ProviderInput struct {
	ClientID string `json:"client_id"`
	// ClientSecret is required when the provider is first set up; empty
	// later keeps the stored secret.
	ClientSecret string `json:"client_secret,omitempty"`
	// Issuer is required for a generic OpenID Connect provider (any name
	// but github, google and microsoft); for microsoft it may name a
	// tenant's issuer.
	Issuer  string   `json:"issuer,omitempty"`
	Scopes  []string `json:"scopes,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"` // default true
}

// ProviderView is an organization's provider as the API shows it: never
// the secret.
type ProviderView struct {
	Provider  string   `json:"provider"`
	ClientID  string   `json:"client_id"`
	HasSecret bool     `json:"has_secret"`
	Issuer    string   `json:"issuer"`
	Scopes    []string `json:"scopes"`
	Enabled   bool     `json:"enabled"`
	// RedirectURI is the callback to register at the provider.
	RedirectURI string `json:"redirect_uri"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Service) providerView(p store.OAuthProvider) ProviderView {
	v := ProviderView{Provider: p.Provider, ClientID: p.ClientID, HasSecret: len(p.Secret) > 0, Issuer: p.Issuer,
		Scopes: slices.Clone(p.Scopes), Enabled: p.Enabled, RedirectURI: s.redirectURI(p.Provider),
		CreatedAt: stamp(p.CreatedAt), UpdatedAt: stamp(p.UpdatedAt)}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	return v
}

func checkProviderName(name string) error {
	if !nameRE.MatchString(name) {
		return authos.NewError(authos.CodeBadRequest, "The provider name must be 1 to 32 lower-case letters, digits or dashes, starting with a letter")
	}
	return nil
}

// checkText refuses empty (when required), long or control-character
// values.
func checkText(field, v string, required bool, max int) error {
	if required && strings.TrimSpace(v) == "" {
		return authos.NewError(authos.CodeBadRequest, field+" is required")
	}
	if len(v) > max {
		return authos.NewError(authos.CodeBadRequest, field+" is too long")
	}
	return authos.CheckIdentifier(field, v)
}

// PutProvider creates or replaces organization o's own credentials at
// provider; the secret is encrypted with the keyring, bound to the
// organization and provider. The change is audited. BAD_REQUEST,
// INVALID_URL (issuer), ENCRYPTION_ERROR.
func (s *Service) PutProvider(ctx context.Context, actorID string, o authos.Organization, provider string, in ProviderInput) (ProviderView, error) {
	if err := checkProviderName(provider); err != nil {
		return ProviderView{}, err
	}
	if err := checkText("client_id", in.ClientID, true, 255); err != nil {
		return ProviderView{}, err
	}
	if err := checkText("client_secret", in.ClientSecret, false, 1024); err != nil {
		return ProviderView{}, err
	}
	switch {
	case provider == GitHub || provider == Google:
		if in.Issuer != "" {
			return ProviderView{}, authos.NewError(authos.CodeBadRequest, "issuer applies only to microsoft and OpenID Connect providers")
		}
	case in.Issuer == "" && provider != Microsoft:
		return ProviderView{}, authos.NewError(authos.CodeBadRequest, "issuer is required for an OpenID Connect provider")
	case in.Issuer != "":
		if len(in.Issuer) > 512 || checkIssuer(in.Issuer) != nil {
			return ProviderView{}, authos.NewError(authos.CodeInvalidURL, "The issuer must be an absolute http(s) URL")
		}
		if err := s.guard.CheckURL(in.Issuer); err != nil {
			return ProviderView{}, authos.WrapError(authos.CodeInvalidURL, "The issuer must be at a public address", err)
		}
	}
	if len(in.Scopes) > 50 {
		return ProviderView{}, authos.NewError(authos.CodeBadRequest, "Too many scopes")
	}
	for _, sc := range in.Scopes {
		if sc == "" || len(sc) > 200 || strings.ContainsAny(sc, " \t\r\n\"\\") {
			return ProviderView{}, authos.NewError(authos.CodeBadRequest, "A scope is malformed")
		}
	}
	if s.a.Keyring() == nil {
		return ProviderView{}, authos.NewError(authos.CodeEncryptionError, "")
	}
	now := s.a.Now()
	var out store.OAuthProvider
	err := s.tx(ctx, func(tx oauthTx) error {
		old, err := tx.GetOAuthProvider(ctx, o.ID, provider)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		p := store.OAuthProvider{OrgID: o.ID, Provider: provider, ClientID: in.ClientID, Issuer: in.Issuer,
			Scopes: slices.Clone(in.Scopes), Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: now, UpdatedAt: now}
		switch {
		case in.ClientSecret != "":
			if p.Secret, err = s.a.Keyring().Encrypt([]byte(in.ClientSecret), secretAAD(o.ID, provider)); err != nil {
				return authos.WrapError(authos.CodeEncryptionError, "", err)
			}
		case exists:
			p.Secret = old.Secret
		default:
			return authos.NewError(authos.CodeBadRequest, "client_secret is required")
		}
		if exists {
			p.CreatedAt = old.CreatedAt
		}
		if err := tx.PutOAuthProvider(ctx, p); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		in := authos.AuditInput{ActorID: actorID, Action: "put_oauth_provider", TargetType: "organization", TargetID: o.ID,
			After: s.providerView(p)}
		if exists {
			in.Before = s.providerView(old)
		}
		out = p
		return authos.Extend(s.a).Audit(ctx, tx, in)
	})
	if err != nil {
		return ProviderView{}, err
	}
	s.addMethod(provider)
	return s.providerView(out), nil
}

// GetProvider returns organization o's own credentials at provider
// (NOT_FOUND).
func (s *Service) GetProvider(ctx context.Context, o authos.Organization, provider string) (ProviderView, error) {
	if err := checkProviderName(provider); err != nil {
		return ProviderView{}, err
	}
	p, err := s.st.GetOAuthProvider(ctx, o.ID, provider)
	if errors.Is(err, store.ErrNotFound) {
		return ProviderView{}, authos.NewError(authos.CodeNotFound, "This provider is not set up for the organization")
	}
	if err != nil {
		return ProviderView{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	return s.providerView(p), nil
}

// ListProviders returns organization o's own credentials, by provider.
func (s *Service) ListProviders(ctx context.Context, o authos.Organization) ([]ProviderView, error) {
	ps, err := s.st.ListOAuthProviders(ctx, o.ID)
	if err != nil {
		return nil, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	out := make([]ProviderView, 0, len(ps))
	for _, p := range ps {
		out = append(out, s.providerView(p))
	}
	return out, nil
}

// DeleteProvider removes organization o's own credentials at provider:
// its services then use the platform's, if any. Identities made with them
// stay linked; their tokens can no longer be refreshed. Audited.
// NOT_FOUND.
func (s *Service) DeleteProvider(ctx context.Context, actorID string, o authos.Organization, provider string) error {
	if err := checkProviderName(provider); err != nil {
		return err
	}
	return s.tx(ctx, func(tx oauthTx) error {
		old, err := tx.GetOAuthProvider(ctx, o.ID, provider)
		if errors.Is(err, store.ErrNotFound) {
			return authos.NewError(authos.CodeNotFound, "This provider is not set up for the organization")
		}
		if err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		if err := tx.DeleteOAuthProvider(ctx, o.ID, provider); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		return authos.Extend(s.a).Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: "delete_oauth_provider",
			TargetType: "organization", TargetID: o.ID, Before: s.providerView(old)})
	})
}
