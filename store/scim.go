package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SCIMToken is an organization's SCIM bearer token (RFC 7644 §2). Only the
// hash of the token is kept.
type SCIMToken struct {
	ID         string
	OrgID      string
	Name       string
	TokenHash  string // hex SHA-256 of the whole token; unique
	CreatedBy  string // user id
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero while valid
	LastUsedAt time.Time
}

// SCIMEmail is one value of a SCIM user's emails attribute.
type SCIMEmail struct {
	Value   string
	Type    string
	Primary bool
}

// SCIMUser is the SCIM User resource (RFC 7643 §4.1) an organization's
// directory keeps for one of its members: the resource id is the user id.
// A SCIMUser exists only beside the membership (OrgID, UserID): removing
// the membership removes it, with its group memberships.
type SCIMUser struct {
	OrgID       string
	UserID      string
	UserName    string // as sent; unique in the organization, case-insensitively
	ExternalID  string // the directory's id; compared exactly
	DisplayName string
	Emails      []SCIMEmail
	// Attributes is a JSON object with the resource's other attributes
	// (name, title, the enterprise extension, ...), opaque to the store.
	Attributes []byte
	// Active is read from the membership: false while it is suspended.
	// Create and Update ignore it.
	Active    bool
	Version   int64 // incremented by the caller on every change (the ETag)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SCIMGroup is a SCIM Group resource (RFC 7643 §4.2) of an organization.
// Its members are kept apart (AddSCIMGroupMembers).
type SCIMGroup struct {
	ID          string
	OrgID       string
	DisplayName string
	ExternalID  string
	// Role, when not empty, is the organization role the group grants
	// (store.RoleAdmin or store.RoleMember).
	Role      string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SCIMResource names the resource type a filter or a query is about.
type SCIMResource string

// SCIM resource types.
const (
	SCIMUsers  SCIMResource = "User"
	SCIMGroups SCIMResource = "Group"
)

// SCIMAttr is an attribute a SCIM filter may test or a list may be sorted
// by. Each has one type (string, boolean or dateTime) and belongs to Users,
// Groups or both; the sub-attributes of emails and members are tested only
// inside a SCIMAny.
type SCIMAttr string

// Attributes of SCIM filters.
const (
	SCIMAttrID           SCIMAttr = "id"                // string, exact; Users and Groups
	SCIMAttrExternalID   SCIMAttr = "externalId"        // string, exact; Users and Groups
	SCIMAttrUserName     SCIMAttr = "userName"          // string, case-insensitive; Users
	SCIMAttrDisplayName  SCIMAttr = "displayName"       // string, case-insensitive; Users and Groups
	SCIMAttrActive       SCIMAttr = "active"            // boolean; Users
	SCIMAttrCreated      SCIMAttr = "meta.created"      // dateTime; Users and Groups
	SCIMAttrLastModified SCIMAttr = "meta.lastModified" // dateTime; Users and Groups
	SCIMAttrEmails       SCIMAttr = "emails"            // multi-valued (SCIMAny only); Users
	SCIMAttrEmailValue   SCIMAttr = "emails.value"      // string, case-insensitive
	SCIMAttrEmailType    SCIMAttr = "emails.type"       // string, case-insensitive
	SCIMAttrEmailPrimary SCIMAttr = "emails.primary"    // boolean
	SCIMAttrMembers      SCIMAttr = "members"           // multi-valued (SCIMAny only); Groups
	SCIMAttrMemberValue  SCIMAttr = "members.value"     // string, exact
)

// SCIMAttrType is the type of a filter attribute.
type SCIMAttrType int

// Attribute types.
const (
	SCIMString SCIMAttrType = iota + 1
	SCIMBool
	SCIMDateTime
)

type scimAttrInfo struct {
	typ       SCIMAttrType
	caseExact bool
	users     bool
	groups    bool
	parent    SCIMAttr // set for sub-attributes of a multi-valued attribute
	multi     bool     // the multi-valued attribute itself
}

var scimAttrs = map[SCIMAttr]scimAttrInfo{
	SCIMAttrID:           {typ: SCIMString, caseExact: true, users: true, groups: true},
	SCIMAttrExternalID:   {typ: SCIMString, caseExact: true, users: true, groups: true},
	SCIMAttrUserName:     {typ: SCIMString, users: true},
	SCIMAttrDisplayName:  {typ: SCIMString, users: true, groups: true},
	SCIMAttrActive:       {typ: SCIMBool, users: true},
	SCIMAttrCreated:      {typ: SCIMDateTime, users: true, groups: true},
	SCIMAttrLastModified: {typ: SCIMDateTime, users: true, groups: true},
	SCIMAttrEmails:       {multi: true, users: true},
	SCIMAttrEmailValue:   {typ: SCIMString, parent: SCIMAttrEmails},
	SCIMAttrEmailType:    {typ: SCIMString, parent: SCIMAttrEmails},
	SCIMAttrEmailPrimary: {typ: SCIMBool, parent: SCIMAttrEmails},
	SCIMAttrMembers:      {multi: true, groups: true},
	SCIMAttrMemberValue:  {typ: SCIMString, caseExact: true, parent: SCIMAttrMembers},
}

// Type returns the attribute's type (0 for a multi-valued attribute or an
// unknown name).
func (a SCIMAttr) Type() SCIMAttrType { return scimAttrs[a].typ }

// CaseExact reports whether string comparisons of the attribute are
// case-sensitive; the others compare lower-cased values.
func (a SCIMAttr) CaseExact() bool { return scimAttrs[a].caseExact }

// Parent returns the multi-valued attribute a sub-attribute belongs to
// ("" for a top-level attribute).
func (a SCIMAttr) Parent() SCIMAttr { return scimAttrs[a].parent }

// SCIMOp is a comparison operator of a SCIM filter (RFC 7644 §3.4.2.2).
type SCIMOp string

// Operators.
const (
	SCIMEq SCIMOp = "eq"
	SCIMNe SCIMOp = "ne"
	SCIMCo SCIMOp = "co"
	SCIMSw SCIMOp = "sw"
	SCIMEw SCIMOp = "ew"
	SCIMGt SCIMOp = "gt"
	SCIMGe SCIMOp = "ge"
	SCIMLt SCIMOp = "lt"
	SCIMLe SCIMOp = "le"
	SCIMPr SCIMOp = "pr"
)

// SCIMFilter is a typed SCIM filter: SCIMCompare, SCIMAnd, SCIMOr, SCIMNot
// or SCIMAny. Backends receive it validated (ValidateSCIMFilter) and
// translate it themselves; no part of it is ever SQL text.
type SCIMFilter interface{ scimFilter() }

// SCIMCompare tests one attribute: Value is a string (lower-cased by the
// caller for case-insensitive attributes), a bool or a time.Time, after
// the attribute's type; nil for SCIMPr.
type SCIMCompare struct {
	Attr  SCIMAttr
	Op    SCIMOp
	Value any
}

// SCIMAnd holds when both sides hold.
type SCIMAnd struct{ Left, Right SCIMFilter }

// SCIMOr holds when either side holds.
type SCIMOr struct{ Left, Right SCIMFilter }

// SCIMNot holds when X does not.
type SCIMNot struct{ X SCIMFilter }

// SCIMAny holds when one value of the multi-valued Attr (emails, members)
// satisfies Filter, whose comparisons name that attribute's
// sub-attributes (emails.value, ...).
type SCIMAny struct {
	Attr   SCIMAttr
	Filter SCIMFilter
}

func (SCIMCompare) scimFilter() {}
func (SCIMAnd) scimFilter()     {}
func (SCIMOr) scimFilter()      {}
func (SCIMNot) scimFilter()     {}
func (SCIMAny) scimFilter()     {}

// Bounds of a SCIM filter.
const (
	MaxSCIMFilterDepth = 16
	MaxSCIMFilterNodes = 64
)

// ErrInvalidSCIMFilter is returned (wrapped) for a filter that
// ValidateSCIMFilter refuses.
var ErrInvalidSCIMFilter = errors.New("store: invalid SCIM filter")

// ValidateSCIMFilter checks that f is a well-formed filter over res: known
// attributes of res, operators that fit each attribute's type, values of
// that type, sub-attributes only inside SCIMAny of their parent, and at
// most MaxSCIMFilterDepth levels and MaxSCIMFilterNodes nodes. A nil
// filter is valid (it selects everything).
func ValidateSCIMFilter(res SCIMResource, f SCIMFilter) error {
	if res != SCIMUsers && res != SCIMGroups {
		return fmt.Errorf("%w: unknown resource %q", ErrInvalidSCIMFilter, res)
	}
	if f == nil {
		return nil
	}
	n := 0
	return validateSCIM(res, f, "", 1, &n)
}

func validateSCIM(res SCIMResource, f SCIMFilter, within SCIMAttr, depth int, nodes *int) error {
	*nodes++
	if depth > MaxSCIMFilterDepth || *nodes > MaxSCIMFilterNodes {
		return fmt.Errorf("%w: too deep or too long", ErrInvalidSCIMFilter)
	}
	switch x := f.(type) {
	case SCIMAnd:
		if err := validateSCIM(res, x.Left, within, depth+1, nodes); err != nil {
			return err
		}
		return validateSCIM(res, x.Right, within, depth+1, nodes)
	case SCIMOr:
		if err := validateSCIM(res, x.Left, within, depth+1, nodes); err != nil {
			return err
		}
		return validateSCIM(res, x.Right, within, depth+1, nodes)
	case SCIMNot:
		return validateSCIM(res, x.X, within, depth+1, nodes)
	case SCIMAny:
		info, ok := scimAttrs[x.Attr]
		if !ok || !info.multi || within != "" || !info.of(res) {
			return fmt.Errorf("%w: %q is not a multi-valued attribute of %s", ErrInvalidSCIMFilter, x.Attr, res)
		}
		if x.Filter == nil {
			return fmt.Errorf("%w: empty value filter", ErrInvalidSCIMFilter)
		}
		return validateSCIM(res, x.Filter, x.Attr, depth+1, nodes)
	case SCIMCompare:
		info, ok := scimAttrs[x.Attr]
		if !ok || info.multi {
			return fmt.Errorf("%w: attribute %q cannot be compared", ErrInvalidSCIMFilter, x.Attr)
		}
		if info.parent != within || within == "" && !info.of(res) {
			return fmt.Errorf("%w: attribute %q is not filterable here", ErrInvalidSCIMFilter, x.Attr)
		}
		return validateSCIMCompare(x, info.typ)
	case nil:
		return fmt.Errorf("%w: empty filter", ErrInvalidSCIMFilter)
	default:
		return fmt.Errorf("%w: unknown node %T", ErrInvalidSCIMFilter, f)
	}
}

func (i scimAttrInfo) of(res SCIMResource) bool {
	return res == SCIMUsers && i.users || res == SCIMGroups && i.groups
}

func validateSCIMCompare(c SCIMCompare, typ SCIMAttrType) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s %s: %s", ErrInvalidSCIMFilter, c.Attr, c.Op, why)
	}
	if c.Op == SCIMPr {
		if c.Value != nil {
			return bad("pr takes no value")
		}
		return nil
	}
	switch typ {
	case SCIMString:
		if _, ok := c.Value.(string); !ok {
			return bad("the value must be a string")
		}
		switch c.Op {
		case SCIMEq, SCIMNe, SCIMCo, SCIMSw, SCIMEw:
			return nil
		}
	case SCIMBool:
		if _, ok := c.Value.(bool); !ok {
			return bad("the value must be a boolean")
		}
		if c.Op == SCIMEq || c.Op == SCIMNe {
			return nil
		}
	case SCIMDateTime:
		t, ok := c.Value.(time.Time)
		if !ok || t.IsZero() {
			return bad("the value must be a dateTime")
		}
		switch c.Op {
		case SCIMEq, SCIMNe, SCIMGt, SCIMGe, SCIMLt, SCIMLe:
			return nil
		}
	}
	return bad("operator not supported for this attribute")
}

