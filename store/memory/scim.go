package memory

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// SCIM tokens, users, groups and group members. A SCIM user is dropped with
// its membership (RemoveMember, DeleteOrg), as the SQL backends cascade.

// groupMemberKey is a member of a SCIM group in state.scimMembers (the value
// is the organization id).
type groupMemberKey struct{ groupID, userID string }

func copySCIMUser(u store.SCIMUser) store.SCIMUser {
	u.Emails = slices.Clone(u.Emails)
	u.Attributes = bytes.Clone(u.Attributes)
	return u
}

func cloneSCIMUsers(m map[memberKey]store.SCIMUser) map[memberKey]store.SCIMUser {
	out := make(map[memberKey]store.SCIMUser, len(m))
	for k, u := range m {
		out[k] = copySCIMUser(u)
	}
	return out
}

// dropSCIMUser forgets the user's SCIM resource in the organization and its
// group memberships.
func (v *view) dropSCIMUser(orgID, userID string) {
	delete(v.st.scimUsers, memberKey{orgID, userID})
	for k, org := range v.st.scimMembers {
		if org == orgID && k.userID == userID {
			delete(v.st.scimMembers, k)
		}
	}
}

// dropSCIMOrg forgets everything SCIM of the organization.
func (v *view) dropSCIMOrg(orgID string) {
	for id, t := range v.st.scimTokens {
		if t.OrgID == orgID {
			delete(v.st.scimTokens, id)
		}
	}
	for k := range v.st.scimUsers {
		if k.orgID == orgID {
			delete(v.st.scimUsers, k)
		}
	}
	for id, g := range v.st.scimGroups {
		if g.OrgID == orgID {
			delete(v.st.scimGroups, id)
		}
	}
	for k, org := range v.st.scimMembers {
		if org == orgID {
			delete(v.st.scimMembers, k)
		}
	}
}

// CreateSCIMToken implements store.SCIMStore.
func (s *Store) CreateSCIMToken(ctx context.Context, t store.SCIMToken) error {
	return s.do(ctx, func(v *view) error { return v.CreateSCIMToken(ctx, t) })
}

// GetSCIMTokenByHash implements store.SCIMStore.
func (s *Store) GetSCIMTokenByHash(ctx context.Context, hash string) (t store.SCIMToken, err error) {
	err = s.do(ctx, func(v *view) error { t, err = v.GetSCIMTokenByHash(ctx, hash); return err })
	return t, err
}

// ListSCIMTokens implements store.SCIMStore.
func (s *Store) ListSCIMTokens(ctx context.Context, orgID string) (ts []store.SCIMToken, err error) {
	err = s.do(ctx, func(v *view) error { ts, err = v.ListSCIMTokens(ctx, orgID); return err })
	return ts, err
}

// RevokeSCIMToken implements store.SCIMStore.
func (s *Store) RevokeSCIMToken(ctx context.Context, orgID, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.RevokeSCIMToken(ctx, orgID, id, now) })
}

// TouchSCIMToken implements store.SCIMStore.
func (s *Store) TouchSCIMToken(ctx context.Context, id string, now time.Time, minInterval time.Duration) (ok bool, err error) {
	err = s.do(ctx, func(v *view) error { ok, err = v.TouchSCIMToken(ctx, id, now, minInterval); return err })
	return ok, err
}

// CreateSCIMUser implements store.SCIMStore.
func (s *Store) CreateSCIMUser(ctx context.Context, u store.SCIMUser) error {
	return s.do(ctx, func(v *view) error { return v.CreateSCIMUser(ctx, u) })
}

// GetSCIMUser implements store.SCIMStore.
func (s *Store) GetSCIMUser(ctx context.Context, orgID, userID string) (u store.SCIMUser, err error) {
	err = s.do(ctx, func(v *view) error { u, err = v.GetSCIMUser(ctx, orgID, userID); return err })
	return u, err
}

