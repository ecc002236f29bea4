package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Reads that may be a little behind go to a PostgreSQL streaming replica
// when the operator names one (Options.Replicas); everything else stays on
// the primary. Which is which is decided per store function, and the list
// lives in replica_routes_test.go, so a new read function has to choose:
//
//   - replica-eligible (s.replica): FHIR read (only while the read cache
//     is off or not answering: with it on, a miss is read from the primary
//     and kept, see read_cache.go) and vread, search (with its
//     _include, chained and sorted parts and counts), history,
//     $everything, reference lookups, export scans,
//     the audit listing, the pages' lists of users, clients and grants.
//   - primary (s.r): token and flow state (codes, interactions, launches,
//     refresh tokens, revocation checks), sessions, settings and keys,
//     login throttling, bulk jobs and their files, the head a write
//     checks before it writes, and every read inside a write.
//
// The consistency rule: a replica answers a read only if it has replayed
// everything the caller wrote through this node (read-your-writes by LSN,
// see WithCaller), or for an export scan everything committed before it
// began, and it is within Options.ReplicaMaxLag of the primary; otherwise
// the primary answers. A replica that fails is skipped until
// its next check, and the failed read is answered by the primary.

// DefaultReplicaMaxLag is how far behind the primary a replica may be and
// still answer reads that need not see a caller's own writes.
const DefaultReplicaMaxLag = 5 * time.Second

// replicaCheckEvery is how often a replica's replay position and health
// are looked at again (lazily, by the read that finds them old).
const replicaCheckEvery = time.Second

// maxTrackedCallers bounds the memory of callers' last writes; past it
// every remembered position is folded into a floor that every caller's
// reads wait for (safe: only more reads go to the primary for a while).
const maxTrackedCallers = 1 << 16

// callerKey is the context key of a caller's consistency session.
type callerKey struct{}

// callerSession is one request's share in read-your-writes: who the caller
// is and the highest commit position (LSN) the request itself wrote.
type callerSession struct {
	caller string
	lsn    atomic.Uint64
}

// WithCaller marks ctx as one request by caller (an authenticated token's
// client and subject, or a page session's user; empty for an anonymous
// request). Reads in ctx see every write the same caller made through this
// store (this node) and every write made in ctx itself, whether they are
// answered by a replica or by the primary. Without it a read may be answered
// by any replica within the lag bound.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, &callerSession{caller: caller})
}

// asOfKey is the context key of a position a read must see (asOfPrimary).
type asOfKey struct{}

// replicaSet routes reads between the primary pool and the replicas. With
// no replicas (and on SQLite) every read goes to the primary pool.
type replicaSet struct {
	primary  *sql.DB
	replicas []*replica
	next     atomic.Uint32
	now      func() time.Time
	maxLag   time.Duration
	log      *slog.Logger

	mu           sync.Mutex
	callers      map[string]uint64 // caller → LSN of their last write here
	floor        uint64            // the highest LSN forgotten from callers
	primaryReads atomic.Uint64
}

// replica is one streaming standby.
type replica struct {
	name string // host and port, for the log (no credentials)
	db   *sql.DB

	checking atomic.Bool
	mu       sync.Mutex
	checked  time.Time // when replay and lag were last looked at
	replay   uint64    // the highest replay position seen
	usable   bool      // reachable and within the lag bound at the last check
	reads    atomic.Uint64
}

// ReplicaStats counts the reads each pool answered, for /metrics and tests.
type ReplicaStats struct {
	Primary  uint64
	Replicas map[string]uint64 // by host:port
}

// ReplicaReads is the reads all replicas answered.
func (st ReplicaStats) ReplicaReads() uint64 {
	var n uint64
	for _, r := range st.Replicas {
		n += r
	}
	return n
}

func newReplicaSet(primary *sql.DB, now func() time.Time, maxLag time.Duration, log *slog.Logger) *replicaSet {
	if maxLag <= 0 {
		maxLag = DefaultReplicaMaxLag
	}
	return &replicaSet{primary: primary, now: now, maxLag: maxLag, log: log, callers: map[string]uint64{}}
}

// openReplica opens a pool to a standby at dsn, sized like the primary's.
func openReplica(dsn string, conns int) (*replica, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: replica: %w", err)
	}
	cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	if cfg.ConnectTimeout == 0 {
		// A replica that does not answer must not hold a read for long:
		// the primary answers instead.
		cfg.ConnectTimeout = 2 * time.Second
	}
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	name := cfg.Host
	if u, err := url.Parse(dsn); err == nil && u.Host != "" {
		name = u.Host
	}
	return &replica{name: name, db: db}, nil
}

