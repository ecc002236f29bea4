package auth

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// clientCreds are the credentials a token-endpoint request presents.
type clientCreds struct {
	method    string // an Auth* constant, or "" when the request names no client
	id        string
	secret    string
	assertion string
}

// readClientCreds finds how a request authenticates its client (RFC 6749
// 2.3, RFC 7523 2.2). Using two methods at once is invalid_request; an
// unknown client_assertion_type is invalid_client.
func readClientCreds(r *http.Request, form url.Values) (clientCreds, error) {
	var cr clientCreds
	n := 0
	if id, secret, ok, err := basicAuth(r); err != nil {
		return cr, err
	} else if ok {
		cr = clientCreds{method: AuthClientSecretBasic, id: id, secret: secret}
		n++
	}
	if form.Has("client_secret") {
		cr = clientCreds{method: AuthClientSecretPost, id: form.Get("client_id"), secret: form.Get("client_secret")}
		n++
	}
	if form.Has("client_assertion_type") || form.Has("client_assertion") {
		if t := form.Get("client_assertion_type"); t != assertionType {
			return cr, badClient("client_assertion_type must be %s", assertionType)
		}
		if form.Get("client_assertion") == "" {
			return cr, badClient("client_assertion is missing")
		}
		cr = clientCreds{method: AuthPrivateKeyJWT, id: form.Get("client_id"), assertion: form.Get("client_assertion")}
		n++
	}
	if n > 1 {
		return cr, badRequest(errInvalidRequest, "use one client authentication method")
	}
	if id := form.Get("client_id"); n == 1 && id != "" && cr.id != "" && id != cr.id {
		return cr, badRequest(errInvalidRequest, "client_id does not match the client credentials")
	}
	if n == 0 && form.Get("client_id") != "" {
		cr = clientCreds{method: AuthNone, id: form.Get("client_id")}
	}
	return cr, nil
}

// basicAuth reads an Authorization: Basic header. RFC 6749 2.3.1 has the
// client form-encode id and secret before base64, so both are decoded.
func basicAuth(r *http.Request) (id, secret string, ok bool, err error) {
	h := r.Header.Get("Authorization")
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if derr != nil {
		return "", "", false, badClient("malformed Basic authorization")
	}
	id, secret, found = strings.Cut(string(raw), ":")
	if !found {
		return "", "", false, badClient("malformed Basic authorization")
	}
	if v, e := url.QueryUnescape(id); e == nil {
		id = v
	}
	if v, e := url.QueryUnescape(secret); e == nil {
		secret = v
	}
	if err := formControls(map[string][]string{"client_id": {id}, "client_secret": {secret}}); err != nil {
		return "", "", false, err // before the client is looked up: NUL was a 500 on PostgreSQL
	}
	if id == "" {
		return "", "", false, badClient("malformed Basic authorization")
	}
	return id, secret, true, nil
}

// authenticateClient returns the approved client the credentials prove. A
// public client is named by client_id alone (PKCE or the refresh token binds
// what it may do); a confidential client must prove itself by its
// registered method family: a secret (Basic or post alike) or an assertion.
// audiences are the aud values an assertion may carry.
func (s *Server) authenticateClient(ctx context.Context, cr clientCreds, audiences []string) (Client, error) {
	var c Client
	var err error
	switch cr.method {
	case "":
		return Client{}, badClient("client authentication is required")
	case AuthPrivateKeyJWT:
		if c, err = s.verifyAssertion(ctx, cr.assertion, cr.id, audiences); err != nil {
			return Client{}, err
		}
	default:
		if c, err = s.lookupClient(ctx, cr.id); err != nil {
			return Client{}, err
		}
		switch {
		case cr.method == AuthNone && !c.Public():
			return Client{}, badClient("a confidential client must authenticate")
		case cr.method != AuthNone && c.Public():
			return Client{}, badClient("a public client has no secret")
		case cr.method != AuthNone && c.SecretHash == "":
			return Client{}, badClient("the client authenticates with %s", c.AuthMethod)
		case cr.method != AuthNone && !secretMatches(c.SecretHash, cr.secret):
			return Client{}, badClient("wrong client secret")
		}
	}
	if err := clientUsable(c); err != nil {
		return Client{}, err
	}
	return c, nil
}

// lookupClient loads a client, answering an unknown id as invalid_client.
func (s *Server) lookupClient(ctx context.Context, id string) (Client, error) {
	c, err := s.store.Client(ctx, id)
	if isNotFound(err) {
		return Client{}, badClient("unknown client")
	}
	return c, err
}

// clientUsable refuses clients an administrator has not approved.
func clientUsable(c Client) error {
	switch c.Status {
	case ClientApproved:
		return nil
	case ClientPending:
		return badClient("the client is waiting for an administrator's approval")
	}
	return badClient("the client is disabled")
}

func isNotFound(err error) bool { return err != nil && errs.KindOf(err) == errs.NotFound }
