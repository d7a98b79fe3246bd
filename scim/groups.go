package scim

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// groups serves the Group resource type: the organization's groups and
// their members (users of the organization).
type groups struct{ s *Service }

var _ elimity.ResourceHandler = groups{}

// groupError answers a failed group operation.
func groupError(r *http.Request, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(r, authos.NewError(authos.CodeNotFound, "Group not found"), "")
	case errors.Is(err, errUnknownMember):
		return fail(r, authos.NewError(authos.CodeBadRequest, "A member is not a user of this organization"), scimerrors.ScimTypeInvalidValue)
	case errors.Is(err, authos.CodeBadRequest), errors.Is(err, authos.CodePreconditionFailed):
		return fail(r, err, scimerrors.ScimTypeInvalidValue)
	}
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	return fail(r, dbError(err), "")
}

var errUnknownMember = errors.New("scim: member is not a user of the organization")

// wantMembers reports whether the answer includes members (Entra reads
// groups with excludedAttributes=members).
func wantMembers(r *http.Request) bool { return !projectionOf(r).excludes("members") }

func (h groups) resource(ctx context.Context, tx store.SCIMStore, r *http.Request, g store.SCIMGroup) (elimity.Resource, error) {
	doc := map[string]any{"displayName": g.DisplayName}
	if wantMembers(r) {
		ids, err := tx.ListSCIMGroupMembers(ctx, g.OrgID, g.ID)
		if err != nil {
			return elimity.Resource{}, err
		}
		members := make([]any, 0, len(ids))
		for _, id := range ids {
			members = append(members, map[string]any{"value": id, "$ref": h.s.cfg.BaseURL + "/Users/" + id, "type": "User"})
		}
		doc["members"] = members
	}
	res := elimity.Resource{ID: g.ID, Attributes: doc,
		Meta: elimity.Meta{Created: &g.CreatedAt, LastModified: &g.UpdatedAt, Version: etagOf(g.Version)}}
	if g.ExternalID != "" {
		res.ExternalID = optional.NewString(g.ExternalID)
	}
	return res, nil
}

// memberIDs returns the value of each member of a members list.
func memberIDs(v any) []string {
	list, _ := v.([]any)
	var ids []string
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if id, _ := lookup(m, "value").(string); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Create creates a group with its members.
func (h groups) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ctx, c := r.Context(), callerOf(r)
	now := h.s.a.Now()
	g := store.SCIMGroup{ID: randx.ID(), OrgID: c.org.ID, Version: 1, CreatedAt: now, UpdatedAt: now}
	g.DisplayName, _ = lookup(attrs, "displayName").(string)
	g.ExternalID, _ = lookup(attrs, "externalId").(string)
	if strings.TrimSpace(g.DisplayName) == "" {
		return elimity.Resource{}, groupError(r, authos.NewError(authos.CodeBadRequest, "displayName is required"))
	}
	var res elimity.Resource
	err := h.s.tx(ctx, func(tx scimTx) error {
		if err := tx.CreateSCIMGroup(ctx, g); err != nil {
			return err
		}
		// A new group maps to no role: its members keep theirs.
		if err := h.setMembers(ctx, tx, g, memberIDs(lookup(attrs, "members")), touched{}); err != nil {
			return err
		}
		if err := authos.Extend(h.s.a).Audit(ctx, tx, authos.AuditInput{ActorID: c.actor(), Action: AuditGroupCreated, TargetType: "scim_group", TargetID: g.ID, After: map[string]any{"org_id": c.org.ID, "display_name": g.DisplayName}}); err != nil {
			return err
		}
		var err error
		res, err = h.resource(ctx, tx, r, g)
		return err
	})
	if err != nil {
		return elimity.Resource{}, groupError(r, err)
	}
	return res, nil
}

// touched collects the users whose membership of a group changed.
type touched map[string]bool

func (t touched) add(ids []string) {
	for _, id := range ids {
		t[id] = true
	}
}

