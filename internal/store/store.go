package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"           // SQLite driver "sqlite"
)

// SetLocalBases replaces Options.LocalBases, for a server that learns its
// base URL from the database it has just opened. Call it before the store
// serves writes: it is not synchronised with them.
func (s *Store) SetLocalBases(bases ...string) { s.local = search.NewLocalBases(bases...) }

// Options configure a Store. Zero values pick the defaults.
type Options struct {
	Now    func() time.Time // clock; time.Now by default
	Rand   io.Reader        // source of new ids; crypto/rand by default
	Logger *slog.Logger

	// MaxReaders caps the SQLite reader pool (default 8) and
	// the PostgreSQL pool (DefaultPostgresConns): the connections this
	// node opens at most, which with the other nodes' must fit within
	// PostgreSQL's max_connections (docs/operations.md).
	MaxReaders int

	// BatchSize caps how many SQLite writes share one commit (default 256).
	BatchSize int

	// LocalBases are the absolute base URLs of this server's FHIR face
	// (its base URL and aliases): an absolute reference under one of them
	// is to a resource here; any other is external, for search, _include
	// and the patient compartment alike.
	LocalBases []string
	// AuditSpool is the node's local file for audit events the database
	// could not take (an outage); see auditSpool. Without it, failed
	// audit batches are kept in memory and retried. AuditSpoolMax bounds
	// the file (DefaultAuditSpoolMax when zero).
	AuditSpool    string
	AuditSpoolMax int64
	// SearchTimeout bounds the statements of one Search
	// (DefaultSearchTimeout when zero); see searchContext.
	SearchTimeout time.Duration

	// Replicas are PostgreSQL streaming standbys of the database, for the
	// reads that may be a little behind (see replica.go); ReplicaMaxLag
	// bounds how far (DefaultReplicaMaxLag when zero).
	Replicas      []string
	ReplicaMaxLag time.Duration
	// ReadOnly opens the database without changing it, for commands that
	// only read and may run against a hot standby: the schema is checked,
	// not migrated, and nothing is backfilled.
	ReadOnly bool

	// ReadCacheBytes bounds the read cache of current resource versions
	// (PostgreSQL only; see read_cache.go); zero turns it off.
	ReadCacheBytes int64
}

// DefaultPostgresConns is the PostgreSQL pool of a node when the operator
// does not size it (--db-max-conns): with the default max_connections of
// 100, four nodes and room for maintenance.
const DefaultPostgresConns = 20

// Store is the resource store. It is safe for concurrent use.
type Store struct {
	d       dialect
	r       *sql.DB // readers
	w       *sql.DB // the writer (SQLite: one connection); the same pool as r on PostgreSQL
	now     func() time.Time
	rand    io.Reader
	log     *slog.Logger
	local   search.LocalBases // see Options.LocalBases and SetLocalBases
	params  *paramIDs
	batch   *batcher  // SQLite group commit; nil on PostgreSQL
	group   *batcher  // PostgreSQL group commit of creates; nil on SQLite (see writeCreateRow)
	updates *batcher  // PostgreSQL group commit of updates; nil on SQLite (see writeReplace)
	stmts   stmtCache // the SQLite writer's
	rstmts  stmtCache // the SQLite readers'
	// valuePlan, when not nil, is the first argument of a query planned for
	// its values (see valuePlanned).
	valuePlan any
	// sqliteDSN opens another connection to the same SQLite database.
	sqliteDSN string
	// copier, set during a bulk load on SQLite, copies the log on a
	// second connection (see walCopier).
	copier atomic.Pointer[walCopier]
	// walPath is the SQLite write-ahead log file, which the writer
	// measures during a bulk load (see walCopier).
	walPath string
	// walCopyBytes replaces walCopyLimit when set (tests).
	walCopyBytes int64

	// replica answers the reads that may be a little behind: a streaming
	// replica when one is configured and may answer, else r.
	replica *replicaSet

	audit *auditBuffer
	// localRevocations counts revocations written through this Store (see
	// LocalRevocations).
	localRevocations atomic.Uint64
	// localSettings counts setting changes written through this Store
	// (see LocalSettingChanges).
	localSettings atomic.Uint64

	searchTimeout time.Duration
	readers       int // the size of the reader pool
	shares        *SearchShares
	// searchHook, set by tests, runs at the start of every search with its
	// bounded context (a statement that never ends, to see it stopped).
	searchHook func(ctx context.Context) error
	// auditHook, set by tests, runs in every audit batch's transaction: an
	// error stands for a database that cannot be reached.
	auditHook atomic.Pointer[func() error]

	// readCache, on PostgreSQL when Options.ReadCacheBytes is set, answers
	// Read; cachePoller keeps it coherent; ownWrites holds the resources
	// each open write changes (read_cache*.go).
	readCache   *readCache
	cachePoller *cachePoller
	ownWrites   ownWrites

	closeOnce sync.Once
}

