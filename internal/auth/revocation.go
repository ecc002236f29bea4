package auth

import (
	"context"

	"github.com/emedpractice/emp/internal/authz"
)

// Revocations is the authz.RevocationChecker of the tokens this server
// issues: it asks the store whether a token, or its grant, was revoked.
type Revocations struct{ Store GrantStore }

// IsRevoked implements authz.RevocationChecker.
func (r Revocations) IsRevoked(ctx context.Context, c *authz.Claims) (bool, error) {
	return r.Store.Revoked(ctx, TokenRef{JTI: c.ID, Grant: c.Grant, ClientID: c.ClientID, IssuedAt: c.IssuedAt})
}
