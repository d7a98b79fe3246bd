package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// SCIM filters become WHERE clauses: every value is a bound argument, and
// the clause text is built only from the fixed column names and operators
// below, never from the filter's input.

// scimColumn is the SQL of one filterable attribute.
type scimColumn struct {
	expr string // column expression
	kind store.SCIMAttrType
}

// scimColumns maps the attributes of each resource (and of the child
// tables of emails and members) to columns of the query FROM clause built
// by scimFrom: s (users), m (memberships), g (groups), e (emails), gm
// (group members).
var scimColumns = map[store.SCIMResource]map[store.SCIMAttr]scimColumn{
	store.SCIMUsers: {
		store.SCIMAttrID:           {"s.user_id", store.SCIMString},
		store.SCIMAttrExternalID:   {"s.external_id", store.SCIMString},
		store.SCIMAttrUserName:     {"s.user_name_lower", store.SCIMString},
		store.SCIMAttrDisplayName:  {"s.display_name_lower", store.SCIMString},
		store.SCIMAttrActive:       {"m.status", store.SCIMBool},
		store.SCIMAttrCreated:      {"s.created_at", store.SCIMDateTime},
		store.SCIMAttrLastModified: {"s.updated_at", store.SCIMDateTime},
		store.SCIMAttrEmailValue:   {"e.value_lower", store.SCIMString},
		store.SCIMAttrEmailType:    {"e.type_lower", store.SCIMString},
		store.SCIMAttrEmailPrimary: {"e.is_primary", store.SCIMBool},
	},
	store.SCIMGroups: {
		store.SCIMAttrID:           {"g.id", store.SCIMString},
		store.SCIMAttrExternalID:   {"g.external_id", store.SCIMString},
		store.SCIMAttrDisplayName:  {"g.display_name_lower", store.SCIMString},
		store.SCIMAttrCreated:      {"g.created_at", store.SCIMDateTime},
		store.SCIMAttrLastModified: {"g.updated_at", store.SCIMDateTime},
		store.SCIMAttrMemberValue:  {"gm.user_id", store.SCIMString},
	},
}

// scimSubqueries are the EXISTS subqueries of the multi-valued attributes.
var scimSubqueries = map[store.SCIMAttr]string{
	store.SCIMAttrEmails:  `SELECT 1 FROM authos_scim_user_emails e WHERE e.org_id = s.org_id AND e.user_id = s.user_id`,
	store.SCIMAttrMembers: `SELECT 1 FROM authos_scim_group_members gm WHERE gm.group_id = g.id`,
}

// TranslateSCIMFilter returns the SQL condition of f over res for dialect
// d, with its ? placeholders and their arguments: the condition reads the
// aliases of the SCIM list queries (s and m for users, g for groups). f is
// validated first (store.ErrInvalidSCIMFilter). No value of f ever appears
// in the condition's text.
func TranslateSCIMFilter(d *Dialect, res store.SCIMResource, f store.SCIMFilter) (string, []any, error) {
	if err := store.ValidateSCIMFilter(res, f); err != nil {
		return "", nil, err
	}
	if f == nil {
		return "1 = 1", nil, nil
	}
	t := scimTranslator{d: d, cols: scimColumns[res]}
	if err := t.node(f); err != nil {
		return "", nil, err
	}
	return t.b.String(), t.args, nil
}

type scimTranslator struct {
	d    *Dialect
	cols map[store.SCIMAttr]scimColumn
	b    strings.Builder
	args []any
}

func (t *scimTranslator) node(f store.SCIMFilter) error {
	switch x := f.(type) {
	case store.SCIMAnd:
		return t.binary(x.Left, " AND ", x.Right)
	case store.SCIMOr:
		return t.binary(x.Left, " OR ", x.Right)
	case store.SCIMNot:
		t.b.WriteString("NOT (")
		if err := t.node(x.X); err != nil {
			return err
		}
		t.b.WriteString(")")
		return nil
	case store.SCIMAny:
		sub, ok := scimSubqueries[x.Attr]
		if !ok {
			return fmt.Errorf("%w: %s", store.ErrInvalidSCIMFilter, x.Attr)
		}
		t.b.WriteString("EXISTS (" + sub + " AND (")
		if err := t.node(x.Filter); err != nil {
			return err
		}
		t.b.WriteString("))")
		return nil
	case store.SCIMCompare:
		return t.compare(x)
	}
	return fmt.Errorf("%w: unknown node %T", store.ErrInvalidSCIMFilter, f)
}

func (t *scimTranslator) binary(l store.SCIMFilter, op string, r store.SCIMFilter) error {
	t.b.WriteString("(")
	if err := t.node(l); err != nil {
		return err
	}
	t.b.WriteString(op)
	if err := t.node(r); err != nil {
		return err
	}
	t.b.WriteString(")")
	return nil
}

