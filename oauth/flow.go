package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// stateTTL is how long a provider login may take.
const stateTTL = 10 * time.Minute

// maxParam bounds the callback's parameters.
const maxParam = 2048

// stateData is what the callback needs, sealed into store.OAuthState.Data.
type stateData struct {
	Flow     string `json:"f,omitempty"` // the sign-in flow
	Verifier string `json:"v"`           // PKCE code verifier
	Nonce    string `json:"n,omitempty"` // OpenID Connect nonce
	LinkUser string `json:"u,omitempty"` // the user linking the provider
}

func stateAAD(hash string) []byte { return []byte("authos_oauth_states.data:" + hash) }

// StartInput starts a provider login: for the sign-in flow Flow, or, with
// LinkUserID, to link the provider to that user's account (with the
// credentials of organization OrgID when set).
type StartInput struct {
	Flow       string
	LinkUserID string
	OrgID      string
	// Browser is the value of the browser-binding cookie the request
	// carried ("" when none: Start makes one).
	Browser string
}

// StartResult is where to send the browser, and the browser-binding
// cookie to set.
type StartResult struct {
	URL     string
	Browser string
}

// Start begins a login at provider: it keeps a single-use state (10
// minutes, bound to the browser cookie), a PKCE S256 verifier and, for an
// OpenID Connect provider, a nonce, and returns the provider's
// authorization URL. BAD_REQUEST (unknown flow), PROVIDER_NOT_CONFIGURED,
// OAUTH_ERROR (the provider's discovery failed).
func (s *Service) Start(ctx context.Context, provider string, in StartInput) (StartResult, error) {
	if !nameRE.MatchString(provider) {
		return StartResult{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	d := stateData{Flow: in.Flow, LinkUser: in.LinkUserID, Verifier: oauth2.GenerateVerifier()}
	orgID := in.OrgID
	switch {
	case in.Flow != "" && in.LinkUserID == "":
		f, err := s.lookupFlow(ctx, in.Flow)
		if err != nil {
			return StartResult{}, err
		}
		orgID = f.OrgID
	case in.Flow == "" && in.LinkUserID != "":
	default:
		return StartResult{}, authos.NewError(authos.CodeBadRequest, "flow is required")
	}
	c, err := s.connFor(ctx, orgID, provider)
	if err != nil {
		return StartResult{}, err
	}
	oc, _, err := s.config(ctx, c)
	if err != nil {
		return StartResult{}, errProvider(err)
	}
	browser := in.Browser
	if len(browser) != 43 {
		browser = randx.Token(32)
	}
	state := randx.Token(32)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(d.Verifier)}
	if c.kind == kindOIDC {
		d.Nonce = randx.Token(24)
		opts = append(opts, oidc.Nonce(d.Nonce))
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return StartResult{}, authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	hash := hashx.SHA256Hex(state)
	sealed, err := s.a.Keyring().Encrypt(raw, stateAAD(hash))
	if err != nil {
		return StartResult{}, authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	now := s.a.Now()
	if err := s.st.CreateOAuthState(ctx, store.OAuthState{Hash: hash, Provider: provider, OrgID: c.orgID,
		BrowserHash: hashx.SHA256Hex(browser), Data: sealed, CreatedAt: now, ExpiresAt: now.Add(stateTTL)}); err != nil {
		return StartResult{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	return StartResult{URL: oc.AuthCodeURL(state, opts...), Browser: browser}, nil
}

// CallbackResult is the outcome of a provider's callback.
type CallbackResult struct {
	// Flow is the sign-in flow the login belongs to ("" when linking),
	// known as soon as the state is; set with the errors that come after.
	Flow string
	// LinkUserID is the user who linked the provider (linking only).
	LinkUserID string
	// Cancelled: the person declined at the provider (error=access_denied).
	Cancelled bool
	User      authos.User
	Identity  store.OAuthIdentity
	// Created: a new account was made; Joined: the identity was linked to
	// an existing account by its verified email.
	Created, Joined bool
	// Pending: the identity awaits the confirmation of its email address
	// (a provider that does not vouch for addresses made the account; the
	// link went to the address, and each later sign-in through the
	// identity mails a new link that replaces it, at most one every 5
	// minutes); the error is EMAIL_NOT_VERIFIED and User is empty.
	// Evicted: the identity was unconfirmed and its account's address was
	// proven another way meanwhile, so it was unlinked; the error is
	// CONFLICT.
	Pending, Evicted bool
	// Provider is the provider's name.
	Provider string
}

// errState is the answer to every state that is missing, forged, reused,
// expired or from another browser.
func errState() error {
	return authos.NewError(authos.CodeOAuthStateMismatch, "This sign-in link is invalid or was already used; start the sign-in again")
}

// Callback finishes a login at provider from the callback's query and the
// browser cookie: it consumes the state, checks the response's iss (RFC
// 9207), exchanges the code with the PKCE verifier, verifies the ID token
// (or reads GitHub's APIs), and finds, joins or creates the account in one
// transaction, storing the provider's tokens. The result carries Flow as
// soon as the state is known, also with an error. Errors:
// OAUTH_STATE_MISMATCH, OAUTH_CODE_EXPIRED (the provider refused the
// code), OAUTH_ERROR, PROVIDER_NOT_CONFIGURED, EMAIL_NOT_VERIFIED (the
// provider confirmed no email, or the account it made waits for the
// confirmation of its address: Pending), CONFLICT (an account with the
// email exists and must link the provider from a session first, or the
// provider account belongs to another account, or an unconfirmed identity
// was unlinked: Evicted).
func (s *Service) Callback(ctx context.Context, provider string, q url.Values, browser string) (*CallbackResult, error) {
	res := &CallbackResult{Provider: provider}
	for _, v := range q {
		if len(v) > 1 || len(v[0]) > maxParam {
			return res, errState()
		}
	}
	state := q.Get("state")
	if state == "" || len(state) != 43 || len(browser) > 64 {
		return res, errState()
	}
	hash := hashx.SHA256Hex(state)
	st, err := s.st.ConsumeOAuthState(ctx, hash, s.a.Now())
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUsed), errors.Is(err, store.ErrExpired):
		return res, errState()
	case err != nil:
		return res, authos.WrapError(authos.CodeDatabaseError, "", err)
	case st.Provider != provider || browser == "" || hashx.SHA256Hex(browser) != st.BrowserHash:
		// Spent all the same: a callback URL seen elsewhere is worthless.
		return res, errState()
	}
	raw, err := s.a.Keyring().Decrypt(st.Data, stateAAD(hash))
	if err != nil {
		return res, errState()
	}
	var d stateData
	if err := json.Unmarshal(raw, &d); err != nil {
		return res, errState()
	}
	res.Flow, res.LinkUserID = d.Flow, d.LinkUser
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			res.Cancelled = true
			return res, authos.NewError(authos.CodeUnauthorized, "The sign-in was cancelled at the provider")
		}
		return res, errProvider(errors.New("the provider answered error " + e))
	}
	c, err := s.connFor(ctx, st.OrgID, provider)
	if err != nil {
		return res, err
	}
	if c.orgID != st.OrgID {
		// The organization removed its credentials during the login.
		return res, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	if iss := q.Get("iss"); iss != "" && !s.responseIssuer(c, iss) {
		return res, errProvider(errors.New("the authorization response names another issuer"))
	}
	code := q.Get("code")
	if code == "" {
		return res, errProvider(errors.New("the authorization response has no code"))
	}
	oc, op, err := s.config(ctx, c)
	if err != nil {
		return res, errProvider(err)
	}
	tok, err := oc.Exchange(s.ctx(ctx), code, oauth2.VerifierOption(d.Verifier))
	if err != nil {
		return res, exchangeErr(err)
	}
	var p profile
	if c.kind == kindGitHub {
		p, err = s.gitHubProfile(ctx, tok)
	} else {
		p, err = s.verifyIDToken(ctx, c, op, tok, d.Nonce, q.Get("iss"))
	}
	if err != nil {
		return res, err
	}
	if p.Subject == "" || len(p.Subject) > 255 || len(p.Email) > 254 {
		return res, errProvider(errors.New("the provider's subject or email is malformed"))
	}
	if err := s.account(ctx, c, p, tok, res); err != nil {
		return res, err
	}
	switch {
	case res.Evicted:
		return res, errSignInWithPassword(label(provider))
	case res.Pending:
		return res, errConfirmFirst()
	}
	return res, nil
}

// exchangeErr maps a failed code exchange: the provider refusing the code
// is OAUTH_CODE_EXPIRED, anything else OAUTH_ERROR.
func exchangeErr(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "invalid_grant", "bad_verification_code":
			return authos.WrapError(authos.CodeOAuthCodeExpired, "The provider refused the sign-in code; start the sign-in again", err)
		}
	}
	return errProvider(err)
}

