package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// The server's own token signing keys (authrec.SigningKey) are kept in the
// database so that every node signs and verifies with the same keys; the
// store is authz's KeyStore.

// LoadSigningKeys returns the keys not yet expired, newest first.
func (s *Store) LoadSigningKeys(ctx context.Context) ([]authrec.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT kid, alg, private_pem, created, not_after, COALESCE(slot, '') FROM signing_keys WHERE not_after > ? ORDER BY created DESC, kid`),
		s.now().UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.SigningKey
	for rows.Next() {
		var k authrec.SigningKey
		var created, notAfter int64
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivatePEM, &created, &notAfter, &k.Slot); err != nil {
			return nil, err
		}
		k.Created, k.NotAfter = time.UnixMicro(created).UTC(), time.UnixMicro(notAfter).UTC()
		out = append(out, k)
	}
	return out, rows.Err()
}

// SaveSigningKey stores a new key unless its kid or its slot is taken:
// the first key saved for a slot is kept and a later one is dropped
// without error, so the caller must read the keys back. Expired keys are
// deleted first; they verify nothing, and their slots may be claimed
// again after a long outage.
func (s *Store) SaveSigningKey(ctx context.Context, k authrec.SigningKey) error {
	var slot any
	if k.Slot != "" {
		slot = k.Slot
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM signing_keys WHERE not_after <= ?`), s.now().UnixMicro()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO signing_keys (kid, alg, private_pem, created, not_after, slot) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			k.KID, k.Alg, k.PrivatePEM, k.Created.UnixMicro(), k.NotAfter.UnixMicro(), slot)
		return err
	})
}
