package authz

import (
	"context"

	"github.com/emedpractice/emp/internal/authrec"
)

// KeyStore keeps the server's signing keys. *store.Store implements it on
// the database, so that every node of a cluster shares the keys.
type KeyStore interface {
	// LoadSigningKeys returns all keys not yet expired, newest first.
	LoadSigningKeys(ctx context.Context) ([]StoredKey, error)
	// SaveSigningKey stores a new key; saving a kid or a non-empty Slot
	// that exists keeps the stored key and drops the new one, without
	// error.
	SaveSigningKey(ctx context.Context, k StoredKey) error
}

// StoredKey is one signing key as stored (authrec's record, which the
// store reads and writes).
type StoredKey = authrec.SigningKey