// UpdateSCIMUser implements store.SCIMStore.
func (s *Store) UpdateSCIMUser(ctx context.Context, u store.SCIMUser) error {
	return s.do(ctx, func(v *view) error { return v.UpdateSCIMUser(ctx, u) })
}

// DeleteSCIMUser implements store.SCIMStore.
func (s *Store) DeleteSCIMUser(ctx context.Context, orgID, userID string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteSCIMUser(ctx, orgID, userID) })
}

// ListSCIMUsers implements store.SCIMStore.
func (s *Store) ListSCIMUsers(ctx context.Context, orgID string, q store.SCIMQuery) (us []store.SCIMUser, n int, err error) {
	err = s.do(ctx, func(v *view) error { us, n, err = v.ListSCIMUsers(ctx, orgID, q); return err })
	return us, n, err
}

// CreateSCIMGroup implements store.SCIMStore.
func (s *Store) CreateSCIMGroup(ctx context.Context, g store.SCIMGroup) error {
	return s.do(ctx, func(v *view) error { return v.CreateSCIMGroup(ctx, g) })
}

// GetSCIMGroup implements store.SCIMStore.
func (s *Store) GetSCIMGroup(ctx context.Context, orgID, id string) (g store.SCIMGroup, err error) {
	err = s.do(ctx, func(v *view) error { g, err = v.GetSCIMGroup(ctx, orgID, id); return err })
	return g, err
}

// UpdateSCIMGroup implements store.SCIMStore.
func (s *Store) UpdateSCIMGroup(ctx context.Context, g store.SCIMGroup) error {
	return s.do(ctx, func(v *view) error { return v.UpdateSCIMGroup(ctx, g) })
}

// DeleteSCIMGroup implements store.SCIMStore.
func (s *Store) DeleteSCIMGroup(ctx context.Context, orgID, id string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteSCIMGroup(ctx, orgID, id) })
}

// ListSCIMGroups implements store.SCIMStore.
func (s *Store) ListSCIMGroups(ctx context.Context, orgID string, q store.SCIMQuery) (gs []store.SCIMGroup, n int, err error) {
	err = s.do(ctx, func(v *view) error { gs, n, err = v.ListSCIMGroups(ctx, orgID, q); return err })
	return gs, n, err
}

// AddSCIMGroupMembers implements store.SCIMStore.
func (s *Store) AddSCIMGroupMembers(ctx context.Context, orgID, groupID string, userIDs []string) (ids []string, err error) {
	err = s.do(ctx, func(v *view) error { ids, err = v.AddSCIMGroupMembers(ctx, orgID, groupID, userIDs); return err })
	return ids, err
}

// RemoveSCIMGroupMembers implements store.SCIMStore.
func (s *Store) RemoveSCIMGroupMembers(ctx context.Context, orgID, groupID string, userIDs []string) (ids []string, err error) {
	err = s.do(ctx, func(v *view) error { ids, err = v.RemoveSCIMGroupMembers(ctx, orgID, groupID, userIDs); return err })
	return ids, err
}

// ListSCIMGroupMembers implements store.SCIMStore.
func (s *Store) ListSCIMGroupMembers(ctx context.Context, orgID, groupID string) (ids []string, err error) {
	err = s.do(ctx, func(v *view) error { ids, err = v.ListSCIMGroupMembers(ctx, orgID, groupID); return err })
	return ids, err
}

// ListSCIMUserGroups implements store.SCIMStore.
func (s *Store) ListSCIMUserGroups(ctx context.Context, orgID, userID string) (gs []store.SCIMGroup, err error) {
	err = s.do(ctx, func(v *view) error { gs, err = v.ListSCIMUserGroups(ctx, orgID, userID); return err })
	return gs, err
}

// Tokens.

func (v *view) CreateSCIMToken(_ context.Context, t store.SCIMToken) error {
	if _, ok := v.st.scimTokens[t.ID]; ok {
		return store.ErrConflict
	}
	for _, o := range v.st.scimTokens {
		if o.TokenHash == t.TokenHash {
			return store.ErrConflict
		}
	}
	v.st.scimTokens[t.ID] = t
	return nil
}

