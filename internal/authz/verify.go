package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/go-jose/go-jose/v4"
)

// MaxTokenSize caps a bearer token before it is parsed: the server's own
// tokens are around a kilobyte even with every scope, and a parser should not
// be made to chew megabytes for an attacker.
const MaxTokenSize = 8 << 10

// allowedAlgs are the only JWS algorithms the verifier parses: never none,
// never an HMAC (whose "secret" an attacker could set to a public key).
var allowedAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// RevocationChecker tells whether a token was revoked: by its jti, with the
// whole grant it belongs to, or with every token of its client (a disabled
// or deleted client, up to the token's iat). RevocationCache over the store
// implements it; it is asked on every request with the verified claims.
type RevocationChecker interface {
	IsRevoked(ctx context.Context, c *Claims) (bool, error)
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	Keys     *KeyRing
	Issuer   string // the iss every token must carry
	Audience string // the FHIR base URL, which aud must contain
	// Revocation is asked for every token; nil means tokens are never
	// revoked (tests, tools).
	Revocation RevocationChecker
	Now        func() time.Time
	// Leeway tolerates clock skew between nodes on exp, nbf and iat
	// (default 30 seconds).
	Leeway time.Duration
	// CacheSize bounds the verified-token cache (default 10000 tokens;
	// negative disables the cache).
	CacheSize int
}

// Verifier authenticates requests by their bearer token.
type Verifier struct {
	cfg   VerifierConfig
	cache *tokenCache
}

// NewVerifier builds a verifier. Keys, Issuer and Audience are required;
// their absence is a wiring mistake and panics.
func NewVerifier(cfg VerifierConfig) *Verifier {
	if cfg.Keys == nil || cfg.Issuer == "" || cfg.Audience == "" {
		panic("authz: NewVerifier needs Keys, Issuer and Audience")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 10000
	}
	return &Verifier{cfg: cfg, cache: newTokenCache(cfg.CacheSize)}
}

// Authenticate reads the bearer token of the request's Authorization header
// (scheme case-insensitive) and verifies it. Failures are *errs.Error of kind
// Unauthorized with a message safe to show the client; the cause is wrapped
// for the log. A failing revocation store is an internal error, not the
// client's fault.
func (v *Verifier) Authenticate(r *http.Request) (*Principal, error) {
	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		// No usable bearer credentials (RFC 6750 3.1: no error code).
		return nil, errs.E(errs.Unauthorized, "missing bearer token")
	}
	return v.Verify(r.Context(), tok)
}

func bearerToken(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok := strings.TrimSpace(rest)
	if tok == "" || strings.IndexByte(tok, ' ') >= 0 || strings.IndexByte(tok, '\t') >= 0 {
		return "", false
	}
	return tok, true
}

// Verify checks one access token. The returned Principal may be shared with
// other requests presenting the same token: do not modify it.
func (v *Verifier) Verify(ctx context.Context, token string) (*Principal, error) {
	if len(token) > MaxTokenSize {
		return nil, unauthorized(CauseMalformed, fmt.Errorf("token of %d bytes, over %d", len(token), MaxTokenSize))
	}
	now := v.cfg.Now()
	p, ok := v.cache.get(token, now)
	if !ok {
		var err error
		if p, err = v.verify(ctx, token, now); err != nil {
			return nil, err
		}
		v.cache.put(token, p, p.Expiry.Add(v.cfg.Leeway), now)
	}
	if v.cfg.Revocation != nil {
		revoked, err := v.cfg.Revocation.IsRevoked(ctx, &p.Claims)
		if err != nil {
			return nil, fmt.Errorf("revocation check: %w", err)
		}
		if revoked {
			return nil, unauthorized(CauseRevoked, errors.New("the token or its grant is revoked"))
		}
	}
	return p, nil
}

