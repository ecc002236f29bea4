package store

import (
	"context"
	"database/sql"
)

// The statements every resource write runs.
const (
	sqlInsertResource = `INSERT INTO resources (type, id, version, updated, deleted, body) VALUES (?, ?, ?, ?, 0, ?) RETURNING rid`
	sqlInsertVersion  = `INSERT INTO resource_versions (rid, version, updated, deleted, method, body) VALUES (?, ?, ?, 0, ?, ?)`
	// sqlKeepVersionBody gives the current version's row its bytes (from
	// the resource row) before a new version replaces them: see
	// versionBody.
	sqlKeepVersionBody = `UPDATE resource_versions SET body = (SELECT body FROM resources WHERE rid = ?)
		WHERE rid = ? AND version = ? AND deleted = 0 AND length(body) = 0`
)

// versionBody selects a version row's bytes. The current version's row
// holds no bytes of its own (an empty body): they are the resource row's,
// and storing them twice doubled what every create and every seeded
// resource wrote. The row gets them when a newer version replaces the
// resource row's (sqlKeepVersionBody). A deletion has no bytes either way.
const versionBody = `CASE WHEN length(v.body) = 0 THEN r.body ELSE v.body END`

// noBody is the body of a version row whose bytes are the resource row's
// (and of a deletion). Not nil: that would be NULL.
var noBody = []byte{}

// The statements of the hottest reads.
const (
	sqlRead              = `SELECT version, updated, deleted, body FROM resources WHERE type = ? AND id = ?`
	sqlReadInCompartment = `SELECT r.version, r.updated, r.deleted, r.body FROM resources r
		WHERE r.type = ? AND r.id = ? AND EXISTS (SELECT 1 FROM compartment c WHERE c.rid = r.rid AND c.patient = ?)`
	sqlReadVersion = `SELECT v.updated, v.deleted, v.method, ` + versionBody + ` FROM resource_versions v
		JOIN resources r ON r.rid = v.rid WHERE r.type = ? AND r.id = ? AND v.version = ?`
)

// readerStatements lists the reads prepared once on SQLite. The reader pool
// has several connections; database/sql prepares each statement again on
// every connection the first time it runs there.
func readerStatements() []string {
	return []string{sqlRead, sqlReadInCompartment, sqlReadVersion, sqlRevokedJTI, sqlRevokedGrant, sqlOriginRegistered, sqlAPINumber, sqlRevocationEpoch,
		sqlSetting, sqlSettingsEpoch}
}

// stmtCache keeps the SQLite writer's prepared statements. SQLite spends a
// good share of a write parsing SQL; the writer is one connection, so a
// statement prepared once serves every later transaction. PostgreSQL's
// driver caches prepared statements per connection itself.
//
// Every statement is prepared when the store opens and the map is read-only
// afterwards. Preparing later is not possible: the writer's only connection
// is held by the transaction that would need the statement, and
// database/sql prepares a new statement on a free connection first.
type stmtCache struct {
	m map[string]*sql.Stmt
}

// writerStatements lists the SQL of every statement worth preparing.
func writerStatements() []string {
	qs := []string{sqlInsertResource, sqlInsertVersion, insertAudit}
	for _, t := range indexTables {
		qs = append(qs, deleteIndexSQL(t))
	}
	for _, t := range insertTables {
		for n := maxRows; n >= 1; n /= 2 {
			qs = append(qs, insertRowsSQL(false, t, n))
		}
	}
	return qs
}

func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, qs []string) error {
	c.m = map[string]*sql.Stmt{}
	for _, q := range qs {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			c.close()
			return err
		}
		c.m[q] = st
	}
	return nil
}

func (c *stmtCache) close() {
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// txExec runs a write statement in tx, through its prepared form when there
// is one. q uses ? placeholders.
//
// On SQLite the statement does not watch ctx once it has started (see
// writeCtx); a canceled ctx stops the write before its next statement.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if s.d.postgres {
		return tx.ExecContext(ctx, s.d.rebind(q), args...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = writeCtx(ctx)
	if st, ok := s.stmts.m[q]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// txQueryRow is txExec for a statement returning one row.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if s.d.postgres {
		return tx.QueryRowContext(ctx, s.d.rebind(q), args...)
	}
	ctx = writeCtx(ctx)
	if st, ok := s.stmts.m[q]; ok {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// writeCtx is ctx for one statement of a SQLite write, without its
// cancellation. The SQLite driver watches a cancelable context with a
// goroutine of its own and a progress handler set and cleared for every
// statement; a write's statements each end in microseconds on the single
// writer, and a write once queued runs to its end anyway (see batcher.do).
func writeCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// readRow runs a one-row read on the reader pool, prepared when it is one
// of readerStatements, and scans it into dest. On SQLite the read does not
// watch ctx: each of these is an index lookup in this process that ends in
// microseconds, while a cancelable context costs two goroutines per query
// (the driver's interrupt watcher and database/sql's) on every FHIR read
// and every token check. A request that has already ended reads nothing.
func (s *Store) readRow(ctx context.Context, q string, args []any, dest ...any) error {
	if t := s.txOf(ctx); t != nil {
		return t.tx.QueryRowContext(ctx, s.d.rebind(q), args...).Scan(dest...)
	}
	if !s.d.postgres {
		if err := ctx.Err(); err != nil {
			return err
		}
		ctx = context.WithoutCancel(ctx)
	}
	if st, ok := s.rstmts.m[q]; ok {
		return st.QueryRowContext(ctx, args...).Scan(dest...)
	}
	return s.r.QueryRowContext(ctx, s.d.rebind(q), args...).Scan(dest...)
}
