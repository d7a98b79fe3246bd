// Package mfa adds a second factor to authos logins: time-based one-time
// passwords (TOTP, RFC 6238, built on HOTP, RFC 4226) from an authenticator
// app, with single-use backup codes.
//
// New builds a Service and registers it with the *authos.Authos as its
// second factor: from then on a first factor (password, ...) of a user with
// MFA enabled ends in 401 MFA_REQUIRED with a short-lived preauth_token, and
// Verify (POST /api/auth/mfa/verify) finishes that login with a TOTP or a
// backup code; the session's amr then holds "otp". New registers the routes
// of openapi.yaml's "mfa" tag with the instance, so the authos Handler
// serves them; every step is also a Go method.
//
// Enrollment: Setup returns the secret, its otpauth:// URL (the Key URI
// Format of Google Authenticator: otpauth://totp/ISSUER:ACCOUNT?secret=...&
// issuer=ISSUER&algorithm=SHA1&digits=6&period=30) and that URL as a QR code
// PNG. The secret (160 bits from crypto/rand) is stored encrypted with the
// secrets keyring, bound to the user, and stays pending until Enable receives
// a valid code; Enable returns 10 backup codes, shown once, and revokes
// every other session of the user (they signed in without the new factor).
//
// Re-authentication: a stolen access token alone changes nothing. Setup,
// Enable, Disable and RegenerateBackupCodes first call
// authos.Reauthenticate: the request carries current_password (wrong values
// count into the login lockout), or, for an account without a password, the
// session must have signed in within authos Config.ReauthMaxAge (5 minutes).
// Otherwise the answer is 401 INVALID_CREDENTIALS.
//
// Codes: SHA-1, 6 digits, 30-second steps, one step of drift either way,
// server time only. Each accepted time step is recorded per user, so a code
// works once: replaying it, or any code of an earlier step, fails even
// inside its window. Backup codes carry 120 bits (24 characters of the
// lower-case RFC 4648 base32 alphabet, shown in groups of four joined by
// dashes; case, spaces and dashes are ignored on input), are stored as
// SHA-256 hashes bound to the user (ASVS 5.0 6.5.3 allows a fast hash from
// 112 bits), and are looked up by hash, so no code is ever compared in
// variable time. Each works once; regenerating voids the whole old set.
//
// Throttling: every code check (login, enable, disable, regenerate) counts
// against the user: after 5 attempts without success in 15 minutes further
// checks are refused with RATE_LIMIT_EXCEEDED and Retry-After for 15
// minutes, even with a correct code; a success resets the count. A preauth
// token also dies after 5 wrong codes, and every route but the status is
// rate limited per client IP.
//
// The caller's duties: call New before the authos Handler is built (it
// registers the routes), and run authos's outbox worker (Authos.Run) so that the
// events mfa.enabled, mfa.disabled, mfa.backup_codes_regenerated and
// mfa.reset reach their consumers.
package mfa
