package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

// Organizations, memberships, invitations, services, API keys and processed
// events. Secondary keys (slug, token hash, client id, prefix) are found by
// scanning: every Tx clones the whole state anyway.

// memberKey is the key of a membership in state.members.
type memberKey struct{ orgID, userID string }

// eventKey is the key of a processed event in state.events.
type eventKey struct{ source, id string }

// byCreatedThenID orders oldest first, ties by id.
func byCreatedThenID(ac, bc time.Time, aid, bid string) int {
	if c := ac.Compare(bc); c != 0 {
		return c
	}
	return cmp.Compare(aid, bid)
}

// byNewestThenID orders newest first, ties by id.
func byNewestThenID(ac, bc time.Time, aid, bid string) int {
	if c := bc.Compare(ac); c != 0 {
		return c
	}
	return cmp.Compare(aid, bid)
}

// Store methods.

// CreateOrg implements store.OrgStore.
func (s *Store) CreateOrg(ctx context.Context, o store.Organization) error {
	return s.do(ctx, func(v *view) error { return v.CreateOrg(ctx, o) })
}

// GetOrg implements store.OrgStore.
func (s *Store) GetOrg(ctx context.Context, id string) (o store.Organization, err error) {
	err = s.do(ctx, func(v *view) error { o, err = v.GetOrg(ctx, id); return err })
	return o, err
}

// GetOrgBySlug implements store.OrgStore.
func (s *Store) GetOrgBySlug(ctx context.Context, slug string) (o store.Organization, err error) {
	err = s.do(ctx, func(v *view) error { o, err = v.GetOrgBySlug(ctx, slug); return err })
	return o, err
}

// UpdateOrg implements store.OrgStore.
func (s *Store) UpdateOrg(ctx context.Context, o store.Organization) error {
	return s.do(ctx, func(v *view) error { return v.UpdateOrg(ctx, o) })
}

// DeleteOrg implements store.OrgStore.
func (s *Store) DeleteOrg(ctx context.Context, id string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteOrg(ctx, id) })
}

// ListOrgs implements store.OrgStore.
func (s *Store) ListOrgs(ctx context.Context, f store.OrgFilter) (os []store.Organization, total int, err error) {
	err = s.do(ctx, func(v *view) error { os, total, err = v.ListOrgs(ctx, f); return err })
	return os, total, err
}

// AddMember implements store.OrgStore.
func (s *Store) AddMember(ctx context.Context, m store.Membership) error {
	return s.do(ctx, func(v *view) error { return v.AddMember(ctx, m) })
}

// GetMember implements store.OrgStore.
func (s *Store) GetMember(ctx context.Context, orgID, userID string) (m store.Membership, err error) {
	err = s.do(ctx, func(v *view) error { m, err = v.GetMember(ctx, orgID, userID); return err })
	return m, err
}

// ListMembers implements store.OrgStore.
func (s *Store) ListMembers(ctx context.Context, orgID string) (ms []store.Membership, err error) {
	err = s.do(ctx, func(v *view) error { ms, err = v.ListMembers(ctx, orgID); return err })
	return ms, err
}

// CountMembers implements store.OrgStore.
func (s *Store) CountMembers(ctx context.Context, orgID string) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.CountMembers(ctx, orgID); return err })
	return n, err
}

// SetMemberStatus implements store.OrgStore.
func (s *Store) SetMemberStatus(ctx context.Context, orgID, userID, status string) error {
	return s.do(ctx, func(v *view) error { return v.SetMemberStatus(ctx, orgID, userID, status) })
}

// SetMemberRole implements store.OrgStore.
func (s *Store) SetMemberRole(ctx context.Context, orgID, userID, role string) error {
	return s.do(ctx, func(v *view) error { return v.SetMemberRole(ctx, orgID, userID, role) })
}

// RemoveMember implements store.OrgStore.
func (s *Store) RemoveMember(ctx context.Context, orgID, userID string) error {
	return s.do(ctx, func(v *view) error { return v.RemoveMember(ctx, orgID, userID) })
}

