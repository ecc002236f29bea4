package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/loginthrottle"
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

// clientAuthFailed is the one answer to credentials that do not prove a
// client (RFC 6749 5.2 invalid_client): an unknown client id, a wrong
// secret, a bad assertion and a method the client did not register all
// read the same, so the answer tells no one which ids exist. The log has
// the reason.
const clientAuthFailed = "client authentication failed"

// authenticateClient returns the approved client the credentials prove. A
// public client is named by client_id alone (PKCE or the refresh token binds
// what it may do); a confidential client must prove itself by its
// registered method family: a secret (Basic or post alike) or an assertion.
// audiences are the aud values an assertion may carry.
//
// Proofs are throttled per client id and per address (loginthrottle):
// after a few failures each further attempt must wait, doubling; while it
// waits the request is refused with 429, Retry-After and invalid_client,
// before the credentials are looked at. A public client has no secret to
// guess and is not counted.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, cr clientCreds, audiences []string) (Client, error) {
	if cr.method == "" {
		return Client{}, badClient("client authentication is required")
	}
	var keys []loginthrottle.Key
	counted := false
	if cr.method != AuthNone {
		keys = []loginthrottle.Key{loginthrottle.Client(cr.id), loginthrottle.Address(s.clientIP(r))}
		var wait time.Duration
		var err error
		if wait, counted, err = s.throttle.Check(ctx, keys...); err != nil {
			return Client{}, err
		}
		if wait > 0 {
			e := oauthErr(errInvalidClient, errs.TooMany, "too many failed client authentications; retry after %s", loginthrottle.Words(wait))
			e.RetryAfter = wait
			return Client{}, e
		}
	}
	c, err := s.proveClient(ctx, cr, audiences)
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) || oe.Code != errInvalidClient {
			return Client{}, err
		}
		if len(keys) > 0 {
			if _, err := s.throttle.Failed(throttleContext(r), keys...); err != nil {
				return Client{}, err
			}
		}
		return Client{}, badClient(clientAuthFailed).withCause(oe)
	}
	if counted {
		if err := s.throttle.Succeeded(ctx, keys[0]); err != nil {
			return Client{}, err
		}
	}
	if err := clientUsable(c); err != nil {
		return Client{}, err
	}
	return c, nil
}

// proveClient checks the credentials and returns the client they prove,
// whatever its status.
func (s *Server) proveClient(ctx context.Context, cr clientCreds, audiences []string) (Client, error) {
	if cr.method == AuthPrivateKeyJWT {
		return s.verifyAssertion(ctx, cr.assertion, cr.id, audiences)
	}
	c, err := s.lookupClient(ctx, cr.id)
	if err != nil {
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
