package store

import (
	"context"
	"database/sql"
	"runtime"
	"strings"
	"sync"
	"time"
)

// RequestInfo describes who is asking, for the audit log. The faces put it
// in the request context once the caller is authenticated.
type RequestInfo struct {
	RequestID string
	Actor     string // the token subject: user, patient user or client
	ClientID  string
	Role      string
	Method    string
	Path      string
}

type requestInfoKey struct{}

// WithRequest returns a context carrying info for the audit rows of the
// writes and accesses made under it.
func WithRequest(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestFrom returns the RequestInfo of ctx, or the zero value.
func RequestFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// AuditEvent is one row of the audit log.
type AuditEvent struct {
	Seq int64
	At  time.Time
	RequestInfo
	Patient string // the patient whose data was touched, when known
	Action  string // read, search, create, update, delete, export, …
	Type    string
	ResID   string
	Status  int
	Detail  string
}

// auditWrite records a write in the write's own transaction: the change and
// its audit row commit or fail together.
func (s *Store) auditWrite(ctx context.Context, tx *sql.Tx, action string, p *prepared, rid int64) error {
	info := RequestFrom(ctx)
	ev := AuditEvent{At: time.UnixMicro(p.updated), RequestInfo: info, Action: action, Type: p.typ, ResID: p.id,
		Patient: strings.Join(p.patients, ","), Status: 0}
	_, err := s.txExec(ctx, tx, insertAudit, auditArgs(ev)...)
	return err
}

// auditRows is the audit table as a multi-row INSERT names it.
var auditRows = insertTable{"audit_log (at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail)", 13}

const insertAudit = `INSERT INTO audit_log (at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func auditArgs(ev AuditEvent) []any {
	ev = storableAudit(ev)
	return []any{ev.At.UnixMicro(), ev.RequestID, ev.Actor, ev.ClientID, ev.Role, ev.Patient, ev.Action, ev.Type, ev.ResID,
		ev.Method, ev.Path, ev.Status, ev.Detail}
}

// RecordAccess queues an audit row for a request that read patient data.
// Access rows are written in batches a fraction of a second later rather than
// in the read path: a read never waits for a disk write. Close flushes them.
func (s *Store) RecordAccess(ctx context.Context, ev AuditEvent) {
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	if ev.RequestInfo == (RequestInfo{}) {
		ev.RequestInfo = RequestFrom(ctx)
	}
	s.audit.add(ev)
}

// auditBuffer batches access audit rows. A batch the database refuses is
// not dropped: with a spool (Options.AuditSpool) it goes to the spool
// file, and so does every event after it until the spool is replayed;
// without one it is kept in memory (up to auditRetryMax events) and tried
// again at the next flush.
type auditBuffer struct {
	s       *Store
	spool   *auditSpool // nil without Options.AuditSpool
	mu      sync.Mutex
	pending []AuditEvent
	retry   []AuditEvent // without a spool: the batches that failed, oldest first
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	// flushMu makes flushes (the loop's, FlushAudit's, Close's) take
	// turns, so spool and database see the events in order.
	flushMu sync.Mutex
}

const auditFlushEvery = 200 * time.Millisecond

// auditRetryMax bounds the events kept in memory for another try when there
// is no spool.
const auditRetryMax = 100000

func newAuditBuffer(s *Store, spool *auditSpool) *auditBuffer {
	b := &auditBuffer{s: s, spool: spool, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

func (b *auditBuffer) add(ev AuditEvent) {
	// While the spool holds events (the database is away or was), a new
	// event is appended and synced before the request is answered.
	if b.spool != nil && b.spool.active() {
		b.spoolEvents([]AuditEvent{ev})
		return
	}
	b.mu.Lock()
	b.pending = append(b.pending, ev)
	n := len(b.pending)
	b.mu.Unlock()
	if n >= 512 {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

func (b *auditBuffer) loop() {
	defer close(b.done)
	t := time.NewTicker(auditFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-b.kick:
		case <-b.stop:
			b.flush()
			return
		}
		b.flush()
	}
}

func (b *auditBuffer) flush() {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	evs := b.pending
	b.pending = nil
	b.mu.Unlock()
	ctx := context.Background()
	if b.spool != nil && b.spool.active() {
		// Behind events already spooled: these go after them, and the
		// spool is replayed in order.
		if len(evs) > 0 {
			b.spoolEvents(evs)
		}
		if err := b.replay(ctx); err != nil {
			b.s.log.Warn("store: audit spool not replayed yet", "waiting", b.spool.events.Load(), "err", err)
		}
		return
	}
	if len(b.retry) > 0 {
		evs = append(b.retry, evs...)
		b.retry = nil
	}
	if len(evs) == 0 {
		return
	}
	err := b.write(ctx, evs)
	if err == nil {
		return
	}
	if b.spool != nil {
		b.s.log.Error("store: write audit log; events spooled", "events", len(evs), "err", err)
		b.spoolEvents(evs)
		return
	}
	if len(evs) > auditRetryMax {
		b.s.log.Error("store: write audit log; events dropped past the retry bound", "events", len(evs)-auditRetryMax, "err", err)
		evs = evs[len(evs)-auditRetryMax:]
	} else {
		b.s.log.Error("store: write audit log; will retry", "events", len(evs), "err", err)
	}
	b.retry = evs
}

// write writes a batch of access events in one transaction: with COPY on
// PostgreSQL (writeAuditCopy), in multi-row INSERTs on SQLite.
func (b *auditBuffer) write(ctx context.Context, evs []AuditEvent) error {
	if b.s.d.postgres {
		return b.s.writeAuditCopy(ctx, evs)
	}
	return b.s.write(ctx, func(tx *sql.Tx) error {
		if err := b.s.auditFault(); err != nil {
			return err
		}
		// Rows go out in multi-row statements, like index rows. Writing
		// 512 rows takes several milliseconds of CPU that the requests
		// waiting on the same core would otherwise sit through (it was
		// the largest part of the read latency tail); the flush steps
		// aside after each statement so they go first.
		ins := rowInserter{s: b.s, ctx: ctx, tx: tx}
		for i, ev := range evs {
			ins.add(auditRows, auditArgs(ev)...)
			if i%maxRows == maxRows-1 {
				if err := ins.flush(); err != nil {
					return err
				}
				runtime.Gosched()
			}
		}
		return ins.flush()
	})
}

func (b *auditBuffer) close() {
	close(b.stop)
	<-b.done
	if b.spool != nil {
		b.spool.close()
	}
}

// AuditFilter selects audit rows; zero fields match everything.
type AuditFilter struct {
	Actor, ClientID, Patient, PathPrefix string
	Status                               int
	Since, Until                         time.Time
	AfterSeq                             int64 // paging: rows with a smaller Seq (newest first)
	Limit                                int
	// Security keeps only the sign-in events (sign-in, failed or refused
	// sign-in, sign-out, lockout) and the refusals (401 and 403), for an
	// administrator asking who tried what.
	Security bool
}

// SecurityActions are the audit actions of sign-ins and lockouts that
// AuditFilter.Security keeps, with every 401 and 403.
func SecurityActions() []string {
	return []string{"sign-in", "sign-in-failed", "sign-in-refused", "sign-out", "lockout", "authenticate"}
}

// ListAudit returns audit rows newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.ClientID != "" {
		add("client_id = ?", f.ClientID)
	}
	if f.Patient != "" {
		add("patient = ?", f.Patient)
	}
	if f.PathPrefix != "" {
		add("substr(path, 1, ?) = ?", len(f.PathPrefix))
		args = append(args, f.PathPrefix)
	}
	if f.Status != 0 {
		add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UnixMicro())
	}
	if f.AfterSeq > 0 {
		add("seq < ?", f.AfterSeq)
	}
	if f.Security {
		acts := SecurityActions()
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(acts)), ", ")
		where = append(where, "(action IN ("+marks+") OR status IN (401, 403))")
		for _, a := range acts {
			args = append(args, a)
		}
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.replica.QueryContext(ctx, s.d.rebind(q), s.valuePlanned(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		ev, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// auditColumns are the columns scanAudit reads, in its order.
const auditColumns = `seq, at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail`

func scanAudit(rows *sql.Rows) (AuditEvent, error) {
	var ev AuditEvent
	var at int64
	err := rows.Scan(&ev.Seq, &at, &ev.RequestID, &ev.Actor, &ev.ClientID, &ev.Role, &ev.Patient, &ev.Action, &ev.Type,
		&ev.ResID, &ev.Method, &ev.Path, &ev.Status, &ev.Detail)
	ev.At = time.UnixMicro(at).UTC()
	return ev, err
}

// FlushAudit writes queued access rows now (tests and shutdown).
func (s *Store) FlushAudit() { s.audit.flush() }
