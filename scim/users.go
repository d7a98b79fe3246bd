package scim

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"

	"github.com/authos/authos/internal/validate"
	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// users serves the User resource type: the organization's
// directory-managed members.
type users struct{ s *Service }

var _ elimity.ResourceHandler = users{}

// reserved are the keys of a User document that are not kept in
// SCIMUser.Attributes: kept in their own fields, read-only, or never stored.
var reserved = []string{"id", "meta", "schemas", "groups", "password", "userName", "externalId", "displayName", "active", "emails"}

// userDoc is the resource document of u (without id, meta and schemas):
// what PATCH applies to and what is returned.
func userDoc(u store.SCIMUser) map[string]any {
	doc := map[string]any{}
	if len(u.Attributes) > 0 {
		_ = json.Unmarshal(u.Attributes, &doc)
	}
	doc["userName"] = u.UserName
	doc["active"] = u.Active
	if u.DisplayName != "" {
		doc["displayName"] = u.DisplayName
	}
	if u.ExternalID != "" {
		doc["externalId"] = u.ExternalID
	}
	if len(u.Emails) > 0 {
		emails := make([]any, len(u.Emails))
		for i, e := range u.Emails {
			m := map[string]any{"value": e.Value}
			if e.Type != "" {
				m["type"] = e.Type
			}
			if e.Primary {
				m["primary"] = true
			}
			emails[i] = m
		}
		doc["emails"] = emails
	}
	return doc
}

// fromDoc fills the fields of u from a User document; Active keeps u's
// value when the document has none (a PUT that omits active must not
// deactivate).
func fromDoc(u *store.SCIMUser, doc map[string]any) error {
	u.UserName, _ = lookup(doc, "userName").(string)
	u.UserName = strings.TrimSpace(u.UserName)
	if u.UserName == "" || len(u.UserName) > 320 {
		return authos.NewError(authos.CodeBadRequest, "userName is required (at most 320 characters)")
	}
	u.ExternalID, _ = lookup(doc, "externalId").(string)
	u.DisplayName, _ = lookup(doc, "displayName").(string)
	if b, ok := lookup(doc, "active").(bool); ok {
		u.Active = b
	}
	u.Emails = nil
	list, _ := lookup(doc, "emails").([]any)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		v, _ := lookup(m, "value").(string)
		if v == "" {
			continue
		}
		t, _ := lookup(m, "type").(string)
		p, _ := lookup(m, "primary").(bool)
		u.Emails = append(u.Emails, store.SCIMEmail{Value: v, Type: t, Primary: p})
	}
	rest := maps.Clone(doc)
	for k := range rest {
		for _, r := range reserved {
			if strings.EqualFold(k, r) {
				delete(rest, k)
			}
		}
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return authos.WrapError(authos.CodeBadRequest, "Attributes could not be stored", err)
	}
	u.Attributes = b
	return nil
}

// accountEmail is the email the account of a new user is found or created
// by: userName when it is an address, else the primary (or first) email.
func accountEmail(u store.SCIMUser) (string, error) {
	if validate.Email(u.UserName) {
		return strings.TrimSpace(u.UserName), nil
	}
	for _, primary := range []bool{true, false} {
		for _, e := range u.Emails {
			if e.Primary == primary && validate.Email(e.Value) {
				return strings.TrimSpace(e.Value), nil
			}
		}
	}
	return "", authos.NewError(authos.CodeBadRequest, "userName or emails must hold an email address")
}

// resource turns u into the library's Resource, with its groups.
func (h users) resource(ctx context.Context, tx store.SCIMStore, u store.SCIMUser) (elimity.Resource, error) {
	doc := userDoc(u)
	delete(doc, "externalId")
	gs, err := tx.ListSCIMUserGroups(ctx, u.OrgID, u.UserID)
	if err != nil {
		return elimity.Resource{}, err
	}
	if len(gs) > 0 {
		list := make([]any, len(gs))
		for i, g := range gs {
			list[i] = map[string]any{"value": g.ID, "display": g.DisplayName, "$ref": h.s.cfg.BaseURL + "/Groups/" + g.ID}
		}
		doc["groups"] = list
	}
	r := elimity.Resource{ID: u.UserID, Attributes: doc,
		Meta: elimity.Meta{Created: &u.CreatedAt, LastModified: &u.UpdatedAt, Version: etagOf(u.Version)}}
	if u.ExternalID != "" {
		r.ExternalID = optional.NewString(u.ExternalID)
	}
	return r, nil
}

