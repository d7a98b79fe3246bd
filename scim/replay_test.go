package scim_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/authos/authos/store"
)

// sequence is a recorded request sequence of an identity provider
// (testdata/*.json; each file names its sources).
type sequence struct {
	Source []string `json:"source"`
	Steps  []struct {
		Name    string            `json:"name"`
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Body    json.RawMessage   `json:"body"`
		Status  int               `json:"status"`
		Capture map[string]string `json:"capture"`
		Expect  map[string]any    `json:"expect"`
		Absent  []string          `json:"absent"`
		State   struct {
			Users    map[string]string   `json:"users"`
			Groups   map[string][]string `json:"groups"`
			Accounts map[string]string   `json:"accounts"`
		} `json:"state"`
	} `json:"steps"`
}

// replay runs the sequence in file on a fresh harness of st: each step's
// status, content type, expected fields and the stored state after it.
func replay(t *testing.T, st store.Storage, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var seq sequence
	if err := json.Unmarshal(raw, &seq); err != nil {
		t.Fatal(err)
	}
	if len(seq.Source) == 0 {
		t.Fatal("the sequence names no source")
	}
	h := newHarness(t, st)
	vars := map[string]string{}
	subst := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	for i, step := range seq.Steps {
		var body any
		if len(step.Body) > 0 {
			body = subst(string(step.Body))
		}
		r := h.scim(step.Method, subst(step.Path), body)
		where := fmt.Sprintf("step %d (%s)", i+1, step.Name)
		if r.status != step.Status {
			t.Fatalf("%s: %s %s: %d %s; want %d", where, step.Method, subst(step.Path), r.status, r.raw, step.Status)
		}
		if step.Status != 204 {
			if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
				t.Errorf("%s: Content-Type %q", where, ct)
			}
		}
		for k, v := range step.Capture {
			got, _ := get(r.body, v)
			s, _ := got.(string)
			if s == "" {
				t.Fatalf("%s: no %s to capture in %s", where, v, r.raw)
			}
			vars[k] = s
		}
		for path, want := range step.Expect {
			if s, ok := want.(string); ok {
				want = subst(s)
			}
			got, ok := get(r.body, path)
			if n, isNum := got.(json.Number); isNum {
				got, _ = n.Float64()
			}
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %v (%T); want %v (%T)\n%s", where, path, got, got, want, want, r.raw)
			}
		}
		for _, path := range step.Absent {
			if got, ok := get(r.body, path); ok {
				t.Errorf("%s: %s present (%v)", where, path, got)
			}
		}
		if _, ok := r.body["password"]; ok {
			t.Errorf("%s: the password attribute was returned", where)
		}
		for userName, want := range step.State.Users {
			if got := h.memberState(h.org.ID, userName); got != want {
				t.Errorf("%s: stored state of %s = %s; want %s", where, userName, got, want)
			}
		}
		for name, want := range step.State.Groups {
			got, ok := h.groupMembers(h.org.ID, name)
			slices.Sort(want)
			if !ok || !slices.Equal(got, want) {
				t.Errorf("%s: stored members of group %q = %v (found %v); want %v", where, name, got, ok, want)
			}
		}
		for email, want := range step.State.Accounts {
			u, err := h.st.GetUserByEmail(t.Context(), email)
			if err != nil || want == "verified" && !u.EmailVerified {
				t.Errorf("%s: account %s = %+v, %v; want %s", where, email, u, err, want)
			}
		}
	}
}

func TestOktaSequence(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) { replay(t, st, "testdata/okta.json") })
}

func TestEntraSequence(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) { replay(t, st, "testdata/entra.json") })
}
