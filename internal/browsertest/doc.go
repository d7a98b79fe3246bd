// Package browsertest drives the hosted sign-in pages (OAuth 2.0, RFC 6749
// §4.1; OpenID Connect Core §3.1) in headless Chromium with playwright-core:
// browser_test.go serves an instance and runs signin.js. The test skips
// when Chromium, Node.js or playwright-core is missing, unless
// AUTHOS_TEST_BROWSER=1. Install the pinned playwright-core with `npm ci`
// in this directory (or put it on NODE_PATH).
package browsertest
