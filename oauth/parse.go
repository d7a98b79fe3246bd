package oauth

import (
	"errors"
	"fmt"
	"strings"
)

// ParseOIDCProviders parses the AUTHOS_OIDC_PROVIDERS format: entries
// "name=issuer,client_id,client_secret" separated by ";" (the secret may
// be empty for a public client). Names are 1 to 32 lower-case letters,
// digits or dashes, starting with a letter, and not a built-in provider's.
func ParseOIDCProviders(s string) ([]OIDCProvider, error) {
	var out []OIDCProvider
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, rest, ok := strings.Cut(entry, "=")
		parts := strings.Split(rest, ",")
		if !ok || len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("oauth: OIDC provider %d: want name=issuer,client_id,client_secret", i+1)
		}
		p := OIDCProvider{Name: strings.TrimSpace(name), Issuer: strings.TrimSpace(parts[0]),
			Credentials: Credentials{ClientID: strings.TrimSpace(parts[1])}}
		if len(parts) == 3 {
			p.ClientSecret = strings.TrimSpace(parts[2])
		}
		switch {
		case !nameRE.MatchString(p.Name) || builtIn(p.Name):
			return nil, fmt.Errorf("oauth: OIDC provider %d: the name must be 1 to 32 lower-case letters, digits or dashes, and not github, google or microsoft", i+1)
		case seen[p.Name]:
			return nil, fmt.Errorf("oauth: OIDC provider %s is listed twice", p.Name)
		case checkIssuer(p.Issuer) != nil:
			return nil, fmt.Errorf("oauth: OIDC provider %s: the issuer must be an absolute http(s) URL", p.Name)
		case p.ClientID == "":
			return nil, errors.New("oauth: OIDC provider " + p.Name + " has no client id")
		}
		seen[p.Name] = true
		out = append(out, p)
	}
	return out, nil
}
