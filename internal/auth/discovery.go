package auth

import (
	"context"
	"net/http"
	"strings"
)

// capabilities are the SMART capabilities the server has (SMART#352-371).
// permission-online: online_access gives a refresh token that works while
// the user's sign-in session lives (see refreshGrant).
var capabilities = []string{
	"launch-ehr", "launch-standalone", "authorize-post",
	"client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
	"sso-openid-connect",
	"context-banner", "context-style",
	"context-ehr-patient", "context-ehr-encounter",
	"context-standalone-patient",
	"permission-offline", "permission-online", "permission-patient", "permission-user",
	"permission-v1", "permission-v2",
}

// context-standalone-encounter is not claimed either: no page lets a user
// pick an encounter, so launch/encounter yields one only through an EHR
// launch.

// scopesSupported is the scopes_supported list: every form the server
// understands, not every combination (SMART: a server supports every scope
// it lists).
var scopesSupported = append([]string{
	"openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "offline_access", "online_access",
	"api:fhir", "api:oemr", "api:port",
	"patient/*.read", "patient/*.rs", "patient/*.cruds",
	"user/*.read", "user/*.write", "user/*.rs", "user/*.cruds",
	"system/*.read", "system/*.rs",
	"system/*.$export", "system/Patient.$export", "system/Group.$export", "system/*.$bulkdata-status",
	"patient/DocumentReference.$docref", "user/DocumentReference.$docref", "system/DocumentReference.$docref",
	"patient/Document.read", "user/Document.read", "system/Document.read",
}, categoryScopeStrings()...)

// categoryScopeStrings are the granular category scopes the consent page
// offers, in patient/ form.
func categoryScopeStrings() []string {
	out := make([]string, 0, len(categories))
	for _, c := range categories {
		out = append(out, "patient/"+c.Type+".rs?category="+c.System+"|"+c.Code)
	}
	return out
}

// authMethods and assertionAlgs are published in both discovery documents
// alike.
var (
	authMethods   = []string{AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT}
	assertionAlgs = []string{"RS384", "ES384"}
)

// grantTypes lists the grants, password only while the setting enables it.
func (s *Server) grantTypes(ctx context.Context) []string {
	gt := []string{GrantAuthorizationCode, GrantClientCredentials, GrantRefreshToken}
	if s.passwordGrantEnabled(ctx) {
		gt = append(gt, GrantPassword)
	}
	return gt
}

func (s *Server) smartConfiguration(w http.ResponseWriter, r *http.Request) {
	p := s.p
	writeDiscovery(w, map[string]any{
		"issuer":                                s.issuer,
		"jwks_uri":                              p.url(p.jwks),
		"authorization_endpoint":                p.url(p.authorize),
		"token_endpoint":                        p.url(p.token),
		"registration_endpoint":                 p.url(p.register),
		"introspection_endpoint":                p.url(p.introspect),
		"revocation_endpoint":                   p.url(p.revoke),
		"userinfo_endpoint":                     p.url(p.userinfo),
		"end_session_endpoint":                  p.url(p.logout),
		"grant_types_supported":                 s.grantTypes(r.Context()),
		"token_endpoint_auth_methods_supported": authMethods,
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"scopes_supported":                 scopesSupported,
		"response_types_supported":         []string{"code"},
		"code_challenge_methods_supported": []string{"S256"},
		"capabilities":                     capabilities,
	})
}

func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	p := s.p
	writeDiscovery(w, map[string]any{
		"issuer":                                           s.issuer,
		"authorization_endpoint":                           p.url(p.authorize),
		"token_endpoint":                                   p.url(p.token),
		"userinfo_endpoint":                                p.url(p.userinfo),
		"jwks_uri":                                         p.url(p.jwks),
		"registration_endpoint":                            p.url(p.register),
		"introspection_endpoint":                           p.url(p.introspect),
		"revocation_endpoint":                              p.url(p.revoke),
		"end_session_endpoint":                             p.url(p.logout),
		"scopes_supported":                                 scopesSupported,
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query"},
		"grant_types_supported":                            s.grantTypes(r.Context()),
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            []string{"RS256"},
		"token_endpoint_auth_methods_supported":            authMethods,
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"code_challenge_methods_supported":                 []string{"S256"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid",
			"fhirUser", "name", "preferred_username", "email"},
		"request_parameter_supported": false,
	})
}

// writeDiscovery answers a discovery document: JSON whatever the Accept
// (SMART#374), cacheable briefly since the password grant may be switched.
func writeDiscovery(w http.ResponseWriter, doc map[string]any) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, doc)
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	body, err := s.keys.JWKS(r.Context())
	if err != nil {
		s.logger.ErrorContext(r.Context(), "auth: JWKS", "err", err)
		http.Error(w, "keys unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// Short, so a new key reaches clients well before it signs anything
	// they must check.
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(body)
}

// smartStyle is the smart_style_url document (SMART "context-style"): the
// colours and dimensions an embedded app should use to look like the EHR.
func (s *Server) smartStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]string{
		"color_background":     "#f7f7f5",
		"color_error":          "#b3261e",
		"color_highlight":      "#1f6feb",
		"color_modal_backdrop": "rgba(0,0,0,0.4)",
		"color_success":        "#2e7d32",
		"color_text":           "#1f2328",
		"dim_border_radius":    "6px",
		"dim_font_size":        "14px",
		"dim_spacing_size":     "16px",
		"font_family_body":     "system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif",
		"font_family_heading":  "system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif",
	})
}

// passwordGrantEnabled reads the site setting; a failing store counts as
// off.
func (s *Server) passwordGrantEnabled(ctx context.Context) bool {
	v, err := s.store.Setting(ctx, SettingPasswordGrant)
	return err == nil && SettingOn(v)
}

// manualApproval reads the app_approval setting.
func (s *Server) manualApproval(ctx context.Context) (bool, error) {
	v, err := s.store.Setting(ctx, SettingAppApproval)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return strings.EqualFold(strings.TrimSpace(v), "manual"), nil
}
