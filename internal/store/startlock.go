package store

import (
	"context"
	"fmt"
	"hash/fnv"
)

// StartLock takes a lock named name that every node (every process) on
// the database shares, waiting while another holds it, and returns its
// release. Work that must happen once for the whole database, whichever
// node starts first (seeding the demo data), runs under it, and looks
// under it whether it was done already.
//
// On PostgreSQL it is a transaction advisory lock held by a transaction
// kept open for it: a node that dies releases it with its connection. On SQLite it is an
// exclusive lock on a file beside the database (see lockFile), released
// likewise when the process dies.
func (s *Store) StartLock(ctx context.Context, name string) (release func(), err error) {
	if !s.d.postgres {
		return lockFile(ctx, s.walPath[:len(s.walPath)-len("-wal")]+".lock-"+name)
	}
	h := fnv.New64a()
	h.Write([]byte("emp start lock " + name))
	key := int64(h.Sum64())
	// A transaction-scoped lock held by a transaction kept open until the
	// release: behind PgBouncer in transaction mode the transaction keeps
	// its server connection, where a session lock could be taken on one
	// server connection and released on another.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("store: start lock %s: %w", name, err)
	}
	return func() { tx.Rollback() }, nil
}
