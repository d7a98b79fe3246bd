// The error catalog, maintained by hand; the tests check it against the
// reference table testdata/error-codes.tsv and openapi.yaml's ErrorCode enum.

package authos

// Catalog codes. Each constant's comment is the catalog description and the
// HTTP status the code is answered with.
const (

	// General
	// CodeBadRequest: Invalid request parameters or malformed JSON (HTTP 400).
	CodeBadRequest ErrorCode = "BAD_REQUEST"
	// CodeUnauthorized: Missing or invalid authentication (HTTP 401).
	CodeUnauthorized ErrorCode = "UNAUTHORIZED"
	// CodeForbidden: Valid credentials but insufficient permissions (HTTP 403).
	CodeForbidden ErrorCode = "FORBIDDEN"
	// CodeNotFound: Requested resource does not exist (HTTP 404).
	CodeNotFound ErrorCode = "NOT_FOUND"
	// CodeConflict: Resource already exists or state conflict (HTTP 409).
	CodeConflict ErrorCode = "CONFLICT"
	// CodeRateLimitExceeded: Too many requests (HTTP 429).
	CodeRateLimitExceeded ErrorCode = "RATE_LIMIT_EXCEEDED"
	// CodeInternalServerError: Unexpected server error (HTTP 500).
	CodeInternalServerError ErrorCode = "INTERNAL_SERVER_ERROR"

	// Authentication
	// CodeTokenExpired: JWT has expired (HTTP 401).
	CodeTokenExpired ErrorCode = "TOKEN_EXPIRED"
	// CodeJWTError: Invalid JWT signature or format (HTTP 401).
	CodeJWTError ErrorCode = "JWT_ERROR"
	// CodeInvalidCredentials: Wrong email or password (HTTP 401).
	CodeInvalidCredentials ErrorCode = "INVALID_CREDENTIALS"
	// CodeEmailNotVerified: Account email not verified (HTTP 401).
	CodeEmailNotVerified ErrorCode = "EMAIL_NOT_VERIFIED"
	// CodeAccountLocked: Too many failed attempts (HTTP 401).
	CodeAccountLocked ErrorCode = "ACCOUNT_LOCKED"

	// Authorization
	// CodeOrganizationNotActive: Organization suspended/pending (HTTP 403).
	CodeOrganizationNotActive ErrorCode = "ORGANIZATION_NOT_ACTIVE"
	// CodeNotOrganizationMember: Not a member of organization (HTTP 403).
	CodeNotOrganizationMember ErrorCode = "NOT_ORGANIZATION_MEMBER"
	// CodePlatformOwnerRequired: Platform owner access needed (HTTP 403).
	CodePlatformOwnerRequired ErrorCode = "PLATFORM_OWNER_REQUIRED"

	// Validation
	// CodeInvalidEmail: Invalid email format (HTTP 400).
	CodeInvalidEmail ErrorCode = "INVALID_EMAIL"
	// CodeWeakPassword: Password doesn't meet requirements (HTTP 400).
	CodeWeakPassword ErrorCode = "WEAK_PASSWORD"
	// CodeInvalidSlug: Invalid slug format (HTTP 400).
	CodeInvalidSlug ErrorCode = "INVALID_SLUG"
	// CodeReservedSlug: Slug is reserved (HTTP 400).
	CodeReservedSlug ErrorCode = "RESERVED_SLUG"
	// CodeSlugTooShort: Slug less than 3 characters (HTTP 400).
	CodeSlugTooShort ErrorCode = "SLUG_TOO_SHORT"
	// CodeSlugTooLong: Slug more than 50 characters (HTTP 400).
	CodeSlugTooLong ErrorCode = "SLUG_TOO_LONG"
	// CodeNameTooShort: Name less than 2 characters (HTTP 400).
	CodeNameTooShort ErrorCode = "NAME_TOO_SHORT"
	// CodeNameTooLong: Name more than 100 characters (HTTP 400).
	CodeNameTooLong ErrorCode = "NAME_TOO_LONG"
	// CodeInvalidURL: URL format invalid (HTTP 400).
	CodeInvalidURL ErrorCode = "INVALID_URL"

	// Resource
	// CodeAlreadyExists: Resource already exists (HTTP 409).
	CodeAlreadyExists ErrorCode = "ALREADY_EXISTS"
	// CodeServiceLimitExceeded: Max services for tier (HTTP 400).
	CodeServiceLimitExceeded ErrorCode = "SERVICE_LIMIT_EXCEEDED"
	// CodeTeamLimitExceeded: Max members for tier (HTTP 400).
	CodeTeamLimitExceeded ErrorCode = "TEAM_LIMIT_EXCEEDED"
	// CodeUserAlreadyExists: User with email exists (HTTP 409).
	CodeUserAlreadyExists ErrorCode = "USER_ALREADY_EXISTS"
	// CodeInvitationExpired: Invitation link expired (HTTP 400).
	CodeInvitationExpired ErrorCode = "INVITATION_EXPIRED"
	// CodeInvitationAlreadyAccepted: Invitation already used (HTTP 400).
	CodeInvitationAlreadyAccepted ErrorCode = "INVITATION_ALREADY_ACCEPTED"

	// MFA
	// CodeMFARequired: MFA verification needed (HTTP 401).
	CodeMFARequired ErrorCode = "MFA_REQUIRED"
	// CodeInvalidMFACode: Wrong TOTP or backup code (HTTP 400).
	CodeInvalidMFACode ErrorCode = "INVALID_MFA_CODE"
	// CodeMFANotEnabled: MFA not set up for user (HTTP 400).
	CodeMFANotEnabled ErrorCode = "MFA_NOT_ENABLED"
	// CodeMFAAlreadyEnabled: MFA already active (HTTP 400).
	CodeMFAAlreadyEnabled ErrorCode = "MFA_ALREADY_ENABLED"
	// CodeNoBackupCodes: No backup codes available (HTTP 400).
	CodeNoBackupCodes ErrorCode = "NO_BACKUP_CODES"

	// Device Flow
	// CodeDeviceCodeExpired: Device code expired (HTTP 400).
	CodeDeviceCodeExpired ErrorCode = "DEVICE_CODE_EXPIRED"
	// CodeDeviceCodePending: User hasn't authorized yet (HTTP 400).
	CodeDeviceCodePending ErrorCode = "DEVICE_CODE_PENDING"
	// CodeInvalidDeviceCode: Device code not found (HTTP 400).
	CodeInvalidDeviceCode ErrorCode = "INVALID_DEVICE_CODE"
	// CodeInvalidGrantType: Wrong grant_type value (HTTP 400).
	CodeInvalidGrantType ErrorCode = "INVALID_GRANT_TYPE"

	// OAuth
	// CodeOAuthError: OAuth provider error (HTTP 500).
	CodeOAuthError ErrorCode = "OAUTH_ERROR"
	// CodeOAuthStateMismatch: CSRF state mismatch (HTTP 400).
	CodeOAuthStateMismatch ErrorCode = "OAUTH_STATE_MISMATCH"
	// CodeOAuthCodeExpired: Authorization code expired (HTTP 400).
	CodeOAuthCodeExpired ErrorCode = "OAUTH_CODE_EXPIRED"
	// CodeProviderNotConfigured: OAuth provider not set up (HTTP 400).
	CodeProviderNotConfigured ErrorCode = "PROVIDER_NOT_CONFIGURED"

	// SAML
	// CodeSAMLNotConfigured: SAML not configured (HTTP 400).
	CodeSAMLNotConfigured ErrorCode = "SAML_NOT_CONFIGURED"
	// CodeInvalidSAMLResponse: SAML response invalid (HTTP 400).
	CodeInvalidSAMLResponse ErrorCode = "INVALID_SAML_RESPONSE"
	// CodeSAMLSignatureInvalid: SAML signature failed (HTTP 400).
	CodeSAMLSignatureInvalid ErrorCode = "SAML_SIGNATURE_INVALID"
	// CodeSAMLExpired: SAML assertion expired (HTTP 400).
	CodeSAMLExpired ErrorCode = "SAML_EXPIRED"

	// SCIM
	// CodeInvalidSCIMToken: SCIM token invalid/expired (HTTP 401).
	CodeInvalidSCIMToken ErrorCode = "INVALID_SCIM_TOKEN"
	// CodeSCIMUserExists: User already exists (HTTP 409).
	CodeSCIMUserExists ErrorCode = "SCIM_USER_EXISTS"
	// CodeSCIMUserNotFound: SCIM user not found (HTTP 404).
	CodeSCIMUserNotFound ErrorCode = "SCIM_USER_NOT_FOUND"
	// CodeSCIMFilterInvalid: Invalid filter syntax (HTTP 400).
	CodeSCIMFilterInvalid ErrorCode = "SCIM_FILTER_INVALID"

	// Webhook
	// CodeInvalidWebhookURL: URL not HTTP(S) (HTTP 400).
	CodeInvalidWebhookURL ErrorCode = "INVALID_WEBHOOK_URL"
	// CodeInvalidWebhookEvent: Unknown event type (HTTP 400).
	CodeInvalidWebhookEvent ErrorCode = "INVALID_WEBHOOK_EVENT"
	// CodeWebhookNameExists: Webhook name taken (HTTP 409).
	CodeWebhookNameExists ErrorCode = "WEBHOOK_NAME_EXISTS"

	// Infrastructure
	// CodeDatabaseError: Database operation failed (HTTP 500).
	CodeDatabaseError ErrorCode = "DATABASE_ERROR"
	// CodeStripeError: Billing system error (HTTP 500).
	CodeStripeError ErrorCode = "STRIPE_ERROR"
	// CodeEmailSendFailed: Email delivery failed (HTTP 500).
	CodeEmailSendFailed ErrorCode = "EMAIL_SEND_FAILED"
	// CodeEncryptionError: Encryption/decryption failed (HTTP 500).
	CodeEncryptionError ErrorCode = "ENCRYPTION_ERROR"
)