func (v *view) GetSCIMTokenByHash(_ context.Context, hash string) (store.SCIMToken, error) {
	for _, t := range v.st.scimTokens {
		if t.TokenHash == hash {
			return t, nil
		}
	}
	return store.SCIMToken{}, store.ErrNotFound
}

func (v *view) ListSCIMTokens(_ context.Context, orgID string) ([]store.SCIMToken, error) {
	var out []store.SCIMToken
	for _, t := range v.st.scimTokens {
		if t.OrgID == orgID {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b store.SCIMToken) int {
		return -byCreatedThenID(a.CreatedAt, b.CreatedAt, a.ID, b.ID)
	})
	return out, nil
}

func (v *view) RevokeSCIMToken(_ context.Context, orgID, id string, now time.Time) error {
	t, ok := v.st.scimTokens[id]
	if !ok || t.OrgID != orgID {
		return store.ErrNotFound
	}
	if t.RevokedAt.IsZero() {
		t.RevokedAt = now
	}
	v.st.scimTokens[id] = t
	return nil
}

func (v *view) TouchSCIMToken(_ context.Context, id string, now time.Time, minInterval time.Duration) (bool, error) {
	t, ok := v.st.scimTokens[id]
	if !ok {
		return false, store.ErrNotFound
	}
	if !t.LastUsedAt.IsZero() && t.LastUsedAt.After(now.Add(-minInterval)) {
		return false, nil
	}
	t.LastUsedAt = now
	v.st.scimTokens[id] = t
	return true, nil
}

// Users.

// userNameTaken reports whether another user of u's organization has u's userName.
func (v *view) userNameTaken(u store.SCIMUser) bool {
	// Compared as the SQL backends compare it: their user_name_lower column
	// holds strings.ToLower of the name (not a case fold).
	name := strings.ToLower(u.UserName)
	for k, o := range v.st.scimUsers {
		if k.orgID == u.OrgID && k.userID != u.UserID && strings.ToLower(o.UserName) == name {
			return true
		}
	}
	return false
}

func (v *view) CreateSCIMUser(_ context.Context, u store.SCIMUser) error {
	k := memberKey{u.OrgID, u.UserID}
	if _, ok := v.st.scimUsers[k]; ok || v.userNameTaken(u) {
		return store.ErrConflict
	}
	if _, ok := v.st.members[k]; !ok {
		return store.ErrNotFound
	}
	u.Active = false
	v.st.scimUsers[k] = copySCIMUser(u)
	return nil
}

// withActive returns a copy of u with Active read from its membership.
func (v *view) withActive(u store.SCIMUser) store.SCIMUser {
	u = copySCIMUser(u)
	u.Active = v.st.members[memberKey{u.OrgID, u.UserID}].Status != store.MemberSuspended
	return u
}

func (v *view) GetSCIMUser(_ context.Context, orgID, userID string) (store.SCIMUser, error) {
	u, ok := v.st.scimUsers[memberKey{orgID, userID}]
	if !ok {
		return store.SCIMUser{}, store.ErrNotFound
	}
	return v.withActive(u), nil
}

func (v *view) UpdateSCIMUser(_ context.Context, u store.SCIMUser) error {
	k := memberKey{u.OrgID, u.UserID}
	old, ok := v.st.scimUsers[k]
	if !ok {
		return store.ErrNotFound
	}
	if v.userNameTaken(u) {
		return store.ErrConflict
	}
	u.CreatedAt, u.Active = old.CreatedAt, false
	v.st.scimUsers[k] = copySCIMUser(u)
	return nil
}

func (v *view) DeleteSCIMUser(_ context.Context, orgID, userID string) error {
	if _, ok := v.st.scimUsers[memberKey{orgID, userID}]; !ok {
		return store.ErrNotFound
	}
	v.dropSCIMUser(orgID, userID)
	return nil
}

