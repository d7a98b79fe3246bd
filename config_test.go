package authos

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/store/memory"
)

// durationFields lists the paths ("Lockout.Window") of every time.Duration
// field of t, following nested structs.
func durationFields(t reflect.Type, prefix string) []string {
	var paths []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		switch {
		case f.Type == reflect.TypeFor[time.Duration]():
			paths = append(paths, prefix+f.Name)
		case f.Type.Kind() == reflect.Struct:
			paths = append(paths, durationFields(f.Type, prefix+f.Name+".")...)
		}
	}
	return paths
}

// TestNegativeDurationsRefused: every duration of Config, found by
// reflection so that a new field is covered too, refuses a negative value
// at New with an error naming the field; zero (the default) is accepted.
func TestNegativeDurationsRefused(t *testing.T) {
	kr, err := NewKeyring(testKey(3))
	if err != nil {
		t.Fatal(err)
	}
	base := func() Config { return Config{Store: memory.New(), Keyring: kr, Hasher: fastHasher{}} }
	if _, err := New(context.Background(), base()); err != nil {
		t.Fatalf("New with zero durations: %v", err)
	}
	paths := durationFields(reflect.TypeFor[Config](), "")
	if len(paths) < 20 {
		t.Fatalf("found %d duration fields: %v", len(paths), paths)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			cfg := base()
			v := reflect.ValueOf(&cfg).Elem()
			for name := range strings.SplitSeq(path, ".") {
				v = v.FieldByName(name)
			}
			v.SetInt(int64(-time.Second))
			_, err := New(context.Background(), cfg)
			if err == nil {
				t.Fatalf("New accepted Config.%s = -1s", path)
			}
			if !strings.Contains(err.Error(), "Config."+path+" is negative") {
				t.Errorf("error %q does not name Config.%s", err, path)
			}
		})
	}
}
