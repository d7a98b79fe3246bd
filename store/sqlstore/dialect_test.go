package sqlstore

import "testing"

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