// userError answers a failed user operation.
func userError(r *http.Request, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(r, authos.NewError(authos.CodeSCIMUserNotFound, "User not found"), "")
	case errors.Is(err, store.ErrConflict), errors.Is(err, authos.CodeSCIMUserExists):
		return fail(r, authos.NewError(authos.CodeSCIMUserExists, "A user with this userName already exists in the organization"), scimerrors.ScimTypeUniqueness)
	case errors.Is(err, authos.CodeBadRequest):
		return fail(r, err, scimerrors.ScimTypeInvalidValue)
	case errors.Is(err, authos.CodePreconditionFailed):
		return fail(r, err, "")
	}
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	return fail(r, dbError(err), "")
}

// Create provisions a user: the account (found by email, or created with
// the email verified) and the membership, then the resource.
func (h users) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ctx, c := r.Context(), callerOf(r)
	u := store.SCIMUser{OrgID: c.org.ID, Active: true}
	if err := fromDoc(&u, attrs); err != nil {
		return elimity.Resource{}, userError(r, err)
	}
	email, err := accountEmail(u)
	if err != nil {
		return elimity.Resource{}, userError(r, err)
	}
	var res elimity.Resource
	var revoked []string
	a := h.s.a
	err = h.s.tx(ctx, func(tx scimTx) error {
		now := a.Now()
		u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
		acct, err := tx.GetUserByEmail(ctx, email)
		created := false
		if errors.Is(err, store.ErrNotFound) {
			acct = store.User{ID: randx.ID(), Email: email, Name: displayName(u), EmailVerified: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateUser(ctx, acct); err != nil {
				return err
			}
			created = true
		} else if err != nil {
			return err
		}
		u.UserID = acct.ID
		if _, err := tx.GetSCIMUser(ctx, c.org.ID, acct.ID); err == nil {
			return authos.NewError(authos.CodeSCIMUserExists, "")
		}
		// An existing member (suspended or not) is linked; active decides
		// the status below.
		_, err = tx.GetMember(ctx, c.org.ID, acct.ID)
		if errors.Is(err, store.ErrNotFound) {
			if err := h.s.addMember(ctx, tx, c, acct.ID); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if err := tx.CreateSCIMUser(ctx, u); err != nil {
			return err
		}
		if revoked, err = h.s.setActive(ctx, tx, c, u.UserID, u.Active); err != nil {
			return err
		}
		if err := authos.Extend(a).Emit(ctx, tx, authos.Event{Type: EventUserProvisioned, OrgID: c.org.ID, ActorID: c.actor(), TargetID: acct.ID,
			Data: map[string]any{"user_name": u.UserName, "external_id": u.ExternalID, "account_created": created}}); err != nil {
			return err
		}
		if err := authos.Extend(a).Audit(ctx, tx, authos.AuditInput{ActorID: c.actor(), Action: AuditUserCreated, TargetType: "user", TargetID: acct.ID, After: map[string]any{"org_id": c.org.ID, "user_name": u.UserName, "account_created": created}}); err != nil {
			return err
		}
		stored, err := tx.GetSCIMUser(ctx, c.org.ID, acct.ID)
		if err != nil {
			return err
		}
		res, err = h.resource(ctx, tx, stored)
		return err
	})
	if err != nil {
		return elimity.Resource{}, userError(r, err)
	}
	a.SessionsRevoked(revoked)
	return res, nil
}

func displayName(u store.SCIMUser) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	var doc map[string]any
	_ = json.Unmarshal(u.Attributes, &doc)
	if name, ok := lookup(doc, "name").(map[string]any); ok {
		if f, _ := lookup(name, "formatted").(string); f != "" {
			return f
		}
		g, _ := lookup(name, "givenName").(string)
		f, _ := lookup(name, "familyName").(string)
		return strings.TrimSpace(g + " " + f)
	}
	return ""
}