// setMembers makes ids the group's members exactly.
func (h groups) setMembers(ctx context.Context, tx scimTx, g store.SCIMGroup, ids []string, tc touched) error {
	cur, err := tx.ListSCIMGroupMembers(ctx, g.OrgID, g.ID)
	if err != nil {
		return err
	}
	var gone []string
	for _, id := range cur {
		if !slices.Contains(ids, id) {
			gone = append(gone, id)
		}
	}
	if err := h.removeMembers(ctx, tx, g, gone, tc); err != nil {
		return err
	}
	return h.addMembers(ctx, tx, g, ids, tc)
}

func (h groups) addMembers(ctx context.Context, tx scimTx, g store.SCIMGroup, ids []string, tc touched) error {
	if len(ids) == 0 {
		return nil
	}
	added, err := tx.AddSCIMGroupMembers(ctx, g.OrgID, g.ID, ids)
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownMember
	}
	tc.add(added)
	return err
}

func (h groups) removeMembers(ctx context.Context, tx scimTx, g store.SCIMGroup, ids []string, tc touched) error {
	if len(ids) == 0 {
		return nil
	}
	removed, err := tx.RemoveSCIMGroupMembers(ctx, g.OrgID, g.ID, ids)
	tc.add(removed)
	return err
}

// Get returns the group.
func (h groups) Get(r *http.Request, id string) (elimity.Resource, error) {
	ctx, c := r.Context(), callerOf(r)
	g, err := h.s.st.GetSCIMGroup(ctx, c.org.ID, id)
	if err != nil {
		return elimity.Resource{}, groupError(r, err)
	}
	res, err := h.resource(ctx, h.s.st, r, g)
	if err != nil {
		return elimity.Resource{}, groupError(r, err)
	}
	return res, nil
}

// GetAll lists groups: filter, sort, page.
func (h groups) GetAll(r *http.Request, p elimity.ListRequestParams) (elimity.Page, error) {
	ctx, c := r.Context(), callerOf(r)
	q, err := listQuery(r, store.SCIMGroups, p)
	if err != nil {
		return elimity.Page{}, err
	}
	list, total, err := h.s.st.ListSCIMGroups(ctx, c.org.ID, q)
	if err != nil {
		return elimity.Page{}, listError(r, err)
	}
	page := elimity.Page{TotalResults: total, Resources: []elimity.Resource{}}
	for _, g := range list {
		res, err := h.resource(ctx, h.s.st, r, g)
		if err != nil {
			return elimity.Page{}, groupError(r, err)
		}
		page.Resources = append(page.Resources, res)
	}
	return page, nil
}

// Replace replaces the group's name, externalId and members (PUT).
func (h groups) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	return h.update(r, id, func(ctx context.Context, tx scimTx, g *store.SCIMGroup, tc touched) error {
		g.DisplayName, _ = lookup(attrs, "displayName").(string)
		g.ExternalID, _ = lookup(attrs, "externalId").(string)
		if strings.TrimSpace(g.DisplayName) == "" {
			return authos.NewError(authos.CodeBadRequest, "displayName is required")
		}
		return h.setMembers(ctx, tx, *g, memberIDs(lookup(attrs, "members")), tc)
	})
}

