package sqlstore

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"0002_second.sql": {Data: []byte("CREATE TABLE b (x INTEGER);")},
		"0001_init.sql":   {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"README.md":       {Data: []byte("ignored")},
	}
	ms, err := LoadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[0].Name != "init" || ms[1].Version != 2 || ms[1].Name != "second" {
		t.Fatalf("LoadMigrations: got %+v", ms)
	}
	if len(ms[0].Checksum) != 64 || ms[0].Checksum == ms[1].Checksum {
		t.Errorf("checksums: got %q and %q", ms[0].Checksum, ms[1].Checksum)
	}

	for name, bad := range map[string]fstest.MapFS{
		"bad name":          {"init.sql": {Data: []byte("")}},
		"zero version":      {"0000_zero.sql": {Data: []byte("")}},
		"duplicate version": {"0001_a.sql": {Data: []byte("")}, "1_b.sql": {Data: []byte("")}},
	} {
		if _, err := LoadMigrations(bad); err == nil {
			t.Errorf("LoadMigrations(%s): got nil error", name)
		}
	}
}

func TestCheckRecorded(t *testing.T) {
	files := []Migration{{Version: 1, Name: "init", Checksum: "c1"}, {Version: 2, Name: "more", Checksum: "c2"}}
	tests := []struct {
		name     string
		recorded map[int64]recordedMigration
		want     error
	}{
		{"none applied", map[int64]recordedMigration{}, nil},
		{"some applied", map[int64]recordedMigration{1: {"init", "c1"}}, nil},
		{"all applied", map[int64]recordedMigration{1: {"init", "c1"}, 2: {"more", "c2"}}, nil},
		{"checksum changed", map[int64]recordedMigration{1: {"init", "other"}}, ErrChecksumMismatch},
		{"newer version", map[int64]recordedMigration{1: {"init", "c1"}, 3: {"future", "c3"}}, ErrUnknownMigration},
	}
	for _, tt := range tests {
		err := checkRecorded(tt.recorded, files)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: got %v; want %v", tt.name, err, tt.want)
		}
	}
}