func (rs *replicaSet) close() error {
	var err error
	for _, r := range rs.replicas {
		if e := r.db.Close(); err == nil {
			err = e
		}
	}
	return err
}

// stats reports the reads answered by each pool.
func (rs *replicaSet) stats() ReplicaStats {
	st := ReplicaStats{Primary: rs.primaryReads.Load(), Replicas: map[string]uint64{}}
	for _, r := range rs.replicas {
		st.Replicas[r.name] += r.reads.Load()
	}
	return st
}

// QueryContext runs a read on a replica that may answer ctx, or on the
// primary.
func (rs *replicaSet) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if r := rs.pick(ctx); r != nil {
		rows, err := r.db.QueryContext(ctx, q, args...)
		if !rs.failed(r, err) {
			r.reads.Add(1)
			return rows, err
		}
	}
	rs.primaryReads.Add(1)
	return rs.primary.QueryContext(ctx, q, args...)
}

// QueryRowContext is QueryContext for one row.
func (rs *replicaSet) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if r := rs.pick(ctx); r != nil {
		row := r.db.QueryRowContext(ctx, q, args...)
		if !rs.failed(r, row.Err()) {
			r.reads.Add(1)
			return row
		}
	}
	rs.primaryReads.Add(1)
	return rs.primary.QueryRowContext(ctx, q, args...)
}

// failed reports a replica error the primary should answer instead: the
// replica unreachable (it is skipped until its next check) or a statement
// cancelled by a conflict with recovery.
func (rs *replicaSet) failed(r *replica, err error) bool {
	if err == nil {
		return false
	}
	if isConnErr(err) {
		r.mu.Lock()
		r.usable, r.checked = false, rs.now()
		r.mu.Unlock()
		rs.log.Warn("replica unreachable; reads go to the primary", "replica", r.name, "err", err)
		return true
	}
	var coded interface{ SQLState() string }
	return errors.As(err, &coded) && coded.SQLState() == "40001"
}

// pick chooses the replica to answer a read in ctx, round robin over those
// usable; nil means the primary.
func (rs *replicaSet) pick(ctx context.Context) *replica {
	n := len(rs.replicas)
	if n == 0 {
		return nil
	}
	need := rs.needed(ctx)
	start := int(rs.next.Add(1))
	for i := 0; i < n; i++ {
		r := rs.replicas[(start+i)%n]
		if rs.serves(ctx, r, need) {
			return r
		}
	}
	return nil
}

// needed is the WAL position a replica must have replayed to answer a read
// in ctx: the caller's and the request's own last writes, or a position
// asked for by asOfPrimary; 0 when any usable replica will do.
func (rs *replicaSet) needed(ctx context.Context) uint64 {
	var need uint64
	if v, ok := ctx.Value(asOfKey{}).(uint64); ok {
		need = v
	}
	sess, _ := ctx.Value(callerKey{}).(*callerSession)
	if sess == nil {
		return need
	}
	need = max(need, sess.lsn.Load())
	if sess.caller != "" {
		rs.mu.Lock()
		need = max(need, rs.callers[sess.caller], rs.floor)
		rs.mu.Unlock()
	}
	return need
}

// serves reports whether r may answer a read that must see need: it was
// usable at its last check (made now if that is old), and its replay
// position is at need (looked at again, once, if the one known is behind).
func (rs *replicaSet) serves(ctx context.Context, r *replica, need uint64) bool {
	now := rs.now()
	r.mu.Lock()
	stale := now.Sub(r.checked) >= replicaCheckEvery
	usable, replay := r.usable, r.replay
	r.mu.Unlock()
	if stale && r.checking.CompareAndSwap(false, true) {
		rs.check(ctx, r)
		r.checking.Store(false)
		r.mu.Lock()
		usable, replay = r.usable, r.replay
		r.mu.Unlock()
	}
	if !usable {
		return false
	}
	if replay >= need {
		return true
	}
	lsn, err := replayLSN(ctx, r.db)
	if err != nil {
		rs.failed(r, err)
		return false
	}
	r.mu.Lock()
	r.replay = max(r.replay, lsn)
	r.mu.Unlock()
	return lsn >= need
}