// ListUserOrgs implements store.OrgStore.
func (s *Store) ListUserOrgs(ctx context.Context, userID string) (uos []store.UserOrg, err error) {
	err = s.do(ctx, func(v *view) error { uos, err = v.ListUserOrgs(ctx, userID); return err })
	return uos, err
}

// CreateInvitation implements store.InvitationStore.
func (s *Store) CreateInvitation(ctx context.Context, inv store.Invitation) error {
	return s.do(ctx, func(v *view) error { return v.CreateInvitation(ctx, inv) })
}

// GetInvitation implements store.InvitationStore.
func (s *Store) GetInvitation(ctx context.Context, id string) (inv store.Invitation, err error) {
	err = s.do(ctx, func(v *view) error { inv, err = v.GetInvitation(ctx, id); return err })
	return inv, err
}

// GetInvitationByToken implements store.InvitationStore.
func (s *Store) GetInvitationByToken(ctx context.Context, tokenHash string) (inv store.Invitation, err error) {
	err = s.do(ctx, func(v *view) error { inv, err = v.GetInvitationByToken(ctx, tokenHash); return err })
	return inv, err
}

// ListOrgInvitations implements store.InvitationStore.
func (s *Store) ListOrgInvitations(ctx context.Context, orgID string) (invs []store.Invitation, err error) {
	err = s.do(ctx, func(v *view) error { invs, err = v.ListOrgInvitations(ctx, orgID); return err })
	return invs, err
}

// ListEmailInvitations implements store.InvitationStore.
func (s *Store) ListEmailInvitations(ctx context.Context, email string, now time.Time) (invs []store.Invitation, err error) {
	err = s.do(ctx, func(v *view) error { invs, err = v.ListEmailInvitations(ctx, email, now); return err })
	return invs, err
}

// RespondInvitation implements store.InvitationStore.
func (s *Store) RespondInvitation(ctx context.Context, id, status string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.RespondInvitation(ctx, id, status, now) })
}

// CreateService implements store.ServiceStore.
func (s *Store) CreateService(ctx context.Context, svc store.Service) error {
	return s.do(ctx, func(v *view) error { return v.CreateService(ctx, svc) })
}

// GetService implements store.ServiceStore.
func (s *Store) GetService(ctx context.Context, id string) (svc store.Service, err error) {
	err = s.do(ctx, func(v *view) error { svc, err = v.GetService(ctx, id); return err })
	return svc, err
}

// GetServiceBySlug implements store.ServiceStore.
func (s *Store) GetServiceBySlug(ctx context.Context, orgID, slug string) (svc store.Service, err error) {
	err = s.do(ctx, func(v *view) error { svc, err = v.GetServiceBySlug(ctx, orgID, slug); return err })
	return svc, err
}

// GetServiceByClientID implements store.ServiceStore.
func (s *Store) GetServiceByClientID(ctx context.Context, clientID string) (svc store.Service, err error) {
	err = s.do(ctx, func(v *view) error { svc, err = v.GetServiceByClientID(ctx, clientID); return err })
	return svc, err
}

// ListServices implements store.ServiceStore.
func (s *Store) ListServices(ctx context.Context, orgID string) (svcs []store.Service, err error) {
	err = s.do(ctx, func(v *view) error { svcs, err = v.ListServices(ctx, orgID); return err })
	return svcs, err
}

// CountServices implements store.ServiceStore.
func (s *Store) CountServices(ctx context.Context, orgID string) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.CountServices(ctx, orgID); return err })
	return n, err
}

// UpdateService implements store.ServiceStore.
func (s *Store) UpdateService(ctx context.Context, svc store.Service) error {
	return s.do(ctx, func(v *view) error { return v.UpdateService(ctx, svc) })
}

// DeleteService implements store.ServiceStore.
func (s *Store) DeleteService(ctx context.Context, id string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteService(ctx, id) })
}

// CreateAPIKey implements store.APIKeyStore.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	return s.do(ctx, func(v *view) error { return v.CreateAPIKey(ctx, k) })
}

