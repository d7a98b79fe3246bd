// Command server runs authos as a standalone identity service.
//
//	go run ./examples/server
//
// With no settings it listens on :8080 and keeps everything in the SQLite
// file authos.db (and its encryption key in authos.db.key) in the working
// directory. It is configured only by environment variables:
//
//	AUTHOS_ADDR                     listen address (default :8080)
//	AUTHOS_BASE_URL                 public URL for links, issuer, metadata (default: follows AUTHOS_ADDR,
//	                                http://localhost:8080 for :8080, http://127.0.0.1:9000 for 127.0.0.1:9000)
//	AUTHOS_DATABASE_URL             sqlite:PATH (default sqlite:authos.db), postgres://..., or memory:
//	AUTHOS_PLATFORM_OWNER_EMAIL     with AUTHOS_PLATFORM_OWNER_PASSWORD: this account is created at start
//	AUTHOS_PLATFORM_OWNER_PASSWORD  if absent (verified, platform owner)
//	AUTHOS_SMTP_URL                 smtp://user:pass@host:port (smtps:// for implicit TLS; ?from=sender)
//	AUTHOS_MAILBOX_DIR              without SMTP: write each email there as an .eml file
//	AUTHOS_ENCRYPTION_KEY           base64 32-byte key, or a comma-separated keyring, newest first
//	AUTHOS_REDIS_URL                share rate limits between instances
//	AUTHOS_AUTO_APPROVE_ORGS        true: new organizations start active
//	AUTHOS_STRIPE_SECRET_KEY        with AUTHOS_STRIPE_WEBHOOK_SECRET and AUTHOS_STRIPE_PRICES
//	                                (tier=price_id,...): Stripe billing; AUTHOS_STRIPE_API_BASE for stripe-mock
//	AUTHOS_OAUTH_GITHUB_CLIENT_ID   with _CLIENT_SECRET (likewise _GOOGLE_, _MICROSOFT_): the platform's
//	                                social login credentials (organizations may set up their own)
//	AUTHOS_OIDC_PROVIDERS           generic OpenID Connect providers: name=issuer,client_id,client_secret;...
//	AUTHOS_ALLOW_PRIVATE_OUTBOUND   true: webhooks and OIDC discovery may reach loopback and private
//	                                addresses (development and tests only)
//	AUTHOS_DISABLE_RATE_LIMITS      true: no per-address limits on the auth endpoints (load tests from one
//	                                machine only; the lockout still counts wrong passwords)
//	AUTHOS_SIGNIN_REDIRECT_URIS     comma-separated redirect URIs of your own front end, which then signs in
//	                                through /auth/authorize as the built-in public client "host" (PKCE,
//	                                no secret); its tokens work on the management API
//
// It mounts the core, MFA, device-flow, SCIM, webhook and social login routes (SCIM 2.0 at
// AUTHOS_BASE_URL + "/scim/v2"); the core's handler also serves the pages
// the emailed verification and reset links open.
//
// Logs are JSON lines on standard error. SIGINT or SIGTERM stops the server
// gracefully: requests in flight finish (up to 15 s), then background work
// stops and the store is closed.
package main
