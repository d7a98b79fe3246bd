// Package webhook delivers each organization's events to the HTTPS
// endpoints its admins register, as Standard Webhooks 1.0 messages
// (https://www.standardwebhooks.com): a JSON body {type, timestamp, data},
// the webhook-id (stable across retries), webhook-timestamp and
// webhook-signature headers, the signature a v1 HMAC-SHA256 of
// "{id}.{timestamp}.{body}" keyed by the endpoint's whsec_ secret (two
// signatures while a rotated secret overlaps the new one).
//
// Events come from the authos outbox, written in the transaction of the
// change they describe, so an event exists exactly when its change
// committed; each is queued once per matching endpoint, and the queue is
// delivered at least once by the workers of every instance (a lease per
// delivery; FOR UPDATE SKIP LOCKED on PostgreSQL). 2xx is delivered; other
// answers, 3xx included (redirects are not followed), and timeouts are
// retried with exponential backoff and jitter for about three days; 410
// disables the endpoint, and so do five days of failures, with an email to
// the organization's owners. Every connection goes through the outbound
// address guard: no loopback, private, link-local or cloud-metadata
// address is reached unless the host allows private targets.
package webhook
