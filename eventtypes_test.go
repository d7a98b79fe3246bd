package authos_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/device"
	"github.com/authos/authos/event"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/scim"
)

// eventConst matches the declaration of an event type constant: EventXxx
// in a domain package, any constant in package event.
var eventConst = regexp.MustCompile(`(?m)^\s+(Event[A-Za-z]+)\s+= "([a-z_.]+)"`)
var coreEventConst = regexp.MustCompile(`(?m)^\s+([A-Z][A-Za-z]+)\s+= "([a-z_.]+)"`)

// TestEventCatalogCoversEveryEmittedType reads the event constants of the
// core and of the domain packages from their source and checks that each
// is in the catalog of an instance with those packages built, described.
func TestEventCatalogCoversEveryEmittedType(t *testing.T) {
	a := authostest.New(t)
	if _, err := mfa.New(a.Authos, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := device.New(a.Authos, device.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := scim.New(a.Authos, scim.Config{}); err != nil {
		t.Fatal(err)
	}
	catalog := map[string]authos.EventType{}
	for _, et := range a.EventTypes() {
		catalog[et.Type] = et
		if et.Description == "" || et.Version < 1 || (et.Scope != event.ScopeOrganization && et.Scope != event.ScopeUser) {
			t.Errorf("catalog entry %+v: description, version and scope are required", et)
		}
	}
	var declared []string
	for _, dir := range []string{"event", "mfa", "device", "scim"} {
		consts := eventConst
		if dir == "event" {
			consts = coreEventConst
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if filepath.Ext(f) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(f) {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range consts.FindAllSubmatch(src, -1) {
				if !regexp.MustCompile(`^Scope`).Match(m[1]) { // scopes, not types
					declared = append(declared, string(m[2]))
				}
			}
		}
	}
	if len(declared) < 30 {
		t.Fatalf("found only %d event constants: %q", len(declared), declared)
	}
	for _, typ := range declared {
		if _, ok := catalog[typ]; !ok {
			t.Errorf("event type %q is emitted but not in the catalog", typ)
		}
	}
	for _, want := range []string{"user.login_failed", "organization.approved", "organization.suspended", "organization.activated",
		"invitation.accepted", "invitation.declined", "invitation.cancelled", "service.secret_rotated", "mfa.enabled", "device.approved",
		"scim.user.deprovisioned"} {
		if _, ok := catalog[want]; !ok {
			t.Errorf("catalog lacks %q", want)
		}
	}
	types := make([]string, 0, len(catalog))
	for _, et := range a.EventTypes() {
		types = append(types, et.Type)
	}
	if !slices.IsSorted(types) {
		t.Errorf("EventTypes is not sorted: %q", types)
	}
}

// TestSubscribeEvents: a receiver gets each committed event after OnEvent;
// its error retries the event, with the same id.
func TestSubscribeEvents(t *testing.T) {
	a := authostest.New(t)
	var got []authos.Event
	fail := true
	a.SubscribeEvents(func(_ context.Context, ev authos.Event) error {
		got = append(got, ev)
		if fail && ev.Type == event.OrgCreated {
			fail = false
			return errors.New("receiver down")
		}
		return nil
	})
	tok := authostest.Token(t, a, "ada@example.com")
	p, err := a.Authenticate(authostest.NewJSONRequest(t, "GET", "/", map[string]string{"Authorization": "Bearer " + tok}, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.CreateOrganization(t.Context(), p.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ProcessOutbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	var created []authos.Event
	for _, ev := range got {
		if ev.Type == event.OrgCreated {
			created = append(created, ev)
		}
	}
	if len(created) != 1 {
		t.Fatalf("organization.created reached the receiver %d times before the retry; want 1", len(created))
	}
	a.Clock.Advance(10 * time.Minute) // past the first backoff
	if _, err := a.ProcessOutbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	created = created[:0]
	for _, ev := range got {
		if ev.Type == event.OrgCreated {
			created = append(created, ev)
		}
	}
	if len(created) != 2 || created[0].ID != created[1].ID || created[0].OrgID == "" {
		t.Fatalf("after the retry the receiver got %+v; want the same event twice", created)
	}
}
