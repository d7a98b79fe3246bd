package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

func main() {
	server := flag.String("server", envOr("AUTHOS_SERVER_URL", "http://localhost:8080"), "authos server URL (AUTHOS_SERVER_URL)")
	clientID := flag.String("client-id", os.Getenv("AUTHOS_CLIENT_ID"), "the service's client_id (AUTHOS_CLIENT_ID)")
	scope := flag.String("scope", "", "space-separated scopes to request")
	flag.Parse()
	if *clientID == "" {
		fmt.Fprintln(os.Stderr, "devicecli: -client-id (or AUTHOS_CLIENT_ID) is required")
		os.Exit(2)
	}
	base := strings.TrimRight(*server, "/")
	conf := &oauth2.Config{
		ClientID: *clientID,
		Scopes:   strings.Fields(*scope),
		Endpoint: oauth2.Endpoint{DeviceAuthURL: base + "/auth/device/code", TokenURL: base + "/auth/token"},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, conf); err != nil {
		fmt.Fprintln(os.Stderr, "devicecli:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, conf *oauth2.Config) error {
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return fmt.Errorf("starting the device authorization: %w", err)
	}
	fmt.Printf("Open %s\n", da.VerificationURIComplete)
	fmt.Printf("or go to %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	fmt.Printf("Waiting for approval (the code expires at %s)...\n", da.Expiry.Format(time.Kitchen))
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		return fmt.Errorf("waiting for approval: %w", err)
	}
	fmt.Printf("Signed in. The access token expires at %s (refresh token: %t).\n",
		tok.Expiry.Format(time.RFC3339), tok.RefreshToken != "")
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
