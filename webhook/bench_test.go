package webhook_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
)

// BenchmarkDeliveryThroughput measures events delivered per second to a
// loopback endpoint, from the outbox to the endpoint's 204, on SQLite and
// PostgreSQL (run with -benchtime=Nx: N events per run), and in the same
// run a bare HTTP POST loop with as many goroutines as the service has
// workers, to the same endpoint: ratio is the service's rate over the bare
// loop's.
func BenchmarkDeliveryThroughput(b *testing.B) {
	for _, be := range testbackends.List(b, false) {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b)
			rc := newConcurrencyReceiver(b, 0)
			inst := newInstance(b, st, authostest.Keyring(b))
			o := seedEndpoint(b, inst, st, rc.srv.URL)
			emitEvents(b, inst.a, st, o, b.N)

			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			start := time.Now()
			b.ResetTimer()
			wg.Go(func() { _ = inst.a.Run(ctx) })
			wg.Go(func() { _ = inst.wh.Run(ctx) })
			for rc.eventCount() < b.N {
				time.Sleep(2 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			wg.Wait()

			// The bare loop: the same number of POSTs of a body of the same
			// size, 8 at a time, on one keep-alive client.
			body := bytes.Repeat([]byte("x"), 300)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			var next atomic.Int64
			rawStart := time.Now()
			var rw sync.WaitGroup
			for range 8 {
				rw.Go(func() {
					for next.Add(1) <= int64(b.N) {
						resp, err := client.Post(rc.srv.URL, "application/json", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						_ = resp.Body.Close() // 204: nothing to read
					}
				})
			}
			rw.Wait()
			raw := time.Since(rawStart)
			evps := float64(b.N) / elapsed.Seconds()
			rawps := float64(b.N) / raw.Seconds()
			b.ReportMetric(evps, "events/s")
			b.ReportMetric(rawps, "bare-posts/s")
			b.ReportMetric(evps/rawps, "ratio")
		})
	}
}