// addMember makes the account a member (role member), within the tier's
// member limit.
func (s *Service) addMember(ctx context.Context, tx scimTx, c *caller, userID string) error {
	n, err := tx.CountMembers(ctx, c.org.ID)
	if err != nil {
		return err
	}
	if l := s.a.LimitsOf(c.org).MaxMembers; l >= 0 && n >= l {
		return authos.NewError(authos.CodeTeamLimitExceeded, "The organization's member limit is reached")
	}
	if err := tx.AddMember(ctx, store.Membership{OrgID: c.org.ID, UserID: userID, Role: store.RoleMember, CreatedAt: s.a.Now()}); err != nil {
		return err
	}
	return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: event.MemberAdded, OrgID: c.org.ID, ActorID: c.actor(), TargetID: userID,
		Data: map[string]any{"role": store.RoleMember, "via": "scim"}})
}

// setActive suspends or restores the membership to match active.
func (s *Service) setActive(ctx context.Context, tx scimTx, c *caller, userID string, active bool) ([]string, error) {
	if active {
		return nil, s.a.RestoreMember(ctx, tx, c.actor(), c.org, userID)
	}
	m, err := tx.GetMember(ctx, c.org.ID, userID)
	if err != nil {
		return nil, err
	}
	if m.Status == store.MemberSuspended {
		return nil, nil
	}
	ids, err := s.a.SuspendMember(ctx, tx, c.actor(), c.org, userID)
	if err != nil {
		return nil, err
	}
	return ids, authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventUserDeprovisioned, OrgID: c.org.ID, ActorID: c.actor(), TargetID: userID,
		Data: map[string]any{"reason": "active=false", "revoked_sessions": len(ids)}})
}

// Get returns the user's resource.
func (h users) Get(r *http.Request, id string) (elimity.Resource, error) {
	ctx, c := r.Context(), callerOf(r)
	u, err := h.s.st.GetSCIMUser(ctx, c.org.ID, id)
	if err != nil {
		return elimity.Resource{}, userError(r, err)
	}
	res, err := h.resource(ctx, h.s.st, u)
	if err != nil {
		return elimity.Resource{}, userError(r, err)
	}
	return res, nil
}

// GetAll lists users: filter, sort, page.
func (h users) GetAll(r *http.Request, p elimity.ListRequestParams) (elimity.Page, error) {
	ctx, c := r.Context(), callerOf(r)
	q, err := listQuery(r, store.SCIMUsers, p)
	if err != nil {
		return elimity.Page{}, err
	}
	list, total, err := h.s.st.ListSCIMUsers(ctx, c.org.ID, q)
	if err != nil {
		return elimity.Page{}, listError(r, err)
	}
	page := elimity.Page{TotalResults: total, Resources: []elimity.Resource{}}
	for _, u := range list {
		res, err := h.resource(ctx, h.s.st, u)
		if err != nil {
			return elimity.Page{}, userError(r, err)
		}
		page.Resources = append(page.Resources, res)
	}
	return page, nil
}

// Replace replaces the user's attributes (PUT); active is kept when absent.
func (h users) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	return h.update(r, id, AuditUserUpdated, func(doc map[string]any) (map[string]any, error) {
		if _, ok := lookup(attrs, "active").(bool); !ok {
			attrs["active"] = doc["active"]
		}
		return attrs, nil
	})
}

// Patch applies the operations to the user.
func (h users) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	return h.update(r, id, AuditUserUpdated, func(doc map[string]any) (map[string]any, error) {
		return doc, applyPatch(doc, schema.CoreUserSchema(), ops)
	})
}

// update loads the user, checks If-Match, lets change produce the new
// document and stores it, suspending or restoring the membership when
// active changed.
func (h users) update(r *http.Request, id, action string, change func(doc map[string]any) (map[string]any, error)) (elimity.Resource, error) {
	ctx, c := r.Context(), callerOf(r)
	var res elimity.Resource
	var revoked []string
	err := h.s.tx(ctx, func(tx scimTx) error {
		cur, err := tx.GetSCIMUser(ctx, c.org.ID, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, cur.Version); err != nil {
			return err
		}
		doc, err := change(userDoc(cur))
		if err != nil {
			return err
		}
		next := cur
		if err := fromDoc(&next, doc); err != nil {
			return err
		}
		next.Version, next.UpdatedAt = cur.Version+1, h.s.a.Now()
		if err := tx.UpdateSCIMUser(ctx, next); err != nil {
			return err
		}
		if next.Active != cur.Active {
			if revoked, err = h.s.setActive(ctx, tx, c, id, next.Active); err != nil {
				return err
			}
		}
		if err := authos.Extend(h.s.a).Audit(ctx, tx, authos.AuditInput{ActorID: c.actor(), Action: action, TargetType: "user", TargetID: id, Before: map[string]any{"org_id": c.org.ID, "active": cur.Active}, After: map[string]any{"org_id": c.org.ID, "active": next.Active, "user_name": next.UserName}}); err != nil {
			return err
		}
		stored, err := tx.GetSCIMUser(ctx, c.org.ID, id)
		if err != nil {
			return err
		}
		res, err = h.resource(ctx, tx, stored)
		return err
	})
	if err != nil {
		return elimity.Resource{}, userError(r, err)
	}
	h.s.a.SessionsRevoked(revoked)
	return res, nil
}