func (v *view) ListSCIMUsers(_ context.Context, orgID string, q store.SCIMQuery) ([]store.SCIMUser, int, error) {
	if err := store.ValidateSCIMFilter(store.SCIMUsers, q.Filter); err != nil {
		return nil, 0, err
	}
	if q.SortBy != "" && !store.SCIMSortable(store.SCIMUsers, q.SortBy) {
		return nil, 0, store.ErrInvalidSCIMFilter
	}
	var out []store.SCIMUser
	for k, u := range v.st.scimUsers {
		if k.orgID != orgID {
			continue
		}
		u = v.withActive(u)
		if q.Filter == nil || evalSCIM(q.Filter, scimUserValue{v, u}) {
			out = append(out, u)
		}
	}
	sortSCIM(out, q, func(u store.SCIMUser) string { return u.UserID }, func(u store.SCIMUser, a store.SCIMAttr) any {
		return scimUserValue{v, u}.sortKey(a)
	})
	return page(out, q), len(out), nil
}

// Groups.

func (v *view) CreateSCIMGroup(_ context.Context, g store.SCIMGroup) error {
	if _, ok := v.st.scimGroups[g.ID]; ok {
		return store.ErrConflict
	}
	v.st.scimGroups[g.ID] = g
	return nil
}

func (v *view) group(orgID, id string) (store.SCIMGroup, error) {
	g, ok := v.st.scimGroups[id]
	if !ok || g.OrgID != orgID {
		return store.SCIMGroup{}, store.ErrNotFound
	}
	return g, nil
}

func (v *view) GetSCIMGroup(_ context.Context, orgID, id string) (store.SCIMGroup, error) {
	return v.group(orgID, id)
}

func (v *view) UpdateSCIMGroup(_ context.Context, g store.SCIMGroup) error {
	old, err := v.group(g.OrgID, g.ID)
	if err != nil {
		return err
	}
	g.CreatedAt = old.CreatedAt
	v.st.scimGroups[g.ID] = g
	return nil
}

func (v *view) DeleteSCIMGroup(_ context.Context, orgID, id string) error {
	if _, err := v.group(orgID, id); err != nil {
		return err
	}
	delete(v.st.scimGroups, id)
	for k := range v.st.scimMembers {
		if k.groupID == id {
			delete(v.st.scimMembers, k)
		}
	}
	return nil
}

func (v *view) ListSCIMGroups(_ context.Context, orgID string, q store.SCIMQuery) ([]store.SCIMGroup, int, error) {
	if err := store.ValidateSCIMFilter(store.SCIMGroups, q.Filter); err != nil {
		return nil, 0, err
	}
	if q.SortBy != "" && !store.SCIMSortable(store.SCIMGroups, q.SortBy) {
		return nil, 0, store.ErrInvalidSCIMFilter
	}
	var out []store.SCIMGroup
	for _, g := range v.st.scimGroups {
		if g.OrgID == orgID && (q.Filter == nil || evalSCIM(q.Filter, scimGroupValue{v, g})) {
			out = append(out, g)
		}
	}
	sortSCIM(out, q, func(g store.SCIMGroup) string { return g.ID }, func(g store.SCIMGroup, a store.SCIMAttr) any {
		return scimGroupValue{v, g}.sortKey(a)
	})
	return page(out, q), len(out), nil
}

func (v *view) AddSCIMGroupMembers(_ context.Context, orgID, groupID string, userIDs []string) ([]string, error) {
	if _, err := v.group(orgID, groupID); err != nil {
		return nil, err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(userIDs)))
	for _, id := range ids {
		if _, ok := v.st.scimUsers[memberKey{orgID, id}]; !ok {
			return nil, store.ErrNotFound
		}
	}
	var added []string
	for _, id := range ids {
		k := groupMemberKey{groupID, id}
		if _, ok := v.st.scimMembers[k]; !ok {
			v.st.scimMembers[k] = orgID
			added = append(added, id)
		}
	}
	return added, nil
}

