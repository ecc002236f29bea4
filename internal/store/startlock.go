package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
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
	// server connection and released on another. A node waiting for the
	// lock tries again and again rather than wait inside a transaction:
	// behind PgBouncer each waiter would hold one of its few server
	// connections, and with as many nodes waiting as the pool has, the
	// holder could not get one to do the work it holds the lock for.
	wait := startLockFirstWait
	for {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		var got bool
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, key).Scan(&got); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("store: start lock %s: %w", name, err)
		}
		if got {
			return func() { tx.Rollback() }, nil
		}
		tx.Rollback()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, startLockMaxWait)
	}
}

// A node waiting for the start lock tries again after startLockFirstWait,
// then after twice as long each time, up to startLockMaxWait: the work
// done under it takes from milliseconds (a key made) to minutes (the demo
// data loaded).
const (
	startLockFirstWait = 10 * time.Millisecond
	startLockMaxWait   = 500 * time.Millisecond
)
