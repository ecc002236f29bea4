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
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT kid, alg, private_pem, created, not_after FROM signing_keys WHERE not_after > ? ORDER BY created DESC, kid`),
		s.now().UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.SigningKey
	for rows.Next() {
		var k authrec.SigningKey
		var created, notAfter int64
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivatePEM, &created, &notAfter); err != nil {
			return nil, err
		}
		k.Created, k.NotAfter = time.UnixMicro(created).UTC(), time.UnixMicro(notAfter).UTC()
		out = append(out, k)
	}
	return out, rows.Err()
}

// SaveSigningKey stores a new key. Saving a kid twice keeps the first.
func (s *Store) SaveSigningKey(ctx context.Context, k authrec.SigningKey) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO signing_keys (kid, alg, private_pem, created, not_after) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING`),
			k.KID, k.Alg, k.PrivatePEM, k.Created.UnixMicro(), k.NotAfter.UnixMicro())
		return err
	})
}