func (v *view) RemoveSCIMGroupMembers(_ context.Context, orgID, groupID string, userIDs []string) ([]string, error) {
	if _, err := v.group(orgID, groupID); err != nil {
		return nil, err
	}
	var removed []string
	for _, id := range slices.Compact(slices.Sorted(slices.Values(userIDs))) {
		k := groupMemberKey{groupID, id}
		if _, ok := v.st.scimMembers[k]; ok {
			delete(v.st.scimMembers, k)
			removed = append(removed, id)
		}
	}
	return removed, nil
}

func (v *view) groupMembers(groupID string) []string {
	var ids []string
	for k := range v.st.scimMembers {
		if k.groupID == groupID {
			ids = append(ids, k.userID)
		}
	}
	slices.Sort(ids)
	return ids
}

func (v *view) ListSCIMGroupMembers(_ context.Context, orgID, groupID string) ([]string, error) {
	if _, err := v.group(orgID, groupID); err != nil {
		return nil, err
	}
	return v.groupMembers(groupID), nil
}

func (v *view) ListSCIMUserGroups(_ context.Context, orgID, userID string) ([]store.SCIMGroup, error) {
	var out []store.SCIMGroup
	for k, org := range v.st.scimMembers {
		if org == orgID && k.userID == userID {
			if g, ok := v.st.scimGroups[k.groupID]; ok {
				out = append(out, g)
			}
		}
	}
	slices.SortFunc(out, func(a, b store.SCIMGroup) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Filter evaluation: the same typed filter the SQL backends translate.

// scimValues are what a filter reads of one resource.
type scimValues interface {
	// value returns the attribute's value: a string (lower-cased for a
	// case-insensitive attribute), a bool or a time.Time; nil when absent.
	value(a store.SCIMAttr) any
	// each returns one scimValues per value of a multi-valued attribute.
	each(a store.SCIMAttr) []scimValues
}

type scimUserValue struct {
	v *view
	u store.SCIMUser
}

func (x scimUserValue) value(a store.SCIMAttr) any {
	switch a {
	case store.SCIMAttrID:
		return x.u.UserID
	case store.SCIMAttrExternalID:
		return x.u.ExternalID
	case store.SCIMAttrUserName:
		return strings.ToLower(x.u.UserName)
	case store.SCIMAttrDisplayName:
		return strings.ToLower(x.u.DisplayName)
	case store.SCIMAttrActive:
		return x.u.Active
	case store.SCIMAttrCreated:
		return x.u.CreatedAt
	case store.SCIMAttrLastModified:
		return x.u.UpdatedAt
	}
	return nil
}

func (x scimUserValue) each(a store.SCIMAttr) []scimValues {
	if a != store.SCIMAttrEmails {
		return nil
	}
	out := make([]scimValues, len(x.u.Emails))
	for i, e := range x.u.Emails {
		out[i] = emailValue(e)
	}
	return out
}

func (x scimUserValue) sortKey(a store.SCIMAttr) any { return x.value(a) }

type emailValue store.SCIMEmail

func (e emailValue) value(a store.SCIMAttr) any {
	switch a {
	case store.SCIMAttrEmailValue:
		return strings.ToLower(e.Value)
	case store.SCIMAttrEmailType:
		return strings.ToLower(e.Type)
	case store.SCIMAttrEmailPrimary:
		return e.Primary
	}
	return nil
}

func (emailValue) each(store.SCIMAttr) []scimValues { return nil }

type scimGroupValue struct {
	v *view
	g store.SCIMGroup
}

func (x scimGroupValue) value(a store.SCIMAttr) any {
	switch a {
	case store.SCIMAttrID:
		return x.g.ID
	case store.SCIMAttrExternalID:
		return x.g.ExternalID
	case store.SCIMAttrDisplayName:
		return strings.ToLower(x.g.DisplayName)
	case store.SCIMAttrCreated:
		return x.g.CreatedAt
	case store.SCIMAttrLastModified:
		return x.g.UpdatedAt
	}
	return nil
}

func (x scimGroupValue) each(a store.SCIMAttr) []scimValues {
	if a != store.SCIMAttrMembers {
		return nil
	}
	ids := x.v.groupMembers(x.g.ID)
	out := make([]scimValues, len(ids))
	for i, id := range ids {
		out[i] = memberValue(id)
	}
	return out
}

func (x scimGroupValue) sortKey(a store.SCIMAttr) any { return x.value(a) }

type memberValue string

func (m memberValue) value(a store.SCIMAttr) any {
	if a == store.SCIMAttrMemberValue {
		return string(m)
	}
	return nil
}

func (memberValue) each(store.SCIMAttr) []scimValues { return nil }

// evalSCIM reports whether r satisfies f (validated).
func evalSCIM(f store.SCIMFilter, r scimValues) bool {
	switch x := f.(type) {
	case store.SCIMAnd:
		return evalSCIM(x.Left, r) && evalSCIM(x.Right, r)
	case store.SCIMOr:
		return evalSCIM(x.Left, r) || evalSCIM(x.Right, r)
	case store.SCIMNot:
		return !evalSCIM(x.X, r)
	case store.SCIMAny:
		return slices.ContainsFunc(r.each(x.Attr), func(e scimValues) bool { return evalSCIM(x.Filter, e) })
	case store.SCIMCompare:
		return compareSCIM(x, r.value(x.Attr))
	}
	return false
}

func compareSCIM(c store.SCIMCompare, got any) bool {
	switch g := got.(type) {
	case bool:
		if c.Op == store.SCIMPr {
			return true
		}
		want, _ := c.Value.(bool)
		return (g == want) == (c.Op == store.SCIMEq)
	case time.Time:
		if c.Op == store.SCIMPr {
			return !g.IsZero()
		}
		want, _ := c.Value.(time.Time)
		d := g.Truncate(time.Millisecond).Compare(want.Truncate(time.Millisecond))
		switch c.Op {
		case store.SCIMEq:
			return d == 0
		case store.SCIMNe:
			return d != 0
		case store.SCIMGt:
			return d > 0
		case store.SCIMGe:
			return d >= 0
		case store.SCIMLt:
			return d < 0
		case store.SCIMLe:
			return d <= 0
		}
	case string:
		want, _ := c.Value.(string)
		if !c.Attr.CaseExact() {
			want = strings.ToLower(want)
		}
		switch c.Op {
		case store.SCIMPr:
			return g != ""
		case store.SCIMEq:
			return g == want
		case store.SCIMNe:
			return g != want
		case store.SCIMCo:
			return strings.Contains(g, want)
		case store.SCIMSw:
			return strings.HasPrefix(g, want)
		case store.SCIMEw:
			return strings.HasSuffix(g, want)
		}
	}
	return false
}

// sortSCIM orders rs as q asks (by creation when q.SortBy is empty), ties
// by id.
func sortSCIM[T any](rs []T, q store.SCIMQuery, id func(T) string, key func(T, store.SCIMAttr) any) {
	by := q.SortBy
	if by == "" {
		by = store.SCIMAttrCreated
	}
	slices.SortFunc(rs, func(a, b T) int {
		c := compareKeys(key(a, by), key(b, by))
		if c == 0 {
			c = strings.Compare(id(a), id(b))
		}
		if q.Descending {
			return -c
		}
		return c
	})
}

func compareKeys(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// page returns the q.Count results from q.StartIndex (1-based).
func page[T any](rs []T, q store.SCIMQuery) []T {
	start := max(q.StartIndex, 1) - 1
	if q.Count <= 0 || start >= len(rs) {
		return nil
	}
	return slices.Clone(rs[start:min(start+q.Count, len(rs))])
}