// vouches reports whether c's provider may vouch for anybody's email
// address: the platform's own connections (the host chose them), GitHub,
// Google's issuer, Microsoft's authority, and the issuers of the
// platform's generic providers. An organization's own OpenID Connect
// provider at an issuer its admin chose (even one named microsoft) may
// assert any address, so it vouches for none: it joins only the accounts
// of the organization's members, and an account it creates stays
// unverified until the mailbox's owner confirms it (see account).
func (s *Service) vouches(c conn) bool {
	if c.orgID == "" || c.kind == kindGitHub || c.issuer == s.cfg.GoogleIssuer || strings.HasPrefix(c.issuer, s.cfg.MicrosoftAuthority+"/") {
		return true
	}
	for _, p := range s.cfg.OIDC {
		if p.Issuer == c.issuer {
			return true
		}
	}
	return false
}

// errSignInWithPassword is the answer when an account with the email
// exists that the provider may not join.
func errSignInWithPassword(label string) *authos.Error {
	return authos.NewError(authos.CodeConflict,
		"An account with this email address exists; sign in with your password, then link "+label+" in your account settings")
}

// errConfirmFirst is the answer to a sign-in through an unconfirmed
// identity whose account nobody has proven yet (the sign-in mailed a
// link, or one went out less than 5 minutes before).
func errConfirmFirst() *authos.Error {
	return authos.NewError(authos.CodeEmailNotVerified, "Confirm your email address with the link we sent to it, then sign in again")
}

