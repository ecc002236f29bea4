package auth

import (
	"context"

	"github.com/emedpractice/emp/internal/authz"
)

// storageRevocations asks the storage about every token: the gate's
// revocation check when Config.Revocation is nil. The server passes
// authz.RevocationCache instead, which keeps the store's answers while no
// revocation happened.
type storageRevocations struct{ store GrantStore }

// IsRevoked implements authz.RevocationChecker.
func (r storageRevocations) IsRevoked(ctx context.Context, c *authz.Claims) (bool, error) {
	return r.store.Revoked(ctx, TokenRef{JTI: c.ID, Grant: c.Grant, ClientID: c.ClientID, IssuedAt: c.IssuedAt})
}
