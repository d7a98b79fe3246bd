package device

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// RFC 6749 §5.2 / RFC 8628 §3.5 error codes of the token endpoint.
const (
	ErrAuthorizationPending = "authorization_pending"
	ErrSlowDown             = "slow_down"
	ErrAccessDenied         = "access_denied"
	ErrExpiredToken         = "expired_token"
	ErrInvalidGrant         = "invalid_grant"
	ErrInvalidClient        = "invalid_client"
	ErrInvalidRequest       = "invalid_request"
	ErrUnauthorizedClient   = "unauthorized_client"
	ErrUnsupportedGrantType = "unsupported_grant_type"
	ErrServerError          = "server_error"
)

// OAuthError is an error of the token and device authorization endpoints:
// the RFC error code, with the catalog code sent beside it as error_code.
type OAuthError = authos.OAuthError

func oauthErr(rfc string, code authos.ErrorCode, desc string) *OAuthError {
	return authos.NewOAuthError(rfc, code, desc)
}

// fromError maps an authos error (client authentication, login checks,
// store) to the OAuth error sent for it.
func fromError(err error) *OAuthError {
	var oe *OAuthError
	if errors.As(err, &oe) {
		return oe
	}
	e := authos.AsError(err)
	switch e.Code {
	case authos.CodeUnauthorized:
		return oauthErr(ErrInvalidClient, e.Code, e.PublicMessage())
	case authos.CodeOrganizationNotActive:
		return oauthErr(ErrUnauthorizedClient, e.Code, e.PublicMessage())
	case authos.CodeBadRequest:
		return oauthErr(ErrInvalidRequest, e.Code, e.PublicMessage())
	case authos.CodeForbidden, authos.CodeEmailNotVerified, authos.CodeMFARequired:
		// The approving account can no longer sign in, or gained a
		// second factor since the approval: no preauth token is sent.
		return oauthErr(ErrAccessDenied, authos.CodeForbidden, "The approving account cannot sign in: "+e.PublicMessage())
	}
	if e.Code.HTTPStatus() < 500 {
		return oauthErr(ErrInvalidRequest, e.Code, e.PublicMessage())
	}
	return &OAuthError{RFC: ErrServerError, Code: e.Code, Description: e.PublicMessage(), Status: 500, Err: err}
}

// TokenRequest is a device-code token request, once parsed.
type TokenRequest struct {
	ClientID     string
	ClientSecret string // empty for public clients
	DeviceCode   string
	// Via names how the client authenticated ("basic" or "body"); the
	// polling rule tells a retry in the other style from a new poll.
	Via       string
	ClientIP  string
	UserAgent string
}

// Token answers one poll of the token endpoint for the device-code grant.
// Errors are *OAuthError: invalid_client (unknown client, bad secret, or
// not the client the code was issued to), unauthorized_client
// (ORGANIZATION_NOT_ACTIVE), invalid_grant (INVALID_DEVICE_CODE: unknown or
// already exchanged), expired_token (DEVICE_CODE_EXPIRED), access_denied
// (FORBIDDEN), slow_down and authorization_pending (DEVICE_CODE_PENDING).
//
// Pacing: a poll earlier than the interval after the last counted poll
// (less a slack of a fifth of the interval, at most 1 s, for network
// jitter) gets slow_down and grows the interval by 5 s. One exception: the
// immediate retry (within 2 s) of a poll that authenticated the client the
// other way (HTTP Basic, then the body, or the reverse) is the same poll
// sent twice by a client probing auth styles — golang.org/x/oauth2's
// default AuthStyleAutoDetect retries every failed token request that way,
// so each of its pending polls arrives twice — and gets the answer the
// first one got, without being counted. See store.DeviceStore.PollDevice.
func (s *Service) Token(ctx context.Context, req TokenRequest) (*authos.TokenResponse, error) {
	if req.DeviceCode == "" || len(req.DeviceCode) > 512 {
		return nil, oauthErr(ErrInvalidRequest, authos.CodeBadRequest, "device_code is required")
	}
	c, err := s.a.AuthenticateClient(ctx, req.ClientID, req.ClientSecret)
	if err != nil {
		return nil, fromError(err)
	}
	return s.redeem(ctx, c, req)
}

