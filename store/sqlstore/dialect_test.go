package sqlstore

import (
	"fmt"
	"testing"
)

func TestRebind(t *testing.T) {
	pg := Dialect{NumberedPlaceholders: true}
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE x = ? AND y IN (?, ?)`, `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)`},
		{`SELECT '?' , "a?b", ? -- what?` + "\n" + `, ?`, `SELECT '?' , "a?b", $1 -- what?` + "\n" + `, $2`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
	}
	for _, tt := range tests {
		if got := pg.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
	lite := Dialect{}
	if q := `SELECT ? , ?`; lite.Rebind(q) != q {
		t.Errorf("Rebind without numbered placeholders changed the query")
	}
}

func TestPlaceholders(t *testing.T) {
	for n, want := range map[int]string{0: "", 1: "?", 3: "?, ?, ?"} {
		if got := placeholders(n); got != want {
			t.Errorf("placeholders(%d): got %q; want %q", n, got, want)
		}
	}
}

// TestRebindCache: the Store's cached rebind gives Rebind's text, for a text
// seen before and for new texts once the cache is full (which then holds
// no more than maxRebound texts).
func TestRebindCache(t *testing.T) {
	s := &Store{d: Dialect{NumberedPlaceholders: true}}
	for range 2 {
		if got, want := s.rebind("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?"), "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2"; got != want {
			t.Fatalf("rebind: got %q; want %q", got, want)
		}
	}
	for i := range maxRebound + 10 {
		q := fmt.Sprintf("SELECT %d WHERE x IN (?, ?)", i)
		if got, want := s.rebind(q), fmt.Sprintf("SELECT %d WHERE x IN ($1, $2)", i); got != want {
			t.Fatalf("rebind(%q): got %q; want %q", q, got, want)
		}
	}
	if n := s.rebound.n.Load(); n != maxRebound {
		t.Errorf("cached texts: %d; want %d", n, maxRebound)
	}
	if q := "SELECT ?"; (&Store{d: Dialect{}}).rebind(q) != q {
		t.Errorf("rebind without NumberedPlaceholders changed %q", q)
	}
}