// Delete ends the membership (the user leaves every group of the
// organization). The account survives when it has another membership or a
// password; otherwise nothing but this directory vouched for it and it is
// deleted (authos EndMembership).
func (h users) Delete(r *http.Request, id string) error {
	ctx, c := r.Context(), callerOf(r)
	var revoked []string
	err := h.s.tx(ctx, func(tx scimTx) error {
		cur, err := tx.GetSCIMUser(ctx, c.org.ID, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, cur.Version); err != nil {
			return err
		}
		if err := tx.DeleteSCIMUser(ctx, c.org.ID, id); err != nil {
			return err
		}
		if revoked, err = h.s.a.EndMembership(ctx, tx, c.actor(), c.org, id); err != nil {
			return err
		}
		_, err = tx.GetUser(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		accountDeleted := err != nil
		if err := authos.Extend(h.s.a).Emit(ctx, tx, authos.Event{Type: EventUserDeprovisioned, OrgID: c.org.ID, ActorID: c.actor(), TargetID: id,
			Data: map[string]any{"reason": "deleted", "revoked_sessions": len(revoked), "account_deleted": accountDeleted}}); err != nil {
			return err
		}
		return authos.Extend(h.s.a).Audit(ctx, tx, authos.AuditInput{ActorID: c.actor(), Action: AuditUserDeleted, TargetType: "user", TargetID: id, Before: map[string]any{"org_id": c.org.ID, "user_name": cur.UserName}, After: map[string]any{"account_deleted": accountDeleted}})
	})
	if err != nil {
		return userError(r, err)
	}
	h.s.a.SessionsRevoked(revoked)
	return nil
}

// listQuery builds the store query of a list request: the filter (parsed
// again from the query, to the typed filter), sortBy/sortOrder and the page.
func listQuery(r *http.Request, res store.SCIMResource, p elimity.ListRequestParams) (store.SCIMQuery, error) {
	q := store.SCIMQuery{StartIndex: p.StartIndex, Count: p.Count}
	v := r.URL.Query()
	if raw := strings.TrimSpace(v.Get("filter")); raw != "" {
		f, err := ParseFilter(res, raw)
		if err != nil {
			return q, fail(r, authos.NewError(authos.CodeSCIMFilterInvalid, "The filter is invalid or uses an attribute that cannot be filtered"),
				scimerrors.ScimTypeInvalidFilter)
		}
		q.Filter = f
	}
	if by := strings.TrimSpace(v.Get("sortBy")); by != "" {
		a, err := attrName(res, "", by, "")
		if err != nil && strings.Contains(by, ".") {
			name, sub, _ := strings.Cut(by, ".")
			a, err = attrName(res, "", name, sub)
		}
		if err != nil || !store.SCIMSortable(res, a) {
			return q, fail(r, authos.NewError(authos.CodeBadRequest, "Results cannot be sorted by "+by), scimerrors.ScimTypeInvalidValue)
		}
		q.SortBy = a
	}
	switch strings.ToLower(v.Get("sortOrder")) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		return q, fail(r, authos.NewError(authos.CodeBadRequest, "sortOrder must be ascending or descending"), scimerrors.ScimTypeInvalidValue)
	}
	return q, nil
}

func listError(r *http.Request, err error) error {
	if errors.Is(err, store.ErrInvalidSCIMFilter) {
		return fail(r, authos.NewError(authos.CodeSCIMFilterInvalid, "The filter is invalid or uses an attribute that cannot be filtered"),
			scimerrors.ScimTypeInvalidFilter)
	}
	return fail(r, dbError(err), "")
}
