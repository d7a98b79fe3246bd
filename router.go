package authos

import (
	"log/slog"
	"net/http"
	"sync"
)

// Route is one endpoint of a package's handler: a Go 1.22 ServeMux pattern
// ("METHOD /path/{name}") and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Router turns a package's routes into its Handler (built once, with
// WrapMux's envelopes for unknown routes, wrong methods and panics) and
// lists them for documentation checks. Domain packages embed one.
type Router struct {
	routes func() []Route
	logger *slog.Logger

	once    sync.Once
	handler http.Handler
}

// NewRouter returns a Router over routes (called once, when first needed).
func NewRouter(logger *slog.Logger, routes func() []Route) *Router {
	return &Router{routes: routes, logger: logger}
}

// Handler serves the routes; every other request gets the 404 envelope.
func (r *Router) Handler() http.Handler {
	r.once.Do(func() {
		mux := http.NewServeMux()
		for _, rt := range r.routes() {
			mux.Handle(rt.Pattern, rt.Handler)
		}
		r.handler = WrapMux(mux, r.logger)
	})
	return r.handler
}

// Routes lists the "METHOD /path" patterns Handler serves.
func (r *Router) Routes() []string {
	var out []string
	for _, rt := range r.routes() {
		out = append(out, rt.Pattern)
	}
	return out
}
