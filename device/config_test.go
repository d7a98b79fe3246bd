package device_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/authostest"
	"github.com/authos/authos/device"
)

// TestNewRefusesNonsensicalConfig: New names each nonsensical setting (a
// negative duration, which would otherwise become the default unnoticed, a
// code lifetime of more than a day, an interval that is no whole number of
// seconds or not shorter than the lifetime) and registers nothing, so a
// corrected Config works on the same instance.
func TestNewRefusesNonsensicalConfig(t *testing.T) {
	a := authostest.New(t)
	for _, tc := range []struct {
		cfg  device.Config
		want []string
	}{
		{device.Config{CodeTTL: -time.Minute}, []string{"Config.CodeTTL is negative (-1m0s)"}},
		{device.Config{Interval: -5 * time.Second}, []string{"Config.Interval is negative (-5s)"}},
		{device.Config{CodeTTL: -time.Minute, Interval: -time.Second}, []string{"Config.CodeTTL is negative", "Config.Interval is negative"}},
		{device.Config{CodeTTL: 48 * time.Hour}, []string{"Config.CodeTTL is 48h0m0s; at most 24h0m0s"}},
		{device.Config{Interval: 1500 * time.Millisecond}, []string{"whole number of seconds"}},
		{device.Config{CodeTTL: 5 * time.Second, Interval: 5 * time.Second}, []string{"shorter than Config.CodeTTL"}},
	} {
		_, err := device.New(a.Authos, tc.cfg)
		if err == nil {
			t.Errorf("New(%+v) accepted it", tc.cfg)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%+v) = %q; want it to say %q", tc.cfg, err, w)
			}
		}
	}
	if _, err := device.New(a.Authos, device.Config{CodeTTL: 10 * time.Minute, Interval: 2 * time.Second}); err != nil {
		t.Fatalf("New with a sound Config after the refusals: %v", err)
	}
}
