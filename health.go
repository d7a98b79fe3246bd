package authos

import (
	"context"
	"net/http"
	"time"
)

// readyTimeout bounds the store check of Ready when the caller's context
// has no earlier deadline.
const readyTimeout = 3 * time.Second

// HealthHandler is a liveness probe for the host to mount (conventionally
// at GET /healthz): it answers 200 {"status":"ok"} whenever the process
// serves requests, and checks nothing else, so that an outage of the
// database does not get healthy processes restarted. See ReadyHandler.
func (a *Authos) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeProbe(w, http.StatusOK)
	})
}

// Ready reports whether the instance can serve requests: the store answers
// (a read of the signing keys, within 3 s or ctx's deadline) and a signing
// key is loaded. The error is SERVICE_UNAVAILABLE, with the cause wrapped.
func (a *Authos) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if _, err := a.st.ListSigningKeys(ctx); err != nil {
		return WrapError(CodeServiceUnavailable, "Not ready: the store does not answer", err)
	}
	a.keys.mu.RLock()
	loaded := a.keys.signer != nil
	a.keys.mu.RUnlock()
	if !loaded {
		return NewError(CodeServiceUnavailable, "Not ready: no signing key is loaded")
	}
	return nil
}

// ReadyHandler is a readiness probe for the host to mount (conventionally
// at GET /readyz): 200 {"status":"ok"} when Ready, otherwise 503
// SERVICE_UNAVAILABLE in the error envelope (the cause is logged, never
// shown). A load balancer sends no traffic to an instance that is not ready.
func (a *Authos) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.Ready(r.Context()); err != nil {
			a.WriteError(w, r, err)
			return
		}
		writeProbe(w, http.StatusOK)
	})
}

// writeProbe writes a probe's {"status":"ok"}, never cached.
func writeProbe(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n")) // a write error means the prober is gone
}
