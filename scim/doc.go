// Package scim provisions an organization's members and groups from its
// identity provider's directory (Okta, Microsoft Entra ID, ...) over SCIM
// 2.0: RFC 7643 (core and enterprise User, Group) and RFC 7644 (protocol),
// served with github.com/elimity-com/scim and its filter parser.
//
// An organization admin creates a SCIM token (POST
// /api/organizations/{org}/scim-tokens, "scim_..." shown once, stored as a
// SHA-256 hash); the token names the organization, and every call under
// /scim/v2 sees only that organization. SCIM needs the organization's tier
// to include the feature authos.FeatureSCIM (the default pro and
// enterprise tiers do); otherwise token creation and every SCIM call answer
// FORBIDDEN. Wrong tokens are counted per client address (Config
// FailedAuthLimit, with authos's rate limiter): over the limit the address
// gets 429 RATE_LIMIT_EXCEEDED for every call, right token or not, until
// the limit lets it try again, so the endpoint cannot be used to test
// guesses.
//
// Users are the organization's directory-managed members: the resource id
// is the account's user id and userName is the email the account is found
// or created by (an address the directory vouches for, so a new account's
// email is verified). Creating a user whose account exists makes it a
// member; the same person can be provisioned into several organizations.
// active=false suspends the membership (org routes and the organization's
// token refresh then answer FORBIDDEN) and revokes the sessions bound to
// the organization at once (every instance refuses their access tokens
// within a second); active=true restores it; DELETE ends the membership,
// removing the user from every group. The account survives DELETE when it
// has another membership or a password (its email and password stay the
// person's, and SCIM never changes them); an account with neither was
// vouched for by this directory alone and is deleted, its sessions revoked
// first so that every instance keeps refusing its access tokens. The
// password attribute is accepted and ignored, and never returned.
//
// Groups are the organization's groups with their members (users of the
// organization). An owner may map a group to a role (PATCH
// /api/organizations/{org}/scim-groups/{id} {"role": "admin"}, or
// SetGroupRole; GET .../scim-groups lists them): each member of a
// role-mapped group then has the highest role its role-mapped groups grant,
// and member once it is in none, as the directory adds and removes members
// or deletes the group. Owners keep their role; the directory never grants
// or takes ownership.
//
// Beyond the library, the package applies PATCH in the shapes Okta and
// Entra send (op in any case, path-less values with dotted keys, value
// filters such as emails[type eq "work"].value and members[value eq "id"],
// Entra's "True"/"False" strings for booleans, Entra's member removal with
// a value list that removes only the listed members), enforces userName
// uniqueness per organization (409 uniqueness, SCIM_USER_EXISTS), versions
// every resource (meta.version, ETag; If-Match on PUT/PATCH/DELETE answers
// 412 PRECONDITION_FAILED on a mismatch, If-None-Match on GET 304), sorts
// (sortBy/sortOrder), projects (attributes, excludedAttributes), reports
// itemsPerPage as the number returned, and translates filters into a typed
// store.SCIMFilter that the backends run over indexed columns with bound
// parameters (unsupported attributes and syntax errors: 400 invalidFilter,
// SCIM_FILTER_INVALID). Errors use SCIM's error schema with error_code and
// timestamp added.
package scim