func (t *scimTranslator) arg(v any) {
	t.b.WriteString("?")
	t.args = append(t.args, v)
}

func (t *scimTranslator) compare(c store.SCIMCompare) error {
	col, ok := t.cols[c.Attr]
	if !ok {
		return fmt.Errorf("%w: %s", store.ErrInvalidSCIMFilter, c.Attr)
	}
	if c.Attr == store.SCIMAttrActive {
		return t.active(col, c)
	}
	switch col.kind {
	case store.SCIMBool:
		if c.Op == store.SCIMPr {
			t.b.WriteString("1 = 1") // a boolean column always has a value
			return nil
		}
		v, _ := c.Value.(bool)
		t.b.WriteString(col.expr + sqlOp(c.Op))
		t.arg(boolInt(v))
		return nil
	case store.SCIMDateTime:
		if c.Op == store.SCIMPr {
			t.b.WriteString(col.expr + " IS NOT NULL")
			return nil
		}
		v, _ := c.Value.(time.Time)
		t.b.WriteString(col.expr + sqlOp(c.Op))
		t.arg(v.UnixMilli())
		return nil
	}
	v, _ := c.Value.(string)
	if !c.Attr.CaseExact() {
		v = strings.ToLower(v)
	}
	switch c.Op {
	case store.SCIMPr:
		t.b.WriteString(col.expr + " <> ''")
	case store.SCIMEq, store.SCIMNe:
		t.b.WriteString(col.expr + sqlOp(c.Op))
		t.arg(v)
	case store.SCIMCo, store.SCIMSw, store.SCIMEw:
		t.match(col.expr, c.Op, v, c.Attr.CaseExact())
	default:
		return fmt.Errorf("%w: %s %s", store.ErrInvalidSCIMFilter, c.Attr, c.Op)
	}
	return nil
}

// active compares the membership status: active is "not suspended".
func (t *scimTranslator) active(col scimColumn, c store.SCIMCompare) error {
	if c.Op == store.SCIMPr {
		t.b.WriteString("1 = 1")
		return nil
	}
	want, _ := c.Value.(bool)
	if c.Op == store.SCIMNe {
		want = !want
	}
	if want {
		t.b.WriteString(col.expr + " <> ")
	} else {
		t.b.WriteString(col.expr + " = ")
	}
	t.arg(store.MemberSuspended)
	return nil
}

// match writes a substring, prefix or suffix test of v. Lower-cased
// columns use LIKE; case-exact columns use LIKE on PostgreSQL (where it is
// case-sensitive) and GLOB on SQLite (whose LIKE ignores ASCII case).
func (t *scimTranslator) match(expr string, op store.SCIMOp, v string, exact bool) {
	glob := exact && t.d.Name == "sqlite"
	var pat string
	if glob {
		pat = globEscape(v)
		switch op {
		case store.SCIMCo:
			pat = "*" + pat + "*"
		case store.SCIMSw:
			pat += "*"
		case store.SCIMEw:
			pat = "*" + pat
		}
		t.b.WriteString(expr + " GLOB ")
		t.arg(pat)
		return
	}
	pat = likeEscape(v)
	switch op {
	case store.SCIMCo:
		pat = "%" + pat + "%"
	case store.SCIMSw:
		pat += "%"
	case store.SCIMEw:
		pat = "%" + pat
	}
	t.b.WriteString(expr + " LIKE ")
	t.arg(pat)
	t.b.WriteString(` ESCAPE '\'`)
}

// sqlOp is the SQL comparison of an ordering or equality operator.
func sqlOp(op store.SCIMOp) string {
	switch op {
	case store.SCIMNe:
		return " <> "
	case store.SCIMGt:
		return " > "
	case store.SCIMGe:
		return " >= "
	case store.SCIMLt:
		return " < "
	case store.SCIMLe:
		return " <= "
	}
	return " = "
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// likeEscape escapes the LIKE wildcards of v with a backslash.
func likeEscape(v string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
}

// globEscape makes every GLOB metacharacter of v literal.
func globEscape(v string) string {
	return strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`).Replace(v)
}

// scimSortColumn is the ORDER BY column of a sortable attribute.
func scimSortColumn(res store.SCIMResource, a store.SCIMAttr) (string, error) {
	if a == "" {
		a = store.SCIMAttrCreated
	}
	if !store.SCIMSortable(res, a) {
		return "", fmt.Errorf("%w: cannot sort by %q", store.ErrInvalidSCIMFilter, a)
	}
	return scimColumns[res][a].expr, nil
}
