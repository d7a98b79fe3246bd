// Command basic is a host application that embeds authos: it serves the
// authos routes beside its own, and protects GET /hello with an access token.
//
//	go run ./examples/basic
//
// It listens on AUTHOS_ADDR (default :8080). Without AUTHOS_ENCRYPTION_KEY
// (openssl rand -base64 32) it keeps its SQLite database in a temporary
// directory that it removes on exit (Ctrl-C); with it, in basic.db.
package main
