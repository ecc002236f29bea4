package auth

import "context"

// Revocations is the authz.RevocationChecker of the tokens this server
// issues: it asks the store whether a token, or its grant, was revoked.
type Revocations struct{ Store GrantStore }

// IsRevoked implements authz.RevocationChecker.
func (r Revocations) IsRevoked(ctx context.Context, jti, grant string) (bool, error) {
	return r.Store.Revoked(ctx, jti, grant)
}