// grant is the device-code grant registered with the token endpoint of
// the authos instance, which has authenticated the client.
func (s *Service) grant(ctx context.Context, tr *authos.TokenRequest) (*authos.TokenResponse, error) {
	req := TokenRequest{ClientID: tr.Client.Service.ClientID, DeviceCode: tr.Form.Get("device_code"), Via: tr.Via,
		ClientIP: tr.ClientIP, UserAgent: tr.UserAgent}
	if req.DeviceCode == "" || len(req.DeviceCode) > 512 {
		return nil, oauthErr(ErrInvalidRequest, authos.CodeBadRequest, "device_code is required")
	}
	tok, err := s.redeem(ctx, tr.Client, req)
	if err != nil {
		return nil, fromError(err)
	}
	return tok, nil
}

// redeem answers a poll of client c, authenticated.
func (s *Service) redeem(ctx context.Context, c authos.ServiceClient, req TokenRequest) (*authos.TokenResponse, error) {
	hash := hashDeviceCode(req.DeviceCode)
	d, err := s.st.GetDeviceByCodeHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidCode()
	}
	if err != nil {
		return nil, fromError(storeError(err))
	}
	if d.ClientID != c.Service.ClientID {
		return nil, oauthErr(ErrInvalidClient, authos.CodeUnauthorized, "The device code was issued to another client")
	}
	now := s.a.Now()
	slack := min(time.Duration(d.Interval)*time.Second/5, pollSlackMax)
	d, tooFast, err := s.st.PollDevice(ctx, hash, store.DevicePoll{At: now, Via: req.Via, Slack: slack, RepeatWindow: repeatWindow})
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidCode()
	}
	if err != nil {
		return nil, fromError(storeError(err))
	}
	switch {
	case !d.ExpiresAt.After(now):
		return nil, expired()
	case d.Status == store.DeviceStatusExchanged:
		return nil, oauthErr(ErrInvalidGrant, authos.CodeInvalidDeviceCode, "The device code was already used")
	case d.Status == store.DeviceStatusDenied:
		return nil, oauthErr(ErrAccessDenied, authos.CodeForbidden, "The user denied the request")
	case tooFast:
		e := oauthErr(ErrSlowDown, authos.CodeDeviceCodePending, "Polling too fast; wait the interval between requests")
		return nil, e
	case d.Status == store.DeviceStatusPending:
		return nil, oauthErr(ErrAuthorizationPending, authos.CodeDeviceCodePending, "The user has not approved the request yet")
	}
	d, err = s.st.ExchangeDevice(ctx, hash, now)
	switch {
	case errors.Is(err, store.ErrExpired):
		return nil, expired()
	case errors.Is(err, store.ErrUsed), errors.Is(err, store.ErrNotFound):
		return nil, oauthErr(ErrInvalidGrant, authos.CodeInvalidDeviceCode, "The device code was already used")
	case err != nil:
		return nil, fromError(storeError(err))
	}
	user, err := s.st.GetUser(ctx, d.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oauthErr(ErrAccessDenied, authos.CodeForbidden, "The approving account no longer exists")
	}
	if err != nil {
		return nil, fromError(storeError(err))
	}
	lc := authos.ServiceLoginContext(c, authos.AMRDevice)
	lc.AMR = []string{authos.AMRDevice}
	for _, m := range d.ApproverAMR {
		if !slices.Contains(lc.AMR, m) {
			lc.AMR = append(lc.AMR, m)
		}
	}
	lc.ClientIP, lc.UserAgent = req.ClientIP, req.UserAgent
	tr, err := s.a.CompleteLogin(ctx, user, lc)
	if err != nil {
		return nil, fromError(err)
	}
	return tr, nil
}

func invalidCode() *OAuthError {
	return oauthErr(ErrInvalidGrant, authos.CodeInvalidDeviceCode, "Unknown device code")
}

func expired() *OAuthError {
	return oauthErr(ErrExpiredToken, authos.CodeDeviceCodeExpired, "The device code has expired; start again")
}
