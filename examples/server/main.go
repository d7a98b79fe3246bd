package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// shutdownTimeout bounds the wait for requests in flight on exit.
const shutdownTimeout = 15 * time.Second

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	setMemoryLimit(os.Getenv, logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, logger, nil); err != nil {
		logger.Error("authos server stopped", "error", err.Error())
		stop()
		os.Exit(1)
	}
}

// setMemoryLimit gives the process a soft memory limit when GOMEMLIMIT is
// not set: 12 MiB plus 20 MiB per password-hash worker (GOMAXPROCS, as
// the default Argon2id pool has; each hash holds 19 MiB). Without it the
// Go heap may hold, between two collections, up to as much garbage of
// finished hashes as there are live ones, so a login flood would double
// the memory the hash pool bounds; the pool collects before a hash would
// take the memory in use over 80% of the limit. The 12 MiB cover the rest
// of the Go heap under a flood (about 2 MiB of objects, the stacks and
// buffers of the open connections, the runtime's metadata); with 24 MiB
// the heap kept a third hash's pages (free but resident) and peaked about
// 10 MiB higher, for the same CPU per login. The limit is soft: a heap
// that needs more gets it, at the price of more frequent collections.
func setMemoryLimit(getenv func(string) string, logger *slog.Logger) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(12+20*runtime.GOMAXPROCS(0)) << 20
	debug.SetMemoryLimit(limit)
	logger.Info("soft memory limit set; GOMEMLIMIT overrides it", "limit_mib", limit>>20)
}

// run serves until ctx is done. ready, when not nil, is called with the
// address the server listens on once it accepts connections.
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger, ready func(addr string)) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.baseURLFromAddr { // the port chosen for ":0" is known now
		cfg.BaseURL = baseURLFor(ln.Addr().String())
	}
	srv, err := setup(ctx, cfg, logger)
	if err != nil {
		_ = ln.Close() // setup's error is the one to report
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			logger.Error("closing the store", "error", err.Error())
		}
	}()

	// Background work (outbox delivery, revocation sync, cleanup) outlives
	// the signal so that it keeps running while requests drain.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	bg.Go(func() {
		if err := srv.authos.Run(bgCtx); err != nil {
			logger.Error("background work stopped", "error", err.Error())
		}
	})
	bg.Go(func() {
		if err := srv.webhooks.Run(bgCtx); err != nil {
			logger.Error("webhook delivery stopped", "error", err.Error())
		}
	})
	bg.Go(func() {
		if err := srv.oauth.Run(bgCtx, 5*time.Minute); err != nil {
			logger.Error("provider token refresh stopped", "error", err.Error())
		}
	})
	defer func() {
		stopBackground()
		bg.Wait()
	}()

	hs := &http.Server{
		Handler:           srv.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("authos server listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL,
		"database", cfg.Database.String())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	logger.Info("authos server stopped")
	return nil
}
