package oauth

import (
	"context"
	"net/url"
	"sync"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/httpx"
)

// flowInfo is what a provider login needs to know of a sign-in flow.
type flowInfo struct {
	ID    string
	OrgID string
}

// lookupFlow reads the pending sign-in flow id without consuming it.
// BAD_REQUEST when it is unknown, used or expired.
func (s *Service) lookupFlow(ctx context.Context, id string) (flowInfo, error) {
	f, err := authos.Extend(s.a).SignInFlow(ctx, id)
	if err != nil {
		return flowInfo{}, err
	}
	return flowInfo{ID: f.ID, OrgID: f.OrgID}, nil
}

// methods remembers the providers that have a button on the hosted
// sign-in page.
type methods struct {
	mu   sync.Mutex
	seen map[string]bool
}

// registerSignIn adds a button for each platform provider to the hosted
// sign-in page; organizations' own providers get theirs when set up or
// when a sign-in page of the organization is shown.
func (s *Service) registerSignIn() {
	for _, n := range []string{GitHub, Google, Microsoft} {
		if _, ok := s.platformConn(n); ok {
			s.addMethod(n)
		}
	}
	for _, p := range s.cfg.OIDC {
		s.addMethod(p.Name)
	}
}

// addMethod registers the button of provider name once.
func (s *Service) addMethod(name string) {
	s.methods.mu.Lock()
	if s.methods.seen == nil {
		s.methods.seen = map[string]bool{}
	}
	done := s.methods.seen[name]
	s.methods.seen[name] = true
	s.methods.mu.Unlock()
	if done {
		return
	}
	authos.Extend(s.a).AddSignInMethod(authos.SignInMethod{ID: "social:" + name, Label: label(name),
		Start: func(ctx context.Context, f authos.SignInFlow) string { return s.button(ctx, f, name) }})
}

// button is the URL of provider name's button for the flow f, "" when the
// flow's organization has no credentials for it.
func (s *Service) button(ctx context.Context, f authos.SignInFlow, name string) string {
	names, err := s.available(ctx, f.OrgID)
	if err != nil {
		s.a.Logger().Warn("oauth: listing the sign-in providers", "error", err.Error())
		return ""
	}
	offered := false
	for _, n := range names {
		if n == name {
			offered = true
		} else {
			s.addMethod(n) // shown from the next page on
		}
	}
	if !offered {
		return ""
	}
	return httpx.AppendQuery(s.a.Config().BaseURL+"/auth/social/"+name, url.Values{"flow": {f.ID}})
}