// GetAPIKey implements store.APIKeyStore.
func (s *Store) GetAPIKey(ctx context.Context, id string) (k store.APIKey, err error) {
	err = s.do(ctx, func(v *view) error { k, err = v.GetAPIKey(ctx, id); return err })
	return k, err
}

// GetAPIKeyByPrefix implements store.APIKeyStore.
func (s *Store) GetAPIKeyByPrefix(ctx context.Context, prefix string) (k store.APIKey, err error) {
	err = s.do(ctx, func(v *view) error { k, err = v.GetAPIKeyByPrefix(ctx, prefix); return err })
	return k, err
}

// ListAPIKeys implements store.APIKeyStore.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string) (ks []store.APIKey, err error) {
	err = s.do(ctx, func(v *view) error { ks, err = v.ListAPIKeys(ctx, orgID); return err })
	return ks, err
}

// RevokeAPIKey implements store.APIKeyStore.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.RevokeAPIKey(ctx, id, now) })
}

// TouchAPIKey implements store.APIKeyStore.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time, minInterval time.Duration) (wrote bool, err error) {
	err = s.do(ctx, func(v *view) error { wrote, err = v.TouchAPIKey(ctx, id, now, minInterval); return err })
	return wrote, err
}

// MarkEventProcessed implements store.ProcessedEventStore.
func (s *Store) MarkEventProcessed(ctx context.Context, source, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.MarkEventProcessed(ctx, source, id, now) })
}

// Organizations.

// slugOwner returns the id of the organization with slug, or "".
func (v *view) slugOwner(slug string) string {
	for id, o := range v.st.orgs {
		if o.Slug == slug {
			return id
		}
	}
	return ""
}

func (v *view) CreateOrg(_ context.Context, o store.Organization) error {
	if _, ok := v.st.orgs[o.ID]; ok {
		return store.ErrConflict
	}
	if v.slugOwner(o.Slug) != "" {
		return store.ErrConflict
	}
	v.st.orgs[o.ID] = o
	return nil
}

func (v *view) GetOrg(_ context.Context, id string) (store.Organization, error) {
	o, ok := v.st.orgs[id]
	if !ok {
		return store.Organization{}, store.ErrNotFound
	}
	return o, nil
}

func (v *view) GetOrgBySlug(ctx context.Context, slug string) (store.Organization, error) {
	id := v.slugOwner(slug)
	if id == "" {
		return store.Organization{}, store.ErrNotFound
	}
	return v.GetOrg(ctx, id)
}

func (v *view) UpdateOrg(_ context.Context, o store.Organization) error {
	old, ok := v.st.orgs[o.ID]
	if !ok {
		return store.ErrNotFound
	}
	if owner := v.slugOwner(o.Slug); owner != "" && owner != o.ID {
		return store.ErrConflict
	}
	o.CreatedAt = old.CreatedAt
	v.st.orgs[o.ID] = o
	return nil
}

// DeleteOrg removes the organization and everything that belongs to it.
func (v *view) DeleteOrg(_ context.Context, id string) error {
	if _, ok := v.st.orgs[id]; !ok {
		return store.ErrNotFound
	}
	delete(v.st.orgs, id)
	for k, m := range v.st.members {
		if m.OrgID == id {
			delete(v.st.members, k)
		}
	}
	v.dropSCIMOrg(id)
	v.dropWebhookOrg(id)
	v.dropOAuthOrg(id)
	delete(v.st.samlConns, id)
	for k, inv := range v.st.invitations {
		if inv.OrgID == id {
			delete(v.st.invitations, k)
		}
	}
	for k, svc := range v.st.services {
		if svc.OrgID == id {
			v.deleteServiceKeys(k)
			delete(v.st.services, k)
		}
	}
	for k, key := range v.st.apiKeys {
		if key.OrgID == id {
			delete(v.st.apiKeys, k)
		}
	}
	return nil
}

