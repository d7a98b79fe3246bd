// Package device implements the OAuth 2.0 device authorization grant (RFC
// 8628) on top of authos, so that CLIs and TVs sign in with standard clients
// (golang.org/x/oauth2's Config.DeviceAuth and DeviceAccessToken) unchanged.
//
// Routes (registered by New, so the authos Handler serves them; documented
// in the repository's openapi.yaml):
//
//	POST /auth/device/code    client_id (+ scope) → device_code, user_code, verification_uri[_complete], expires_in, interval
//	POST /auth/token          grant_type=urn:ietf:params:oauth:grant-type:device_code → token response or RFC error
//	POST /auth/device/verify  bearer, {user_code}: approve
//	POST /auth/device/deny    bearer, {user_code}: deny
//	GET  /activate            activation page (?user_code= prefilled); never approves
//	POST /activate            the page's confirm form (CSRF-protected)
//
// Codes: the device code is 256 random bits, kept only as a SHA-256 hash and
// exchanged at most once. The user code is 8 characters of
// BCDFGHJKLMNPQRSTVWXZ (RFC 8628 §6.1), shown as XXXX-XXXX and matched
// case-insensitively ignoring dashes and spaces. Both expire after
// Config.CodeTTL (15 minutes). A new code that collides with a live one is
// drawn again.
//
// Token endpoint errors follow RFC 6749 §5.2 (HTTP 400, 401 for
// invalid_client with HTTP Basic): "error" is the RFC code and
// "error_description" the message, with the catalog "error_code" and
// "timestamp" beside them: authorization_pending and slow_down
// (DEVICE_CODE_PENDING), expired_token (DEVICE_CODE_EXPIRED), invalid_grant
// (INVALID_DEVICE_CODE), unsupported_grant_type (INVALID_GRANT_TYPE),
// access_denied (FORBIDDEN), invalid_client (UNAUTHORIZED),
// unauthorized_client (ORGANIZATION_NOT_ACTIVE).
//
// Polling: the token endpoint is not behind the per-IP rate limiter; polls
// are paced by slow_down instead (each one grows the interval by 5 s). The
// rule tolerates what golang.org/x/oauth2 does by default: with
// AuthStyleAutoDetect it sends every token request with HTTP Basic first and,
// when that gets any error (authorization_pending included), at once again
// with the client in the body, so each pending poll arrives twice. The
// second request of such a pair — same device code, the other way of
// authenticating, within 2 s — is treated as the same poll and given the
// same answer; a second repeat, or a repeat in the same style, counts as a
// new poll. See Service.Token and store.DeviceStore.PollDevice.
//
// Approval: a signed-in user (access token for the management audience)
// approves or denies a user code. The organization must be active. If the
// user has a second factor that the approving session did not pass,
// approval is refused with MFA_REQUIRED (the user signs in with MFA first);
// a session that passed it approves, and the device's tokens carry amr
// ["device", ...the approver's factors], so no second prompt follows.
// Wrong codes are limited to 5 per user per minute (per client IP on the
// page), then RATE_LIMIT_EXCEEDED with Retry-After.
//
// Tokens: the device gets a token response with a refresh token, minted by
// authos.CompleteLogin for the service (aud = its client_id, org and service
// claims). Host backends accept them with a.RequireAudience(clientID).
// Refreshing goes through authos's own refresh endpoint
// (POST /api/auth/refresh); the token endpoint here serves only the
// device-code grant.
//
// Activation page: see activate.go for the choice made about sign-in. By
// default the page shows which application asks and confirms with a CSRF
// protected form, and approves only when the POST carries an access token
// (Config.PageAuth replaces that for hosts with a browser sign-in). It
// shares the layout, stylesheet and languages of every authos page
// (authos Config.Pages, Config.DefaultLanguage, the request's
// Accept-Language); Config.Template replaces the page.
package device
