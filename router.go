package authos

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Route is one endpoint: a Go 1.22 ServeMux pattern ("METHOD /path/{name}",
// the path without the base path) and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// routeTable holds every route registered with an instance: the core's,
// added by New, and those of the packages created for it.
type routeTable struct {
	mu     sync.Mutex
	routes []Route
	frozen bool // Handler was built
	once   sync.Once
	served http.Handler
}

// register adds routes, all or none. It fails on a malformed pattern, on a
// pattern that is registered already or conflicts with one, and once
// Handler was built. Routes of the groups the configuration leaves out
// (Config.LeaveOut) are dropped.
func (a *Authos) register(routes ...Route) error {
	t := &a.table
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.frozen {
		return errors.New("authos: routes registered after Handler was built; create every package (mfa.New, device.New, ...) before calling Handler")
	}
	keep := make([]Route, 0, len(routes))
	for _, rt := range routes {
		if rt.Handler == nil {
			return fmt.Errorf("authos: route %q has no handler", rt.Pattern)
		}
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || method == "" || !strings.HasPrefix(path, "/") {
			return fmt.Errorf("authos: route pattern %q must be \"METHOD /path\"", rt.Pattern)
		}
		if !a.cfg.LeaveOut.omits(path) {
			keep = append(keep, rt)
		}
	}
	// Check on a copy, so that a failure registers nothing.
	probe := http.NewServeMux()
	for _, rt := range slices.Concat(t.routes, keep) {
		if err := probeHandle(probe, rt.Pattern); err != nil {
			return err
		}
	}
	t.routes = append(t.routes, keep...)
	return nil
}

// probeHandle registers pattern on mux, turning ServeMux's panic on a
// duplicate or conflicting pattern into an error.
func probeHandle(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("authos: route %q: %v", pattern, v)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
}

// Routes lists the "METHOD /path" patterns Handler serves (paths without
// the base path): the core's and those of every package created for this
// instance.
func (a *Authos) Routes() []string {
	a.table.mu.Lock()
	defer a.table.mu.Unlock()
	out := make([]string, 0, len(a.table.routes))
	for _, rt := range a.table.routes {
		out = append(out, rt.Pattern)
	}
	return out
}

// Handler serves every route of the instance (openapi.yaml): the accounts,
// sessions, organizations, platform and well-known routes, and the routes
// of every package created for it (mfa.New, device.New, scim.New, ...),
// under the base path (Config.BasePath, by default the path of BaseURL).
// Every other request gets the 404 envelope. A host mounts it once:
//
//	mux.Handle("/", a.Handler())
//
// Create the packages first: the route table is fixed when Handler is
// first called, and registering a route afterwards fails.
func (a *Authos) Handler() http.Handler {
	t := &a.table
	t.once.Do(func() {
		t.mu.Lock()
		t.frozen = true
		routes := slices.Clone(t.routes)
		t.mu.Unlock()
		register := func(mux *http.ServeMux) {
			for _, rt := range routes {
				mux.Handle(rt.Pattern, rt.Handler)
			}
		}
		t.served = a.withRequestContext(underBase(a.cfg.BasePath, wrapMux(register, a.log), a.log))
	})
	return t.served
}

// underBase serves h at base (no trailing slash; "" for the root): the
// base is taken off the request path before h sees it, and a request
// outside the base gets the 404 envelope.
func underBase(base string, h http.Handler, logger *slog.Logger) http.Handler {
	if base == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, base)
		if !ok || rest != "" && rest[0] != '/' {
			writeError(w, r, NewError(CodeNotFound, "No such route"), logger)
			return
		}
		if rest == "" {
			rest = "/"
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = rest
		if u.RawPath != "" {
			if raw, ok := strings.CutPrefix(u.RawPath, base); ok {
				u.RawPath = raw
			} else {
				u.RawPath = ""
			}
		}
		r2.URL = &u
		rw := &baseRedirects{ResponseWriter: w, base: base}
		h.ServeHTTP(rw, r2)
	})
}

// baseRedirects puts the base path back in front of a Location header that
// a handler set from the path it saw.
type baseRedirects struct {
	http.ResponseWriter
	base string
}

func (b *baseRedirects) WriteHeader(status int) {
	if status >= 300 && status < 400 {
		h := b.Header()
		if loc := h.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") {
			h.Set("Location", b.base+loc)
		}
	}
	b.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection.
func (b *baseRedirects) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// RouteGroups names optional groups of routes a host may leave out of
// Handler (Config.LeaveOut); the Go methods behind them stay.
type RouteGroups struct {
	// Organizations: /api/organizations and everything under it
	// (members, invitations, services, API keys, billing checkout),
	// including the routes packages add there (SCIM tokens and groups).
	Organizations bool
	// Platform: /api/platform/... (the platform owners' console).
	Platform bool
	// Billing: POST /webhooks/stripe and the billing checkout.
	Billing bool
}

// omits reports whether path is in a left-out group.
func (g RouteGroups) omits(path string) bool {
	under := func(prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	switch {
	case g.Organizations && under("/api/organizations"):
		return true
	case g.Platform && under("/api/platform"):
		return true
	case g.Billing && (under("/webhooks/stripe") || strings.HasPrefix(path, "/api/organizations/{org}/billing/")):
		return true
	}
	return false
}