func (v *view) ListOrgs(_ context.Context, f store.OrgFilter) ([]store.Organization, int, error) {
	var out []store.Organization
	for _, o := range v.st.orgs {
		if f.Status == "" || o.Status == f.Status {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b store.Organization) int {
		return byCreatedThenID(a.CreatedAt, b.CreatedAt, a.ID, b.ID)
	})
	total := len(out)
	out = out[min(max(f.Offset, 0), total):]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}

// Memberships.

func (v *view) AddMember(_ context.Context, m store.Membership) error {
	k := memberKey{m.OrgID, m.UserID}
	if _, ok := v.st.members[k]; ok {
		return store.ErrConflict
	}
	if m.Status == "" {
		m.Status = store.MemberActive
	}
	v.st.members[k] = m
	return nil
}

func (v *view) GetMember(_ context.Context, orgID, userID string) (store.Membership, error) {
	m, ok := v.st.members[memberKey{orgID, userID}]
	if !ok {
		return store.Membership{}, store.ErrNotFound
	}
	return m, nil
}

func (v *view) ListMembers(_ context.Context, orgID string) ([]store.Membership, error) {
	var out []store.Membership
	for _, m := range v.st.members {
		if m.OrgID == orgID {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.Membership) int {
		return byCreatedThenID(a.CreatedAt, b.CreatedAt, a.UserID, b.UserID)
	})
	return out, nil
}

func (v *view) CountMembers(_ context.Context, orgID string) (int, error) {
	n := 0
	for _, m := range v.st.members {
		if m.OrgID == orgID {
			n++
		}
	}
	return n, nil
}

func (v *view) SetMemberRole(_ context.Context, orgID, userID, role string) error {
	k := memberKey{orgID, userID}
	m, ok := v.st.members[k]
	if !ok {
		return store.ErrNotFound
	}
	m.Role = role
	v.st.members[k] = m
	return nil
}

func (v *view) SetMemberStatus(_ context.Context, orgID, userID, status string) error {
	k := memberKey{orgID, userID}
	m, ok := v.st.members[k]
	if !ok {
		return store.ErrNotFound
	}
	m.Status = status
	v.st.members[k] = m
	return nil
}

func (v *view) RemoveMember(_ context.Context, orgID, userID string) error {
	k := memberKey{orgID, userID}
	if _, ok := v.st.members[k]; !ok {
		return store.ErrNotFound
	}
	delete(v.st.members, k)
	v.dropSCIMUser(orgID, userID)
	return nil
}

// ListUserOrgs returns the user's organizations, oldest membership first,
// ties by organization id.
func (v *view) ListUserOrgs(_ context.Context, userID string) ([]store.UserOrg, error) {
	var ms []store.Membership
	for _, m := range v.st.members {
		if m.UserID == userID {
			if _, ok := v.st.orgs[m.OrgID]; ok {
				ms = append(ms, m)
			}
		}
	}
	slices.SortFunc(ms, func(a, b store.Membership) int {
		return byCreatedThenID(a.CreatedAt, b.CreatedAt, a.OrgID, b.OrgID)
	})
	var out []store.UserOrg
	for _, m := range ms {
		out = append(out, store.UserOrg{Org: v.st.orgs[m.OrgID], Role: m.Role})
	}
	return out, nil
}

// Invitations.

func (v *view) CreateInvitation(_ context.Context, inv store.Invitation) error {
	if _, ok := v.st.invitations[inv.ID]; ok {
		return store.ErrConflict
	}
	for _, other := range v.st.invitations {
		if other.TokenHash == inv.TokenHash {
			return store.ErrConflict
		}
	}
	v.st.invitations[inv.ID] = inv
	return nil
}

func (v *view) GetInvitation(_ context.Context, id string) (store.Invitation, error) {
	inv, ok := v.st.invitations[id]
	if !ok {
		return store.Invitation{}, store.ErrNotFound
	}
	return inv, nil
}

