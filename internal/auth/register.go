package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/scope"
)

// ClientMetadata is a client registration (RFC 7591 2), as sent to the
// registration endpoint and as the operator's tools build it.
type ClientMetadata struct {
	ClientName              string   `json:"client_name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	JWKSURI                 string   `json:"jwks_uri,omitempty"`
	// JWKS is the key set by value: an object, or (as OpenEMR accepts) a
	// string holding one.
	JWKS             json.RawMessage `json:"jwks,omitempty"`
	InitiateLoginURI string          `json:"initiate_login_uri,omitempty"`
	LogoURI          string          `json:"logo_uri,omitempty"`
	Contacts         []string        `json:"contacts,omitempty"`
	// ApplicationType "private" asks for a confidential client when no
	// token_endpoint_auth_method is given (OpenEMR's convention); anything
	// else then makes a public one.
	ApplicationType string `json:"application_type,omitempty"`
}

// Registered is the answer to a registration: the client's id, its secret
// (shown once, never stored), and the metadata as registered.
type Registered struct {
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
	ClientMetadata
	// Status says whether the client may be used yet (pending until an
	// administrator approves it). Not an RFC 7591 field.
	Status ClientStatus `json:"status"`
}

// registerClient is POST /connect/register (RFC 7591). Anyone may register;
// what the client may do waits for an administrator when it asks for user/
// or system/ scopes or an EHR launch, or when the site approves every app
// by hand (app_approval=manual). Patient standalone apps are approved at once
// otherwise, as ONC's information-blocking rule expects.
func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.writeOAuthError(w, r, badRequest(errInvalidClientMetadata, "the body must be application/json"))
		return
	}
	var md ClientMetadata
	if err := decodeMetadata(r.Body, &md); err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	reg, err := s.Register(r.Context(), md, false)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, reg)
}

// Register validates and stores a client. byOperator marks a client the
// operator added (emp client add): it is approved at once.
func (s *Server) Register(ctx context.Context, md ClientMetadata, byOperator bool) (Registered, error) {
	c, md, err := s.checkMetadata(md)
	if err != nil {
		return Registered{}, err
	}
	c.Status = ClientApproved
	if !byOperator {
		if c.Status, err = s.approvalFor(ctx, c); err != nil {
			return Registered{}, err
		}
	}
	if c.ID, err = s.rand.id(); err != nil {
		return Registered{}, err
	}
	reg := Registered{ClientID: c.ID, ClientMetadata: md, Status: c.Status}
	if c.AuthMethod == AuthClientSecretBasic || c.AuthMethod == AuthClientSecretPost {
		if reg.ClientSecret, err = s.rand.secret(); err != nil {
			return Registered{}, err
		}
		c.SecretHash = HashSecret(reg.ClientSecret)
		never := int64(0)
		reg.ClientSecretExpiresAt = &never
	}
	c.CreatedAt = s.now()
	reg.ClientIDIssuedAt = c.CreatedAt.Unix()
	if err := s.store.CreateClient(ctx, c); err != nil {
		return Registered{}, err
	}
	return reg, nil
}

// approvalFor decides whether a self-registered client may be used at once.
func (s *Server) approvalFor(ctx context.Context, c Client) (ClientStatus, error) {
	manual, err := s.manualApproval(ctx)
	if err != nil {
		return "", err
	}
	if manual {
		return ClientPending, nil
	}
	scopes, _ := scope.ParseListLenient(c.Scope)
	for sc := range scopes.All() {
		if sc.Context == scope.User || sc.Context == scope.System || (sc.Target == scope.NonResource && sc.Name == scope.Launch) {
			return ClientPending, nil
		}
	}
	return ClientApproved, nil
}

// checkMetadata turns registration metadata into a client, applying the
// defaults and the rules, and returns the metadata as registered (unknown
// scopes dropped, defaults filled in). Each field group has its own check,
// in this order: a later group's rules depend on what an earlier one
// settled (the authentication method decides which grants and scopes are
// allowed).
func (s *Server) checkMetadata(md ClientMetadata) (Client, ClientMetadata, error) {
	c := Client{Name: strings.TrimSpace(md.ClientName), LogoURI: md.LogoURI, Contacts: md.Contacts}
	for _, check := range []func(*Client, *ClientMetadata) error{
		checkClientName, checkAuthMethodAndKeys, checkGrantTypes, checkClientURIs, checkClientScopes,
	} {
		if err := check(&c, &md); err != nil {
			return c, md, err
		}
	}
	return c, md, nil
}

// badMetadata is an invalid_client_metadata refusal.
func badMetadata(format string, args ...any) error {
	return badRequest(errInvalidClientMetadata, format, args...)
}

// checkClientName bounds the client's name.
func checkClientName(c *Client, md *ClientMetadata) error {
	if len(c.Name) > 200 {
		return badMetadata("client_name is longer than 200 characters")
	}
	return nil
}

// checkAuthMethodAndKeys settles token_endpoint_auth_method (by default
// private_key_jwt with keys, client_secret_basic for a private application,
// else none) and the keys, which only a private_key_jwt client has: jwks by
// value or an https jwks_uri, not both.
func checkAuthMethodAndKeys(c *Client, md *ClientMetadata) error {
	jwks, err := normaliseJWKS(md.JWKS)
	if err != nil {
		return badMetadata("jwks: %v", err)
	}
	hasKeys := jwks != "" || md.JWKSURI != ""
	switch md.TokenEndpointAuthMethod {
	case AuthNone, AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT:
		c.AuthMethod = md.TokenEndpointAuthMethod
	case "":
		c.AuthMethod = defaultAuthMethod(hasKeys, md.ApplicationType)
	default:
		return badMetadata("token_endpoint_auth_method %q is not supported", md.TokenEndpointAuthMethod)
	}
	md.TokenEndpointAuthMethod = c.AuthMethod

	switch {
	case jwks != "" && md.JWKSURI != "":
		return badMetadata("send jwks or jwks_uri, not both")
	case c.AuthMethod == AuthPrivateKeyJWT && !hasKeys:
		return badMetadata("private_key_jwt needs jwks or jwks_uri")
	case c.AuthMethod != AuthPrivateKeyJWT && hasKeys:
		return badMetadata("jwks and jwks_uri are only for private_key_jwt clients")
	}
	if md.JWKSURI != "" {
		if err := checkHTTPSURL(md.JWKSURI, false); err != nil {
			return badMetadata("jwks_uri: %v", err)
		}
	}
	c.JWKS, c.JWKSURI = jwks, md.JWKSURI
	if jwks != "" {
		md.JWKS = json.RawMessage(jwks)
	}
	return nil
}

// defaultAuthMethod is the authentication method of a client that named
// none.
func defaultAuthMethod(hasKeys bool, applicationType string) string {
	switch {
	case hasKeys:
		return AuthPrivateKeyJWT
	case applicationType == "private":
		return AuthClientSecretBasic
	default:
		return AuthNone
	}
}

// checkGrantTypes settles the grant types (by default client_credentials
// for a private_key_jwt client without redirect URIs, else
// authorization_code) and the response types (only code).
func checkGrantTypes(c *Client, md *ClientMetadata) error {
	if len(md.GrantTypes) == 0 {
		if c.AuthMethod == AuthPrivateKeyJWT && len(md.RedirectURIs) == 0 {
			md.GrantTypes = []string{GrantClientCredentials}
		} else {
			md.GrantTypes = []string{GrantAuthorizationCode}
		}
	}
	for _, g := range md.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantPassword:
		case GrantClientCredentials:
			if c.AuthMethod != AuthPrivateKeyJWT {
				return badMetadata("client_credentials needs private_key_jwt (jwks or jwks_uri)")
			}
		default:
			return badMetadata("grant type %q is not supported", g)
		}
	}
	c.GrantTypes = slices.Clone(md.GrantTypes)
	if len(md.ResponseTypes) == 0 && slices.Contains(c.GrantTypes, GrantAuthorizationCode) {
		md.ResponseTypes = []string{"code"}
	}
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			return badMetadata("response type %q is not supported (only code)", rt)
		}
	}
	return nil
}

// checkClientURIs checks the redirect URIs (required for the code grant),
// the post-logout redirect URIs, the SMART launch URI and the logo.
func checkClientURIs(c *Client, md *ClientMetadata) error {
	if slices.Contains(c.GrantTypes, GrantAuthorizationCode) && len(md.RedirectURIs) == 0 {
		return badRequest(errInvalidRedirectURI, "redirect_uris is required for the authorization_code grant")
	}
	for _, u := range md.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return badRequest(errInvalidRedirectURI, "redirect_uri %q: %v", u, err)
		}
	}
	for _, u := range md.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return badRequest(errInvalidRedirectURI, "post_logout_redirect_uri %q: %v", u, err)
		}
	}
	c.RedirectURIs, c.PostLogoutRedirectURIs = slices.Clone(md.RedirectURIs), slices.Clone(md.PostLogoutRedirectURIs)
	if md.InitiateLoginURI != "" {
		if err := checkHTTPSURL(md.InitiateLoginURI, true); err != nil {
			return badMetadata("initiate_login_uri: %v", err)
		}
		c.LaunchURI = md.InitiateLoginURI
	}
	if md.LogoURI != "" {
		if err := checkHTTPSURL(md.LogoURI, false); err != nil {
			return badMetadata("logo_uri: %v", err)
		}
	}
	return nil
}

// checkClientScopes keeps the scopes the server knows; a public client may
// hold no user/ or system/ scopes, and system/ scopes need private_key_jwt.
func checkClientScopes(c *Client, md *ClientMetadata) error {
	scopes, _ := scope.ParseListLenient(md.Scope)
	if scopes.Len() == 0 {
		return badMetadata("scope is required: list the scopes the client may ask for")
	}
	for sc := range scopes.All() {
		switch {
		case c.Public() && (sc.Context == scope.User || sc.Context == scope.System):
			return badMetadata("a public client may not hold user/ or system/ scopes (%s)", sc)
		case sc.Context == scope.System && c.AuthMethod != AuthPrivateKeyJWT:
			return badMetadata("system/ scopes need a private_key_jwt client (%s)", sc)
		}
	}
	c.Scope = scopes.String()
	md.Scope = c.Scope
	return nil
}

// normaliseJWKS checks a key set sent by value and returns it as compact
// JSON ("" when none was sent).
func normaliseJWKS(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var inner string
		if err := json.Unmarshal(raw, &inner); err != nil {
			return "", err
		}
		raw = json.RawMessage(inner)
	}
	keys, err := parseJWKS(raw)
	if err != nil {
		return "", err
	}
	if err := checkClientJWKS(keys); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}