// Patch applies the operations: displayName and externalId like any
// attribute; members added, removed (members[value eq "id"], or Entra's
// path members with a value list: only those) or replaced.
func (h groups) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	return h.update(r, id, func(ctx context.Context, tx scimTx, g *store.SCIMGroup, tc touched) error {
		for _, op := range ops {
			kind := strings.ToLower(op.Op)
			if op.Path == nil {
				vals, _ := op.Value.(map[string]any)
				if kind == elimity.PatchOperationRemove || vals == nil {
					return errNoTarget
				}
				for k, v := range vals {
					if err := h.patchAttr(ctx, tx, g, tc, kind, k, nil, v); err != nil {
						return err
					}
				}
				continue
			}
			if err := h.patchAttr(ctx, tx, g, tc, kind, op.Path.AttributePath.AttributeName, op.Path.ValueExpression, op.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// patchAttr applies one operation on attribute name of the group.
func (h groups) patchAttr(ctx context.Context, tx scimTx, g *store.SCIMGroup, tc touched, op, name string, valueFilter filter.Expression, v any) error {
	switch strings.ToLower(name) {
	case "displayname":
		if op == elimity.PatchOperationRemove {
			return authos.NewError(authos.CodeBadRequest, "displayName is required")
		}
		s, _ := v.(string)
		if strings.TrimSpace(s) == "" {
			return authos.NewError(authos.CodeBadRequest, "displayName is required")
		}
		g.DisplayName = s
	case "externalid":
		if op == elimity.PatchOperationRemove {
			g.ExternalID = ""
		} else {
			g.ExternalID, _ = v.(string)
		}
	case "members":
		switch {
		case op == elimity.PatchOperationRemove && valueFilter != nil:
			cur, err := tx.ListSCIMGroupMembers(ctx, g.OrgID, g.ID)
			if err != nil {
				return err
			}
			var drop []string
			for _, id := range cur {
				if matches(valueFilter, map[string]any{"value": id}) {
					drop = append(drop, id)
				}
			}
			return h.removeMembers(ctx, tx, *g, drop, tc)
		case op == elimity.PatchOperationRemove && len(memberIDs(v)) > 0:
			return h.removeMembers(ctx, tx, *g, memberIDs(v), tc)
		case op == elimity.PatchOperationRemove:
			return h.setMembers(ctx, tx, *g, nil, tc)
		case op == elimity.PatchOperationAdd:
			return h.addMembers(ctx, tx, *g, memberIDs(v), tc)
		default:
			return h.setMembers(ctx, tx, *g, memberIDs(v), tc)
		}
	}
	// Other attributes (id sent by Okta in the value, unknown extension
	// attributes) are ignored.
	return nil
}

// update loads the group, checks If-Match, applies change and stores it;
// when the group maps to a role, the members change recorded gets the
// roles their groups now grant.
func (h groups) update(r *http.Request, id string, change func(ctx context.Context, tx scimTx, g *store.SCIMGroup, tc touched) error) (elimity.Resource, error) {
	ctx, c := r.Context(), callerOf(r)
	var res elimity.Resource
	err := h.s.tx(ctx, func(tx scimTx) error {
		g, err := tx.GetSCIMGroup(ctx, c.org.ID, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, g.Version); err != nil {
			return err
		}
		before := g.DisplayName
		tc := touched{}
		if err := change(ctx, tx, &g, tc); err != nil {
			return err
		}
		if g.Role != "" {
			if err := h.s.syncRoles(ctx, tx, c.org, c.actor(), slices.Sorted(maps.Keys(tc))); err != nil {
				return err
			}
		}
		g.Version, g.UpdatedAt = g.Version+1, h.s.a.Now()
		if err := tx.UpdateSCIMGroup(ctx, g); err != nil {
			return err
		}
		if err := authos.Extend(h.s.a).Audit(ctx, tx, authos.AuditInput{ActorID: c.actor(), Action: AuditGroupUpdated, TargetType: "scim_group", TargetID: g.ID, Before: map[string]any{"display_name": before}, After: map[string]any{"org_id": c.org.ID, "display_name": g.DisplayName}}); err != nil {
			return err
		}
		res, err = h.resource(ctx, tx, r, g)
		return err
	})
	if err != nil {
		return elimity.Resource{}, groupError(r, err)
	}
	return res, nil
}

// Delete removes the group (its members stay members of the organization,
// with the roles their other groups grant when it mapped to a role).
func (h groups) Delete(r *http.Request, id string) error {
	ctx, c := r.Context(), callerOf(r)
	err := h.s.tx(ctx, func(tx scimTx) error {
		g, err := tx.GetSCIMGroup(ctx, c.org.ID, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, g.Version); err != nil {
			return err
		}
		var members []string
		if g.Role != "" {
			if members, err = tx.ListSCIMGroupMembers(ctx, c.org.ID, id); err != nil {
				return err
			}
		}
		if err := tx.DeleteSCIMGroup(ctx, c.org.ID, id); err != nil {
			return err
		}
		if err := h.s.syncRoles(ctx, tx, c.org, c.actor(), members); err != nil {
			return err
		}
		return authos.Extend(h.s.a).Audit(ctx, tx, authos.AuditInput{ActorID: c.actor(), Action: AuditGroupDeleted, TargetType: "scim_group", TargetID: id, Before: map[string]any{"org_id": c.org.ID, "display_name": g.DisplayName}})
	})
	if err != nil {
		return groupError(r, err)
	}
	return nil
}
