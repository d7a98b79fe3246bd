package authos

import (
	"context"
	"errors"

	"github.com/authos/authos/store"
)

// admitToService checks that userID may sign in to s: any account may,
// unless s is members-only (then only members: NOT_ORGANIZATION_MEMBER);
// a suspended membership never may (FORBIDDEN).
func admitToService(ctx context.Context, tx store.Tx, s Service, userID string) error {
	m, err := tx.GetMember(ctx, s.OrgID, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if s.MembersOnly {
			return NewError(CodeNotOrganizationMember, "Only members of the organization may sign in to this application")
		}
		return nil
	case err != nil:
		return dbError(err)
	case m.Status == store.MemberSuspended:
		return NewError(CodeForbidden, "Your membership of this organization is suspended")
	}
	return nil
}
