package authos

import (
	"context"
	"errors"
	"fmt"

	"github.com/authos/authos/store"
)

// topicAccountMail is the outbox topic of forgot-password and
// resend-verification requests: the request only queues the email address,
// and the outbox worker looks the account up and sends the link. A request
// for an unknown email thus does exactly the same work as one for an
// account, and neither its answer nor its timing tells them apart.
const topicAccountMail = "account_mail"

// Kinds of account mail requests.
const (
	mailKindReset  = "reset_password"
	mailKindVerify = "verify_email"
)

// liveResetLinks is how many reset links of one account stay usable: a new
// request never voids the link an earlier one sent, only the oldest beyond
// this many.
const liveResetLinks = 3

type accountMailRequest struct {
	Kind  string `json:"kind"`
	Email string `json:"email"`
	Lang  string `json:"lang,omitempty"` // of the request; the email is written in it
	Flow  string `json:"flow,omitempty"` // the sign-in flow the link leads back to
}

// queueAccountMail queues the request of kind for email (one outbox write,
// encrypted: it holds the address), with the language of ctx for its email.
func (a *Authos) queueAccountMail(ctx context.Context, kind, email string) error {
	return dbError(a.enqueueSealed(ctx, a.st, topicAccountMail, accountMailRequest{Kind: kind, Email: email, Lang: a.language(ctx),
		Flow: linkFlow(ctx)}))
}

// deliverAccountMail handles one queued request: when the email belongs to
// an account the request applies to, it stores the link token and queues
// its email in one transaction; otherwise it does nothing.
func (a *Authos) deliverAccountMail(ctx context.Context, m store.OutboxMessage) error {
	var req accountMailRequest
	if err := a.openSealed(m, &req); err != nil {
		return err
	}
	ctx = withFlow(WithLanguage(ctx, req.Lang), req.Flow)
	return a.st.Tx(ctx, func(tx store.Tx) error {
		u, err := tx.GetUserByEmail(ctx, req.Email)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || u.Disabled {
			return err
		}
		switch req.Kind {
		case mailKindReset:
			if _, err := tx.PruneUserTokens(ctx, u.ID, store.PurposeResetPassword, liveResetLinks-1, a.now()); err != nil {
				return err
			}
			// The link dates from the request, so that links of requests
			// handled in one batch keep the order they were asked in.
			link, err := a.createLinkToken(ctx, tx, u.ID, store.PurposeResetPassword, m.CreatedAt, a.cfg.PasswordResetTTL, linkPage(ctx, a.cfg.ResetPasswordURL))
			if err != nil {
				return err
			}
			return a.enqueueEmail(ctx, tx, templateResetPassword, u.Email, EmailData{Name: u.Name, Link: link,
				ExpiresIn: humanDuration(a.language(ctx), a.cfg.PasswordResetTTL)})
		case mailKindVerify:
			if u.EmailVerified {
				return nil
			}
			return a.queueVerification(ctx, tx, u)
		}
		return fmt.Errorf("authos: unknown account mail kind %q", req.Kind)
	})
}