// account finds, joins or creates the account of p at c and stores tok,
// in one transaction.
//
// Pre-account hijacking: a provider that does not vouch for addresses (an
// organization's own OpenID Connect provider, see vouches) could otherwise
// create a verified account for an address nobody registered yet, and keep
// signing in to it once the real owner registers or resets the password.
// Such a provider's new account is therefore created unverified, and its
// identity unconfirmed: it signs nobody in until the owner of the mailbox
// opens the link sent there (Confirm). Every later sign-in through the
// identity while it waits mails a fresh link that replaces the previous
// one (a lost or expired link leaves nobody stuck), but none while the
// current link is younger than 5 minutes (resendConfirmation), so that
// repeated sign-ins cannot flood the mailbox. If the address is proven
// another way first (registration, verification, password reset, another
// provider), the unconfirmed identity was never the owner's: its next use
// unlinks it and is refused (res.Evicted). The email is thus never taken as
// proven on that provider's word, and no proof of the owner carries the
// provider's identity into their account.
func (s *Service) account(ctx context.Context, c conn, p profile, tok *oauth2.Token, res *CallbackResult) error {
	now := s.a.Now()
	label := label(c.name)
	vouched := s.vouches(c)
	return s.tx(ctx, func(tx oauthTx) error {
		res.Created, res.Joined, res.Pending, res.Evicted = false, false, false, false
		id, err := tx.FindOAuthIdentity(ctx, c.name, c.orgID, p.Subject)
		switch {
		case err == nil:
			if res.LinkUserID != "" && id.UserID != res.LinkUserID {
				return authos.NewError(authos.CodeConflict, "This "+label+" account is linked to another account")
			}
			u, err := tx.GetUser(ctx, id.UserID)
			if err != nil {
				return authos.WrapError(authos.CodeDatabaseError, "", err)
			}
			if id.Unconfirmed {
				switch {
				case res.LinkUserID != "":
					// The account holder, signed in, links it: theirs.
					if err := tx.ConfirmOAuthIdentity(ctx, id.ID, now); err != nil {
						return authos.WrapError(authos.CodeDatabaseError, "", err)
					}
					id.Unconfirmed = false
				case !u.EmailVerified:
					// Nobody proved the address yet: a fresh link, in
					// case the first was lost or expired.
					res.Pending = true
					return s.resendConfirmation(ctx, tx, c, u, id)
				default:
					// Proven another way: not this identity's account.
					if err := tx.DeleteOAuthIdentity(ctx, u.ID, id.ID); err != nil {
						return authos.WrapError(authos.CodeDatabaseError, "", err)
					}
					res.Evicted = true
					return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventIdentityUnlinked, TargetID: u.ID, OrgID: id.OrgID,
						Data: map[string]any{"provider": id.Provider, "identity_id": id.ID, "reason": "unconfirmed"}})
				}
			}
			toks, err := s.sealTokens(id.ID, tok, id.OAuthTokens)
			if err != nil {
				return err
			}
			if err := tx.SetOAuthTokens(ctx, id.ID, "", toks, now); err != nil {
				return authos.WrapError(authos.CodeDatabaseError, "", err)
			}
			id.OAuthTokens = toks
			res.User, res.Identity = u, id
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		var u authos.User
		switch {
		case res.LinkUserID != "":
			if u, err = tx.GetUser(ctx, res.LinkUserID); err != nil {
				return authos.WrapError(authos.CodeUnauthorized, "The account no longer exists", err)
			}
		case p.Email == "" || !p.EmailVerified:
			return authos.NewError(authos.CodeEmailNotVerified,
				label+" did not confirm an email address for this account; sign in with your password, then link "+label+" in your account settings")
		default:
			u, err = tx.GetUserByEmail(ctx, p.Email)
			switch {
			case err == nil && u.EmailVerified && !vouched:
				// It vouches for the organization's members only, never
				// for an account outside it.
				if _, merr := tx.GetMember(ctx, c.orgID, u.ID); merr != nil {
					if !errors.Is(merr, store.ErrNotFound) {
						return authos.WrapError(authos.CodeDatabaseError, "", merr)
					}
					return errSignInWithPassword(label)
				}
				res.Joined = true
			case err == nil && u.EmailVerified:
				res.Joined = true
			case err == nil:
				return errSignInWithPassword(label)
			case errors.Is(err, store.ErrNotFound):
				u = authos.User{ID: randx.ID(), Email: p.Email, Name: strings.TrimSpace(p.Name), EmailVerified: vouched, CreatedAt: now, UpdatedAt: now}
				if len(u.Name) > 200 {
					u.Name = u.Name[:200]
				}
				if err := tx.CreateUser(ctx, u); err != nil {
					if errors.Is(err, store.ErrConflict) {
						return authos.WrapError(authos.CodeConflict, errSignInWithPassword(label).Message, err)
					}
					return authos.WrapError(authos.CodeDatabaseError, "", err)
				}
				res.Created, res.Pending = true, !vouched
				if err := authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: event.UserSignup, ActorID: u.ID, TargetID: u.ID,
					Data: map[string]any{"email": u.Email, "provider": c.name, "email_verified": u.EmailVerified}}); err != nil {
					return err
				}
			default:
				return authos.WrapError(authos.CodeDatabaseError, "", err)
			}
		}
		id = store.OAuthIdentity{ID: randx.ID(), UserID: u.ID, Provider: c.name, OrgID: c.orgID, Subject: p.Subject,
			Email: p.Email, Unconfirmed: res.Pending, CreatedAt: now, UpdatedAt: now}
		if id.OAuthTokens, err = s.sealTokens(id.ID, tok, store.OAuthTokens{}); err != nil {
			return err
		}
		if err := tx.CreateOAuthIdentity(ctx, id); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return authos.WrapError(authos.CodeConflict, "This account is already linked to another "+label+" account", err)
			}
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		if err := authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventIdentityLinked, ActorID: u.ID, TargetID: u.ID,
			OrgID: c.orgID, Data: map[string]any{"provider": c.name, "identity_id": id.ID, "created_account": res.Created}}); err != nil {
			return err
		}
		res.Identity = id
		if res.Pending {
			return s.queueConfirmation(ctx, tx, c, u, id)
		}
		res.User = u
		return nil
	})
}
