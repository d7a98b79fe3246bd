// Command devicecli signs in to an authos server with the OAuth 2.0 device
// authorization grant (RFC 8628), using golang.org/x/oauth2 unmodified.
//
//	go run ./examples/devicecli -server http://localhost:8080 -client-id cl_...
//
// The client_id is that of a registered service (a public "desktop" or
// "mobile" service needs no secret). The command prints where to approve
// the request and the user code, polls the token endpoint until a signed-in
// user approves it (POST /auth/device/verify, or the /activate page), and
// prints the token's expiry. Flags fall back to AUTHOS_SERVER_URL and
// AUTHOS_CLIENT_ID.
package main