// verify does the work the cache saves: parsing, signature and claims.
func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Principal, error) {
	jws, err := jose.ParseSignedCompact(token, allowedAlgs)
	if err != nil {
		return nil, unauthorized(CauseMalformed, err)
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !isAccessTokenType(typ) {
		return nil, unauthorized(CauseMalformed, fmt.Errorf("header typ %q is not at+jwt", typ))
	}
	k, err := v.cfg.Keys.verifyKey(ctx, h.KeyID)
	if errors.Is(err, errUnknownKey) {
		return nil, unauthorized(CauseSignature, fmt.Errorf("kid %q: %w", h.KeyID, err))
	}
	if err != nil {
		return nil, err
	}
	if h.Algorithm != k.alg {
		return nil, unauthorized(CauseSignature, fmt.Errorf("alg %s does not match key %s (%s)", h.Algorithm, k.kid, k.alg))
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return nil, unauthorized(CauseSignature, err)
	}
	c, err := unmarshalClaims(payload, v.cfg.Audience)
	if err != nil {
		return nil, unauthorized(CauseMalformed, err)
	}
	leeway := v.cfg.Leeway
	switch {
	case c.Issuer != v.cfg.Issuer:
		return nil, unauthorized(CauseIssuer, fmt.Errorf("issuer %q", c.Issuer))
	case c.Audience != v.cfg.Audience:
		return nil, unauthorized(CauseAudience, fmt.Errorf("audience %q", c.Audience))
	case !now.Before(c.Expiry.Add(leeway)):
		return nil, unauthorized(CauseExpired, fmt.Errorf("expired at %v", c.Expiry))
	case !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore):
		return nil, unauthorized(CauseNotYetValid, fmt.Errorf("nbf %v", c.NotBefore))
	case now.Add(leeway).Before(c.IssuedAt):
		return nil, unauthorized(CauseNotYetValid, fmt.Errorf("iat %v in the future", c.IssuedAt))
	case c.ID == "" || c.Subject == "":
		return nil, unauthorized(CauseMalformed, errors.New("jti and sub are required"))
	case !validRole(c.Role):
		return nil, unauthorized(CauseMalformed, fmt.Errorf("unknown role %q", c.Role))
	}
	scopes, err := scope.ParseList(c.Scope)
	if err != nil {
		return nil, unauthorized(CauseMalformed, err)
	}
	return &Principal{Claims: c, Scopes: scopes}, nil
}

// isAccessTokenType accepts the RFC 9068 access-token type, so an id_token
// (typ JWT) signed by the same server is never taken for an access token.
func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")
}

// Why a presented token was refused: the client's message and RFC 6750's
// error_description. Each names the cause without saying more than the
// token's holder can see in it; the detail (which issuer, which key) is in
// the wrapped error, for the log and the audit trail.
const (
	CauseMalformed   = "malformed access token"
	CauseSignature   = "access token signature does not verify"
	CauseIssuer      = "access token from another issuer"
	CauseAudience    = "access token for another audience"
	CauseExpired     = "access token expired"
	CauseNotYetValid = "access token not yet valid"
	CauseRevoked     = "access token revoked"
)

// refusal marks a presented token refused for cause, so that the faces'
// challenge can say invalid_token and why (see Challenge).
type refusal struct {
	cause string
	err   error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func unauthorized(cause string, err error) *errs.Error {
	return &errs.Error{Kind: errs.Unauthorized, Message: cause, Err: &refusal{cause: cause, err: err}}
}

// Challenge is the WWW-Authenticate value of a 401 answered for err under
// realm (RFC 6750 3): error="invalid_token" and the cause when a token was
// presented and refused, the bare realm when the request carried none
// (3.1: no error code then).
func Challenge(realm string, err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return `Bearer realm="` + realm + `", error="invalid_token", error_description="` + r.cause + `"`
	}
	return `Bearer realm="` + realm + `"`
}

// RefusalCause is the cause of a refused token (one of the Cause
// constants), or "" when err is not such a refusal.
func RefusalCause(err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return r.cause
	}
	return ""
}