func (v *view) GetInvitationByToken(_ context.Context, tokenHash string) (store.Invitation, error) {
	for _, inv := range v.st.invitations {
		if inv.TokenHash == tokenHash {
			return inv, nil
		}
	}
	return store.Invitation{}, store.ErrNotFound
}

// listInvitations returns the invitations keep accepts, newest first, ties by id.
func (v *view) listInvitations(keep func(store.Invitation) bool) []store.Invitation {
	var out []store.Invitation
	for _, inv := range v.st.invitations {
		if keep(inv) {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b store.Invitation) int {
		return byNewestThenID(a.CreatedAt, b.CreatedAt, a.ID, b.ID)
	})
	return out
}

func (v *view) ListOrgInvitations(_ context.Context, orgID string) ([]store.Invitation, error) {
	return v.listInvitations(func(inv store.Invitation) bool { return inv.OrgID == orgID }), nil
}

func (v *view) ListEmailInvitations(_ context.Context, email string, now time.Time) ([]store.Invitation, error) {
	key := emailKey(email)
	return v.listInvitations(func(inv store.Invitation) bool {
		return emailKey(inv.Email) == key && inv.Status == store.InvitationPending && !expired(inv.ExpiresAt, now)
	}), nil
}

func (v *view) RespondInvitation(_ context.Context, id, status string, now time.Time) error {
	inv, ok := v.st.invitations[id]
	if !ok {
		return store.ErrNotFound
	}
	if inv.Status != store.InvitationPending {
		return store.ErrUsed
	}
	inv.Status = status
	inv.RespondedAt = now
	v.st.invitations[id] = inv
	return nil
}

// Services.

// serviceTaken reports whether a service other than id has (orgID, slug) or
// clientID.
func (v *view) serviceTaken(id, orgID, slug, clientID string) bool {
	for _, other := range v.st.services {
		if other.ID != id && (other.OrgID == orgID && other.Slug == slug || other.ClientID == clientID) {
			return true
		}
	}
	return false
}

func (v *view) CreateService(_ context.Context, s store.Service) error {
	if _, ok := v.st.services[s.ID]; ok {
		return store.ErrConflict
	}
	if v.serviceTaken(s.ID, s.OrgID, s.Slug, s.ClientID) {
		return store.ErrConflict
	}
	v.st.services[s.ID] = copyService(s)
	return nil
}

func (v *view) GetService(_ context.Context, id string) (store.Service, error) {
	s, ok := v.st.services[id]
	if !ok {
		return store.Service{}, store.ErrNotFound
	}
	return copyService(s), nil
}

// findService returns a copy of the first service match accepts.
func (v *view) findService(match func(store.Service) bool) (store.Service, error) {
	for _, s := range v.st.services {
		if match(s) {
			return copyService(s), nil
		}
	}
	return store.Service{}, store.ErrNotFound
}

func (v *view) GetServiceBySlug(_ context.Context, orgID, slug string) (store.Service, error) {
	return v.findService(func(s store.Service) bool { return s.OrgID == orgID && s.Slug == slug })
}

func (v *view) GetServiceByClientID(_ context.Context, clientID string) (store.Service, error) {
	return v.findService(func(s store.Service) bool { return s.ClientID == clientID })
}

func (v *view) ListServices(_ context.Context, orgID string) ([]store.Service, error) {
	var out []store.Service
	for _, s := range v.st.services {
		if s.OrgID == orgID {
			out = append(out, copyService(s))
		}
	}
	slices.SortFunc(out, func(a, b store.Service) int {
		return byCreatedThenID(a.CreatedAt, b.CreatedAt, a.ID, b.ID)
	})
	return out, nil
}

func (v *view) CountServices(_ context.Context, orgID string) (int, error) {
	n := 0
	for _, s := range v.st.services {
		if s.OrgID == orgID {
			n++
		}
	}
	return n, nil
}