// Open opens (and creates or migrates) the database named by dsn: a
// postgres:// or postgresql:// URL, or a SQLite file path (optionally with a
// file: prefix).
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 256
	}
	if opt.SearchTimeout <= 0 {
		opt.SearchTimeout = DefaultSearchTimeout
	}
	s := &Store{now: opt.Now, rand: opt.Rand, log: opt.Logger, searchTimeout: opt.SearchTimeout,
		local: search.NewLocalBases(opt.LocalBases...)}
	var err error
	if IsPostgres(dsn) {
		err = s.openPostgres(dsn, opt)
	} else {
		err = s.openSQLite(dsn, opt)
	}
	if err != nil {
		return nil, err
	}
	s.shares = newSearchShares(s.readers)
	if err := s.w.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if opt.ReadOnly {
		err = s.checkSchema(ctx)
	} else {
		err = s.migrate(ctx)
	}
	if err != nil {
		s.closeDBs()
		return nil, err
	}
	s.params = newParamIDs()
	if err := s.params.load(ctx, s); err != nil {
		s.closeDBs()
		return nil, err
	}
	if opt.ReadOnly {
		s.audit = newAuditBuffer(s, nil)
		return s, nil
	}
	if !s.d.postgres {
		if err := s.stmts.prepare(ctx, s.w, writerStatements()); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
		if err := s.rstmts.prepare(ctx, s.r, readerStatements()); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
		s.batch = newBatcher(s.w, batchOptions{max: opt.BatchSize, isolate: savepoints}, s.log)
		if err := s.restoreDeferredIndexes(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
	} else {
		s.group = s.newCreateGroup(createGroupRunners)
		s.updates = s.newUpdateGroup(createGroupRunners)
	}
	if err := s.backfillIndexes(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.dropSharedRows(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.EnsureAuditPartitions(ctx); err != nil {
		s.Close()
		return nil, err
	}
	var spool *auditSpool
	if opt.AuditSpool != "" {
		if spool, err = openAuditSpool(opt.AuditSpool, opt.AuditSpoolMax); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.audit = newAuditBuffer(s, spool)
	if spool != nil && spool.active() {
		// What a process that died during an outage left goes into the
		// database before this node serves (or, if the database is away
		// again, at the next flush).
		s.audit.flush()
	}
	s.startReadCache(opt)
	return s, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func (s *Store) openPostgres(dsn string, opt Options) error {
	s.d = dialect{name: "postgres", postgres: true}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	// Statements are prepared once per connection and PostgreSQL may keep a
	// generic plan for them after five runs: planning a create's statement
	// cost as much as running it. Searches, whose best plan depends on their
	// values (one patient's records or a whole category), are planned for
	// their own values every time instead (see valuePlanned).
	cfg.RuntimeParams["plan_cache_mode"] = "auto"
	if cfg.DefaultQueryExecMode == pgx.QueryExecModeCacheStatement {
		// The other modes prepare nothing that outlives a query (as
		// behind a pooler), so every query is planned for its values.
		s.valuePlan = pgx.QueryExecModeCacheDescribe
	}
	// Every error of the driver passes through mapConnErr, so an
	// unreachable database is errs.Unavailable (503) wherever it shows.
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	n := opt.MaxReaders
	if n <= 0 {
		n = DefaultPostgresConns
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.readers = n
	s.r, s.w = db, db
	s.replica = newReplicaSet(db, opt.Now, opt.ReplicaMaxLag, opt.Logger)
	for _, dsn := range opt.Replicas {
		if !IsPostgres(dsn) {
			s.replica.close()
			db.Close()
			return fmt.Errorf("store: a replica must be a postgres:// URL")
		}
		r, err := openReplica(dsn, n)
		if err != nil {
			s.replica.close()
			db.Close()
			return err
		}
		s.replica.replicas = append(s.replica.replicas, r)
	}
	return nil
}

func (s *Store) openSQLite(dsn string, opt Options) error {
	s.d = dialect{name: "sqlite"}
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return errors.New("store: SQLite needs a file path (an in-memory database cannot be shared by the reader pool)")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store: create %s: %w", dir, err)
		}
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(0)"
	// FULL makes every commit durable; group commit (see batcher) spreads
	// the fsync over many writes.
	// The writer keeps a large page cache so that a big transaction does
	// not spill, and statement journals in memory. Its sorts (building the
	// indexes a bulk load set aside) may use a helper thread.
	w, err := sql.Open("sqlite", base+"&_pragma=synchronous(FULL)&_pragma=cache_size("+writerCacheSize+")&_pragma=temp_store(2)&_pragma=threads(2)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)&_pragma=cache_size(-32000)")
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	n := opt.MaxReaders
	if n <= 0 {
		n = 8
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.readers = n
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r, s.w = r, w
	if len(opt.Replicas) > 0 {
		r.Close()
		w.Close()
		return errors.New("store: read replicas need PostgreSQL")
	}
	s.replica = newReplicaSet(r, opt.Now, 0, opt.Logger)
	s.sqliteDSN = base
	s.walPath = path + "-wal"
	return nil
}

// Dialect names the database in use: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Ping checks that the database answers (the readiness probe).
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// Close flushes buffered audit events and closes the database.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stopReadCache()
		if s.audit != nil {
			s.audit.close()
		}
		if s.batch != nil {
			s.batch.close()
		}
		if s.group != nil {
			s.group.close()
		}
		if s.updates != nil {
			s.updates.close()
		}
		s.stmts.close()
		s.rstmts.close()
		err = s.closeDBs()
	})
	return err
}

func (s *Store) closeDBs() error {
	err := s.replica.close()
	if e := s.w.Close(); err == nil {
		err = e
	}
	if s.r != s.w {
		if e := s.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// write runs fn in a write transaction. On SQLite the transaction is shared
// with other concurrent writes (group commit), each isolated by a savepoint,
// so fn must touch the database only through tx. On PostgreSQL each write has
// its own transaction and is retried on serialization failures.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.refuseWriteInTx(ctx); err != nil {
		return err
	}
	if s.batch != nil {
		return s.batch.do(ctx, fn)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.writeOnce(ctx, fn)
		if !isRetryable(err) {
			break
		}
	}
	if err == nil {
		s.replica.wrote(ctx)
	}
	return err
}

func (s *Store) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer s.invalidateAfterCommit(tx) // the read cache (read_cache_read.go)
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isRetryable reports PostgreSQL serialization failures, deadlocks and
// unique violations from racing creates of the same key; the write is
// retried from the start.
func isRetryable(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "40001", "40P01":
			return true
		}
	}
	return false
}

// isUniqueViolation reports a unique constraint violation on either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// writerCacheSize is the SQLite writer's page cache (PRAGMA cache_size; a
// negative size is in KiB): 128 MiB.
const writerCacheSize = "-131072"
