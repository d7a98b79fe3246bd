// Command loadtest drives one or several running authos servers (the
// example server, or a host embedding authos) with password logins, refresh
// rotations and token-protected GET /api/user requests at a given
// concurrency for a given time, and prints per operation the throughput,
// the 50th and 99th latency percentiles and the errors by status.
//
//	go run ./examples/loadtest -targets http://127.0.0.1:8080 -c 64 -d 20s -scenario user
//
// It needs a verified account: -email and -password name one (the example
// server creates AUTHOS_PLATFORM_OWNER_EMAIL verified at start); without
// them it signs up a fresh account once and, when the server writes its
// email to a directory (AUTHOS_MAILBOX_DIR), verifies it through the link
// found there (-mailbox). The per-address rate limits of the auth endpoints
// refuse a load from one machine within seconds: run the example server
// with AUTHOS_DISABLE_RATE_LIMITS=true for login and refresh scenarios.
//
// Scenarios: login, refresh, user (each run alone, in that order when
// several are named, comma-separated), or mixed (one run in which every
// worker cycles through the three). With several -targets, requests go
// round robin over them; they must share their database and keys.
package main