// UpdateService replaces every field but OrgID and CreatedAt. ErrNotFound;
// ErrConflict when the slug is taken in the org or the client id elsewhere.
func (v *view) UpdateService(_ context.Context, s store.Service) error {
	old, ok := v.st.services[s.ID]
	if !ok {
		return store.ErrNotFound
	}
	s.OrgID, s.CreatedAt = old.OrgID, old.CreatedAt
	if v.serviceTaken(s.ID, s.OrgID, s.Slug, s.ClientID) {
		return store.ErrConflict
	}
	v.st.services[s.ID] = copyService(s)
	return nil
}

// deleteServiceKeys removes the API keys bound to service id.
func (v *view) deleteServiceKeys(id string) {
	for k, key := range v.st.apiKeys {
		if key.ServiceID == id {
			delete(v.st.apiKeys, k)
		}
	}
}

func (v *view) DeleteService(_ context.Context, id string) error {
	if _, ok := v.st.services[id]; !ok {
		return store.ErrNotFound
	}
	v.deleteServiceKeys(id)
	delete(v.st.services, id)
	return nil
}

// API keys.

func (v *view) CreateAPIKey(_ context.Context, k store.APIKey) error {
	if _, ok := v.st.apiKeys[k.ID]; ok {
		return store.ErrConflict
	}
	for _, other := range v.st.apiKeys {
		if other.Prefix == k.Prefix {
			return store.ErrConflict
		}
	}
	k.CreatorRole = "" // read-only: joined from the memberships on every read
	v.st.apiKeys[k.ID] = copyAPIKey(k)
	return nil
}

// readAPIKey is a copy of k with its creator's current role.
func (v *view) readAPIKey(k store.APIKey) store.APIKey {
	k = copyAPIKey(k)
	k.CreatorRole = ""
	if k.CreatedBy != "" {
		if m, ok := v.st.members[memberKey{k.OrgID, k.CreatedBy}]; ok && m.Status != store.MemberSuspended {
			k.CreatorRole = m.Role
		}
	}
	return k
}

func (v *view) GetAPIKey(_ context.Context, id string) (store.APIKey, error) {
	k, ok := v.st.apiKeys[id]
	if !ok {
		return store.APIKey{}, store.ErrNotFound
	}
	return v.readAPIKey(k), nil
}

func (v *view) GetAPIKeyByPrefix(_ context.Context, prefix string) (store.APIKey, error) {
	for _, k := range v.st.apiKeys {
		if k.Prefix == prefix {
			return v.readAPIKey(k), nil
		}
	}
	return store.APIKey{}, store.ErrNotFound
}

func (v *view) ListAPIKeys(_ context.Context, orgID string) ([]store.APIKey, error) {
	var out []store.APIKey
	for _, k := range v.st.apiKeys {
		if k.OrgID == orgID {
			out = append(out, v.readAPIKey(k))
		}
	}
	slices.SortFunc(out, func(a, b store.APIKey) int {
		return byNewestThenID(a.CreatedAt, b.CreatedAt, a.ID, b.ID)
	})
	return out, nil
}

func (v *view) RevokeAPIKey(_ context.Context, id string, now time.Time) error {
	k, ok := v.st.apiKeys[id]
	if !ok {
		return store.ErrNotFound
	}
	if k.RevokedAt.IsZero() {
		k.RevokedAt = now
		v.st.apiKeys[id] = k
	}
	return nil
}

// TouchAPIKey sets LastUsedAt=now when it is zero or before now-minInterval.
func (v *view) TouchAPIKey(_ context.Context, id string, now time.Time, minInterval time.Duration) (bool, error) {
	k, ok := v.st.apiKeys[id]
	if !ok {
		return false, store.ErrNotFound
	}
	if !k.LastUsedAt.IsZero() && !k.LastUsedAt.Before(now.Add(-minInterval)) {
		return false, nil
	}
	k.LastUsedAt = now
	v.st.apiKeys[id] = k
	return true, nil
}

// Processed events.

func (v *view) MarkEventProcessed(_ context.Context, source, id string, now time.Time) error {
	k := eventKey{source, id}
	if _, ok := v.st.events[k]; ok {
		return store.ErrConflict
	}
	v.st.events[k] = now
	return nil
}
