// Command basic is a host application that embeds authos: it serves the
// authos routes beside its own, and protects GET /hello with an access token.
//
//	AUTHOS_ENCRYPTION_KEY=$(openssl rand -base64 32) go run ./examples/basic
package main
