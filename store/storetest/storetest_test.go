package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/store/storetest"
)

// txHidesCapabilities offers every capability on the Storage (the embedded
// *memory.Store) but none inside its transactions: it breaks the contract.
type txHidesCapabilities struct{ *memory.Store }

func (s txHidesCapabilities) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Tx(ctx, func(tx store.Tx) error { return fn(struct{ store.Tx }{tx}) })
}

// The suite fails a backend whose transactions lack a capability its
// Storage offers, in that capability's section only.
func TestCapabilityMissingInTx(t *testing.T) {
	if os.Getenv("STORETEST_BROKEN_BACKEND") == "1" {
		storetest.Run(t, func(t *testing.T) store.Storage { return txHidesCapabilities{memory.New()} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCapabilityMissingInTx$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORETEST_BROKEN_BACKEND=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed the broken backend:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestCapabilityMissingInTx/MFA/TxOffersCapability",
		"--- FAIL: TestCapabilityMissingInTx/Device/TxOffersCapability",
		"does not implement store.MFAStore, which the Storage offers",
		"--- PASS: TestCapabilityMissingInTx/MFA/PutGet",
		"--- PASS: TestCapabilityMissingInTx/Users",
		"--- PASS: TestCapabilityMissingInTx/Tx",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the run's output lacks %q:\n%s", want, out)
		}
	}
}
