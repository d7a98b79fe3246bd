package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// confirmTTL is how long the confirmation link of an unconfirmed identity
// works.
const confirmTTL = 24 * time.Hour

// confirmResendAfter is how long after a confirmation link was sent a
// sign-in through the still unconfirmed identity sends no new one, so
// that repeated sign-ins cannot flood the mailbox.
const confirmResendAfter = 5 * time.Minute

// confirmPurpose is the store.OneTimeToken purpose of the record of the
// unconfirmed identity id's current confirmation link (see currentKey):
// one purpose per identity, so that replacing the record of one identity
// (DeleteUserTokens) leaves those of the user's other identities alone.
func confirmPurpose(id string) string { return "oauth_confirm:" + id }

// currentKey is the Hash of the record naming the current confirmation
// link of identity id: a store.OneTimeToken of confirmPurpose(id), of the
// identity's user, whose Data is the link's hash and whose CreatedAt is
// when the link was sent. Only this package reads it, by identity; its
// key is no secret and nothing consumes it from a request.
func currentKey(id string) string { return hashx.SHA256Hex("authos_oauth.confirm-current:" + id) }

// confirmBrowser is the BrowserHash of a confirmation's row: it is opened
// from a mailbox, in any browser, and no browser cookie's hash (64 hex
// digits) matches it, so it never passes as a provider login's state.
const confirmBrowser = "mail"

// confirmTicket is what a confirmation link stands for, sealed into the
// row its secret names.
type confirmTicket struct {
	Identity string `json:"i"`
	User     string `json:"u"`
	Email    string `json:"e"`
}

func confirmAAD(hash string) []byte { return []byte("authos_oauth.confirm:" + hash) }

