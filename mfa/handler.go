package mfa

import (
	"net/http"

	"github.com/authos/authos"
)

func (s *Service) routes() []authos.Route {
	a := s.a
	return []authos.Route{
		{Pattern: "GET /api/user/mfa", Handler: a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (Status, error) {
			return s.Status(r.Context(), userOf(r))
		}))},
		{Pattern: "POST /api/user/mfa/setup", Handler: a.LimitByIP(a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in setupRequest) (*Enrollment, error) {
			return s.Setup(r.Context(), p, in.CurrentPassword)
		})))},
		{Pattern: "POST /api/user/mfa/enable", Handler: a.LimitByIP(a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in codeRequest) (backupCodesResponse, error) {
			codes, err := s.Enable(r.Context(), p, in.Code, in.CurrentPassword)
			return backupCodesResponse{codes}, err
		})))},
		{Pattern: "POST /api/user/mfa/disable", Handler: a.LimitByIP(a.RequireAuth(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *authos.Principal, in codeRequest) (none, error) {
			return none{}, s.Disable(r.Context(), p, in.Code, in.CurrentPassword)
		})))},
		{Pattern: "POST /api/user/mfa/backup-codes", Handler: a.LimitByIP(a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in codeRequest) (backupCodesResponse, error) {
			codes, err := s.RegenerateBackupCodes(r.Context(), p, in.Code, in.CurrentPassword)
			return backupCodesResponse{codes}, err
		})))},
		{Pattern: "POST /api/auth/mfa/verify", Handler: a.LimitByIP(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, in verifyRequest) (*authos.TokenResponse, error) {
			return s.Verify(r.Context(), in.PreauthToken, in.Code)
		}))},
		{Pattern: "POST /api/platform/users/{user_id}/mfa/reset", Handler: a.RequirePlatformOwner(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, _ *authos.Principal, in ResetRequest) (none, error) {
			in.UserID = r.PathValue("user_id")
			return none{}, s.Reset(r.Context(), userOf(r), in)
		}))},
	}
}

// none is the input of routes without a body and the output of 204 routes.
type none = struct{}

// setupRequest confirms the account holder (see authos.Reauthenticate).
type setupRequest struct {
	CurrentPassword string `json:"current_password"`
}

// codeRequest carries a code and the re-authentication of a change.
type codeRequest struct {
	Code            string `json:"code"`
	CurrentPassword string `json:"current_password"`
}

type verifyRequest struct {
	PreauthToken string `json:"preauth_token"`
	Code         string `json:"code"`
}

type backupCodesResponse struct {
	BackupCodes []string `json:"backup_codes"`
}

// userOf is the id of the authenticated user.
func userOf(r *http.Request) string { return authos.PrincipalFrom(r.Context()).UserID }