// SCIMSortable reports whether a list of res may be sorted by a.
func SCIMSortable(res SCIMResource, a SCIMAttr) bool {
	switch a {
	case SCIMAttrID, SCIMAttrExternalID, SCIMAttrDisplayName, SCIMAttrCreated, SCIMAttrLastModified:
		return true
	case SCIMAttrUserName:
		return res == SCIMUsers
	}
	return false
}

// SCIMQuery selects and pages SCIM resources.
type SCIMQuery struct {
	Filter SCIMFilter // nil: every resource
	// SortBy orders the results (SCIMSortable); empty: by creation, oldest
	// first. Ties are broken by id.
	SortBy     SCIMAttr
	Descending bool
	StartIndex int // 1-based; values below 1 count as 1
	Count      int // at most this many; 0 returns none (only the total)
}

// SCIMStore keeps what package scim needs: the organizations' SCIM tokens,
// the User resources of their directory-managed members, and their groups
// with members. Every method that takes an orgID confines itself to that
// organization: a row of another organization is ErrNotFound.
type SCIMStore interface {
	// CreateSCIMToken inserts t. ErrConflict when the id or the hash exists.
	CreateSCIMToken(ctx context.Context, t SCIMToken) error
	// GetSCIMTokenByHash returns the token with hash (revoked or expired
	// too), or ErrNotFound.
	GetSCIMTokenByHash(ctx context.Context, hash string) (SCIMToken, error)
	// ListSCIMTokens returns the organization's tokens, newest first (ties by id).
	ListSCIMTokens(ctx context.Context, orgID string) ([]SCIMToken, error)
	// RevokeSCIMToken sets RevokedAt to now if unset. ErrNotFound when absent.
	RevokeSCIMToken(ctx context.Context, orgID, id string, now time.Time) error
	// TouchSCIMToken sets LastUsedAt=now only when it is zero or older than
	// now-minInterval, and reports whether it wrote. ErrNotFound when absent.
	TouchSCIMToken(ctx context.Context, id string, now time.Time, minInterval time.Duration) (bool, error)

	// CreateSCIMUser inserts u (Active is ignored). The membership
	// (u.OrgID, u.UserID) must exist. ErrConflict when the user already has
	// a resource in the organization or when another user of the
	// organization has the same UserName (case-insensitively).
	CreateSCIMUser(ctx context.Context, u SCIMUser) error
	// GetSCIMUser returns the user's resource in the organization, with
	// Active read from the membership, or ErrNotFound.
	GetSCIMUser(ctx context.Context, orgID, userID string) (SCIMUser, error)
	// UpdateSCIMUser replaces every field of the resource (OrgID, UserID)
	// but CreatedAt (Active is ignored). ErrNotFound, ErrConflict (UserName
	// taken in the organization).
	UpdateSCIMUser(ctx context.Context, u SCIMUser) error
	// DeleteSCIMUser removes the resource and the user's memberships of the
	// organization's groups (not the membership itself). ErrNotFound when absent.
	DeleteSCIMUser(ctx context.Context, orgID, userID string) error
	// ListSCIMUsers returns the page of the organization's users that q
	// selects and the number matching q.Filter. q.Filter must be valid for
	// SCIMUsers (ErrInvalidSCIMFilter otherwise); a userName, externalId or
	// emails.value equality is answered from an index.
	ListSCIMUsers(ctx context.Context, orgID string, q SCIMQuery) ([]SCIMUser, int, error)

	// CreateSCIMGroup inserts g. ErrConflict when the id exists.
	CreateSCIMGroup(ctx context.Context, g SCIMGroup) error
	// GetSCIMGroup returns the organization's group, or ErrNotFound.
	GetSCIMGroup(ctx context.Context, orgID, id string) (SCIMGroup, error)
	// UpdateSCIMGroup replaces every field of the group (OrgID, ID) but
	// CreatedAt. ErrNotFound when absent.
	UpdateSCIMGroup(ctx context.Context, g SCIMGroup) error
	// DeleteSCIMGroup removes the group and its member list. ErrNotFound
	// when absent.
	DeleteSCIMGroup(ctx context.Context, orgID, id string) error
	// ListSCIMGroups returns the page of the organization's groups that q
	// selects and the number matching q.Filter (valid for SCIMGroups).
	ListSCIMGroups(ctx context.Context, orgID string, q SCIMQuery) ([]SCIMGroup, int, error)
	// AddSCIMGroupMembers adds users (each must have a SCIMUser in the
	// organization; ErrNotFound otherwise, and nothing is added) to the
	// group, ignoring those already in it, and returns the ids it added.
	// ErrNotFound when the group is absent.
	AddSCIMGroupMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error)
	// RemoveSCIMGroupMembers removes users from the group, ignoring those
	// not in it, and returns the ids it removed. ErrNotFound when the group
	// is absent.
	RemoveSCIMGroupMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error)
	// ListSCIMGroupMembers returns the user ids of the group's members,
	// sorted. ErrNotFound when the group is absent.
	ListSCIMGroupMembers(ctx context.Context, orgID, groupID string) ([]string, error)
	// ListSCIMUserGroups returns the organization's groups the user is a
	// member of, sorted by id.
	ListSCIMUserGroups(ctx context.Context, orgID, userID string) ([]SCIMGroup, error)
}