// catalog is the table behind HTTPStatus, Description and Resolution.
var catalog = map[ErrorCode]catalogEntry{
	CodeBadRequest:                {400, "General", "Invalid request parameters or malformed JSON", ""},
	CodeUnauthorized:              {401, "General", "Missing or invalid authentication", "Provide valid JWT or API key"},
	CodeForbidden:                 {403, "General", "Valid credentials but insufficient permissions", "Use account with proper role"},
	CodeNotFound:                  {404, "General", "Requested resource does not exist", "Verify ID and permissions"},
	CodeConflict:                  {409, "General", "Resource already exists or state conflict", ""},
	CodeRateLimitExceeded:         {429, "General", "Too many requests", ""},
	CodeInternalServerError:       {500, "General", "Unexpected server error", ""},
	CodeTokenExpired:              {401, "Authentication", "JWT has expired", "Refresh using /api/auth/refresh"},
	CodeJWTError:                  {401, "Authentication", "Invalid JWT signature or format", "Obtain new token"},
	CodeInvalidCredentials:        {401, "Authentication", "Wrong email or password", "Verify credentials"},
	CodeEmailNotVerified:          {401, "Authentication", "Account email not verified", "Check email for verification link"},
	CodeAccountLocked:             {401, "Authentication", "Too many failed attempts", "Wait or contact support"},
	CodeOrganizationNotActive:     {403, "Authorization", "Organization suspended/pending", "Contact platform admin"},
	CodeNotOrganizationMember:     {403, "Authorization", "Not a member of organization", "Request membership"},
	CodePlatformOwnerRequired:     {403, "Authorization", "Platform owner access needed", "Use platform owner account"},
	CodeInvalidEmail:              {400, "Validation", "Invalid email format", "Provide valid email"},
	CodeWeakPassword:              {400, "Validation", "Password doesn't meet requirements", "Use stronger password (min 8 chars)"},
	CodeInvalidSlug:               {400, "Validation", "Invalid slug format", "Use alphanumeric, hyphens, underscores only"},
	CodeReservedSlug:              {400, "Validation", "Slug is reserved", "Choose different slug"},
	CodeSlugTooShort:              {400, "Validation", "Slug less than 3 characters", "Use longer slug"},
	CodeSlugTooLong:               {400, "Validation", "Slug more than 50 characters", "Use shorter slug"},
	CodeNameTooShort:              {400, "Validation", "Name less than 2 characters", "Use longer name"},
	CodeNameTooLong:               {400, "Validation", "Name more than 100 characters", "Use shorter name"},
	CodeInvalidURL:                {400, "Validation", "URL format invalid", "Provide valid URL with http(s)"},
	CodeAlreadyExists:             {409, "Resource", "Resource already exists", "Use different identifier"},
	CodeServiceLimitExceeded:      {400, "Resource", "Max services for tier", "Upgrade tier or delete services"},
	CodeTeamLimitExceeded:         {400, "Resource", "Max members for tier", "Upgrade tier or remove members"},
	CodeUserAlreadyExists:         {409, "Resource", "User with email exists", "Use different email or login"},
	CodeInvitationExpired:         {400, "Resource", "Invitation link expired", "Request new invitation"},
	CodeInvitationAlreadyAccepted: {400, "Resource", "Invitation already used", "No action needed"},
	CodeMFARequired:               {401, "MFA", "MFA verification needed", "Complete MFA verification"},
	CodeInvalidMFACode:            {400, "MFA", "Wrong TOTP or backup code", "Enter correct code"},
	CodeMFANotEnabled:             {400, "MFA", "MFA not set up for user", "Set up MFA first"},
	CodeMFAAlreadyEnabled:         {400, "MFA", "MFA already active", "No action needed"},
	CodeNoBackupCodes:             {400, "MFA", "No backup codes available", "Regenerate backup codes"},
	CodeDeviceCodeExpired:         {400, "Device Flow", "Device code expired", "Start new device flow"},
	CodeDeviceCodePending:         {400, "Device Flow", "User hasn't authorized yet", "Continue polling"},
	CodeInvalidDeviceCode:         {400, "Device Flow", "Device code not found", "Start new device flow"},
	CodeInvalidGrantType:          {400, "Device Flow", "Wrong grant_type value", "Use correct grant type"},
	CodeOAuthError:                {500, "OAuth", "OAuth provider error", "Check provider status"},
	CodeOAuthStateMismatch:        {400, "OAuth", "CSRF state mismatch", "Restart OAuth flow"},
	CodeOAuthCodeExpired:          {400, "OAuth", "Authorization code expired", "Restart OAuth flow"},
	CodeProviderNotConfigured:     {400, "OAuth", "OAuth provider not set up", "Configure provider credentials"},
	CodeSAMLNotConfigured:         {400, "SAML", "SAML not configured", "Configure SAML settings"},
	CodeInvalidSAMLResponse:       {400, "SAML", "SAML response invalid", "Check IdP configuration"},
	CodeSAMLSignatureInvalid:      {400, "SAML", "SAML signature failed", "Verify certificates"},
	CodeSAMLExpired:               {400, "SAML", "SAML assertion expired", "Retry authentication"},
	CodeInvalidSCIMToken:          {401, "SCIM", "SCIM token invalid/expired", "Create new SCIM token"},
	CodeSCIMUserExists:            {409, "SCIM", "User already exists", "Update existing user"},
	CodeSCIMUserNotFound:          {404, "SCIM", "SCIM user not found", "Check user ID"},
	CodeSCIMFilterInvalid:         {400, "SCIM", "Invalid filter syntax", "Fix filter expression"},
	CodeInvalidWebhookURL:         {400, "Webhook", "URL not HTTP(S)", "Use http:// or https://"},
	CodeInvalidWebhookEvent:       {400, "Webhook", "Unknown event type", "Use valid event type"},
	CodeWebhookNameExists:         {409, "Webhook", "Webhook name taken", "Use different name"},
	CodeDatabaseError:             {500, "Infrastructure", "Database operation failed", "Retry; contact support if persists"},
	CodeStripeError:               {500, "Infrastructure", "Billing system error", "Check Stripe status"},
	CodeEmailSendFailed:           {500, "Infrastructure", "Email delivery failed", "Check SMTP configuration"},
	CodeEncryptionError:           {500, "Infrastructure", "Encryption/decryption failed", "Contact support"},
}