// queueConfirmation keeps a single-use confirmation (24 hours) of identity
// id of the unverified account u and mails its link to u's address, in tx.
// The new link replaces any earlier one of the identity: the record of the
// current link (currentKey) names it alone, and Confirm refuses the others.
// When a concurrent sign-in recorded a link meanwhile, it sends none.
func (s *Service) queueConfirmation(ctx context.Context, tx oauthTx, c conn, u authos.User, id store.OAuthIdentity) error {
	raw, err := json.Marshal(confirmTicket{Identity: id.ID, User: u.ID, Email: u.Email})
	if err != nil {
		return authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	secret := randx.Token(32)
	hash := hashx.SHA256Hex(secret)
	sealed, err := s.a.Keyring().Encrypt(raw, confirmAAD(hash))
	if err != nil {
		return authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	now := s.a.Now()
	if err := tx.DeleteUserTokens(ctx, u.ID, confirmPurpose(id.ID)); err != nil {
		return authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	switch err := tx.CreateToken(ctx, store.OneTimeToken{Hash: currentKey(id.ID), Purpose: confirmPurpose(id.ID), UserID: u.ID,
		Data: []byte(hash), CreatedAt: now, ExpiresAt: now.Add(confirmTTL)}); {
	case errors.Is(err, store.ErrConflict):
		return nil // a concurrent sign-in just sent one
	case err != nil:
		return authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	if err := tx.CreateOAuthState(ctx, store.OAuthState{Hash: hash, Provider: c.name, OrgID: c.orgID, BrowserHash: confirmBrowser,
		Data: sealed, CreatedAt: now, ExpiresAt: now.Add(confirmTTL)}); err != nil {
		return authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	org := ""
	if o, err := tx.GetOrg(ctx, c.orgID); err == nil {
		org = o.Name
	} else if !errors.Is(err, store.ErrNotFound) {
		return authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	lang, product := authos.Extend(s.a).Language(ctx), s.a.Config().ProductName
	link := s.a.Config().BaseURL + "/auth/social/" + c.name + "/confirm?" + url.Values{"token": {secret}}.Encode()
	return authos.Extend(s.a).EnqueueEmail(ctx, tx, authos.Message{To: u.Email,
		Subject: i18n.T(lang, "email.social_confirm.subject", product),
		Text:    i18n.T(lang, "email.social_confirm.text", product, label(c.name), org, u.Email, link)})
}

// resendConfirmation mails a new confirmation link (queueConfirmation) at
// a repeated sign-in through the unconfirmed identity id of the unverified
// account u, in tx: the person may have lost the first link or let it
// expire. It sends none while the identity's current link is younger than
// confirmResendAfter, nor when Confirm would refuse u anyway (confirmable).
func (s *Service) resendConfirmation(ctx context.Context, tx oauthTx, c conn, u authos.User, id store.OAuthIdentity) error {
	now := s.a.Now()
	cur, err := tx.GetToken(ctx, confirmPurpose(id.ID), currentKey(id.ID), now)
	switch {
	case err == nil && now.Sub(cur.CreatedAt) < confirmResendAfter:
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrUsed):
		return authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	if ok, err := confirmable(ctx, tx, u); !ok {
		return err
	}
	return s.queueConfirmation(ctx, tx, c, u, id)
}

// confirmable reports whether Confirm may verify u's address: u is
// unverified, enabled and has no password (whoever registered the address
// meanwhile owns the account, not the provider's identity).
func confirmable(ctx context.Context, tx oauthTx, u authos.User) (bool, error) {
	if u.EmailVerified || u.Disabled {
		return false, nil
	}
	_, err := tx.GetPassword(ctx, u.ID)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	return true, nil
}

// errBadConfirmation answers every confirmation that is unknown, used,
// expired, or no longer applies.
func errBadConfirmation() error {
	return authos.NewError(authos.CodeInvalidToken, "This confirmation link is invalid, expired or no longer applies")
}

// confirmShape reports whether provider and token can name a
// confirmation: a provider name and a token as queueConfirmation makes
// (32 random bytes, 43 base64url characters).
func confirmShape(provider, token string) bool {
	return len(token) == 43 && nameRE.MatchString(provider)
}

// Confirm consumes the confirmation link's token of an identity that a
// provider not vouching for addresses made with its account (see
// account): the account's address becomes verified and the identity signs
// in from then on. It applies only to an account still as the provider
// made it: unverified, at the same address, without a password (whoever
// registered the address meanwhile owns the account, not the provider's
// identity), and to the identity's current link only: a link that a later
// sign-in replaced (see resendConfirmation) no longer works. INVALID_TOKEN
// otherwise.
func (s *Service) Confirm(ctx context.Context, provider, token string) (authos.User, error) {
	if !confirmShape(provider, token) {
		return authos.User{}, errBadConfirmation()
	}
	hash := hashx.SHA256Hex(token)
	now := s.a.Now()
	var u authos.User
	err := s.tx(ctx, func(tx oauthTx) error {
		st, err := tx.ConsumeOAuthState(ctx, hash, now)
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUsed), errors.Is(err, store.ErrExpired):
			return errBadConfirmation()
		case err != nil:
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		case st.Provider != provider || st.BrowserHash != confirmBrowser:
			return errBadConfirmation()
		}
		raw, err := s.a.Keyring().Decrypt(st.Data, confirmAAD(hash))
		if err != nil {
			return errBadConfirmation()
		}
		var t confirmTicket
		if err := json.Unmarshal(raw, &t); err != nil {
			return errBadConfirmation()
		}
		id, err := tx.GetOAuthIdentity(ctx, t.Identity)
		if errors.Is(err, store.ErrNotFound) {
			return errBadConfirmation()
		} else if err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		if u, err = tx.GetUser(ctx, t.User); errors.Is(err, store.ErrNotFound) {
			return errBadConfirmation()
		} else if err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		if !id.Unconfirmed || id.UserID != u.ID || !strings.EqualFold(u.Email, t.Email) {
			return errBadConfirmation()
		}
		if ok, err := confirmable(ctx, tx, u); !ok {
			if err != nil {
				return err
			}
			return errBadConfirmation()
		}
		cur, err := tx.GetToken(ctx, confirmPurpose(id.ID), currentKey(id.ID), now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Sent before links were recorded (an upgrade), and not
			// replaced since: the first resend records its own link.
		case errors.Is(err, store.ErrUsed), errors.Is(err, store.ErrExpired):
			return errBadConfirmation()
		case err != nil:
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		case string(cur.Data) != hash:
			return errBadConfirmation() // a later sign-in replaced it
		}
		if err := tx.DeleteUserTokens(ctx, u.ID, confirmPurpose(id.ID)); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		u.EmailVerified, u.UpdatedAt = true, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		if err := tx.ConfirmOAuthIdentity(ctx, id.ID, now); err != nil {
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: event.UserEmailVerified, ActorID: u.ID, TargetID: u.ID,
			Data: map[string]any{"provider": provider, "identity_id": id.ID}})
	})
	if err != nil {
		return authos.User{}, err
	}
	return u, nil
}

// handleConfirmPage serves GET /auth/social/{provider}/confirm: the page
// that asks to confirm (a link scanner fetching the URL confirms nothing).
func (s *Service) handleConfirmPage(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	token := r.URL.Query().Get("token")
	if !confirmShape(provider, token) {
		s.errorPage(w, r, errBadConfirmation())
		return
	}
	d := s.pageData(r)
	d.Title = d.T("page.social.confirm.title")
	d.Message = d.T("page.social.confirm.text", s.a.Config().ProductName, label(provider))
	d.Form = &confirmForm{Token: token, Button: d.T("page.social.confirm.button")}
	s.render(w, http.StatusOK, d)
}

// handleConfirm serves POST /auth/social/{provider}/confirm.
func (s *Service) handleConfirm(w http.ResponseWriter, r *http.Request) {
	if err := authos.Extend(s.a).ParseForm(w, r, 4096); err != nil {
		s.errorPage(w, r, err)
		return
	}
	provider := r.PathValue("provider")
	if _, err := s.Confirm(r.Context(), provider, r.PostForm.Get("token")); err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := s.pageData(r)
	d.Title = d.T("page.social.confirmed.title")
	d.Message = d.T("page.social.confirmed", label(provider))
	s.render(w, http.StatusOK, d)
}
