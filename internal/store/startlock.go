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
// On PostgreSQL it is a session advisory lock on a connection kept for it:
// a node that dies releases it with its connection. On SQLite it is an
// exclusive lock on a file beside the database (see lockFile), released
// likewise when the process dies.
func (s *Store) StartLock(ctx context.Context, name string) (release func(), err error) {
	if !s.d.postgres {
		return lockFile(ctx, s.walPath[:len(s.walPath)-len("-wal")]+".lock-"+name)
	}
	h := fnv.New64a()
	h.Write([]byte("emp start lock " + name))
	key := int64(h.Sum64())
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, mapConnErr(err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: start lock %s: %w", name, mapConnErr(err))
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
		conn.Close()
	}, nil
}