// check looks at r's replay position and lag, and decides whether r is
// usable: reachable, and either applying everything it has received from
// the primary or behind by no more than maxLag (the time since the last
// transaction it applied). It also forgets callers' writes every usable
// replica has replayed.
func (rs *replicaSet) check(ctx context.Context, r *replica) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var replay int64
	var lag float64
	err := r.db.QueryRowContext(ctx, sqlReplicaState).Scan(&replay, &lag)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked = rs.now()
	if err != nil {
		if r.usable {
			rs.log.Warn("replica unreachable; reads go to the primary", "replica", r.name, "err", err)
		}
		r.usable = false
		return
	}
	r.replay = max(r.replay, uint64(replay))
	usable := time.Duration(lag*float64(time.Second)) <= rs.maxLag
	if usable != r.usable {
		rs.log.Info("replica usability changed", "replica", r.name, "usable", usable, "lag_seconds", lag)
	}
	r.usable = usable
	if usable {
		rs.forget(r.replay)
	}
}

// sqlReplicaState is a standby's replay position in bytes and its lag in
// seconds: none while it has applied all it received, else the age of the
// last transaction it applied. A server not in recovery (a promoted
// standby, or the primary itself) has all it wrote.
const sqlReplicaState = `SELECT
	(CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_replay_lsn(), '0/0') ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint,
	CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
		ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END::float8`

// forget drops callers' writes at or before lsn, which a usable replica
// has replayed; they are kept as the floor, which a replica that was
// unusable meanwhile must reach before it answers a caller.
func (rs *replicaSet) forget(lsn uint64) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for c, l := range rs.callers {
		if l <= lsn {
			rs.floor = max(rs.floor, l)
			delete(rs.callers, c)
		}
	}
}

// wrote records committed writes, one a context: each caller's and
// request's last write moves to the primary's current position, asked once
// for them all (a group commit answers many callers). Without replicas, or
// for a write outside any request, there is nothing to remember.
func (rs *replicaSet) wrote(ctxs ...context.Context) {
	if len(rs.replicas) == 0 {
		return
	}
	var sessions []*callerSession
	for _, ctx := range ctxs {
		if sess, _ := ctx.Value(callerKey{}).(*callerSession); sess != nil {
			sessions = append(sessions, sess)
		}
	}
	if len(sessions) == 0 {
		return
	}
	lsn, err := currentLSN(context.WithoutCancel(ctxs[0]), rs.primary)
	if err != nil {
		// Unknown: the callers' reads go to the primary until a replica
		// has replayed everything written so far.
		rs.log.Warn("commit position unknown; the caller reads from the primary", "err", err)
		lsn = ^uint64(0) >> 1
	}
	for _, sess := range sessions {
		rs.wroteAt(sess, lsn)
	}
}

// wroteAt records that sess wrote at lsn.
func (rs *replicaSet) wroteAt(sess *callerSession, lsn uint64) {
	for {
		old := sess.lsn.Load()
		if old >= lsn || sess.lsn.CompareAndSwap(old, lsn) {
			break
		}
	}
	if sess.caller == "" {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.callers) >= maxTrackedCallers {
		for c, l := range rs.callers {
			rs.floor = max(rs.floor, l)
			delete(rs.callers, c)
		}
	}
	rs.callers[sess.caller] = max(rs.callers[sess.caller], lsn)
}

// asOfPrimary returns ctx with a requirement that its reads see everything
// committed on the primary by now: a long scan (an export) may then run on
// a replica and still miss nothing written before it began.
func (rs *replicaSet) asOfPrimary(ctx context.Context) (context.Context, error) {
	if len(rs.replicas) == 0 {
		return ctx, nil
	}
	lsn, err := currentLSN(ctx, rs.primary)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, asOfKey{}, lsn), nil
}

// currentLSN is the primary's WAL position, in bytes.
func currentLSN(ctx context.Context, db *sql.DB) (uint64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&n)
	return uint64(n), err
}

// replayLSN is how far a standby has replayed, in bytes; a server that is
// not in recovery (a promoted standby, or the primary itself) has all it
// wrote.
func replayLSN(ctx context.Context, db *sql.DB) (uint64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT (CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_replay_lsn(), '0/0')
		ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint`).Scan(&n)
	return uint64(n), err
}

// readRowReplica is readRow for a read a replica may answer; inside a
// transaction (WithTx) it reads there, as readRow does, and a read that
// must see everything committed (Latest) reads the primary.
func (s *Store) readRowReplica(ctx context.Context, q string, args []any, dest ...any) error {
	if !s.d.postgres || s.txOf(ctx) != nil || wantsLatest(ctx) {
		return s.readRow(ctx, q, args, dest...)
	}
	return s.replica.QueryRowContext(ctx, s.d.rebind(q), args...).Scan(dest...)
}

// ReplicaStats counts the reads the primary and each replica answered.
func (s *Store) ReplicaStats() ReplicaStats { return s.replica.stats() }
