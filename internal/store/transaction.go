package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// Tx is one write transaction driven step by step by its caller: a FHIR
// transaction Bundle's entries, or a conditional create that must search and
// write without another writer slipping in between. Everything done through
// it commits together or not at all, audit rows included, so a transaction
// that fails leaves no trace of the writes it attempted.
//
// A Tx reads through its own connection (Match, Read, the current versions
// it replaces), so it sees its own writes and, after Lock, every write
// committed before it.
type Tx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
	now time.Time
}

// Transaction runs fn in one write transaction. fn may run more than once
// (PostgreSQL retries serialization failures from the start), so it must
// keep no state from an earlier run. On SQLite the transaction may share a
// commit with other writes (group commit), isolated by a savepoint: a
// failing fn rolls back only its own work.
func (s *Store) Transaction(ctx context.Context, fn func(t *Tx) error) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		return fn(&Tx{s: s, ctx: ctx, tx: tx, now: s.now()})
	})
}

// NewID draws a resource id (see Store.NewID).
func (t *Tx) NewID() (string, error) { return t.s.NewID() }

// Lock makes transactions that use the same key take turns until they end.
// Two identical conditional creates lock their type and query before they
// search, so the second one finds the first's resource instead of making
// another. On PostgreSQL this is a transaction-scoped advisory lock on a
// hash of the key, which holds across servers sharing the database (a hash
// collision only makes two unrelated transactions wait for each other). On
// SQLite there is one writer at a time: every write transaction, and the
// searches it runs, already happens as if under the lock.
func (t *Tx) Lock(key string) error {
	if !t.s.d.postgres {
		return nil
	}
	_, err := t.tx.ExecContext(t.ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key)
	return err
}

// Match returns the ids of up to limit current resources matching q's
// clauses, filters and compartment, in the order they were created. Sort,
// paging and includes of q are ignored.
func (t *Tx) Match(q *search.Query, limit int) ([]string, error) {
	b := &sqlBuilder{s: t.s, typ: q.Type}
	if err := b.filter(q.Clauses, q.AnyOf, q.Compartment); err != nil {
		return nil, err
	}
	where, args := b.sql()
	rows, err := t.tx.QueryContext(t.ctx, t.s.d.rebind("SELECT r.id FROM resources r WHERE "+where+" ORDER BY r.rid LIMIT ?"), t.s.valuePlanned(append(args, limit))...)
	if err != nil {
		return nil, fmt.Errorf("store: match %s: %w", q.Type, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Read returns the current version of rtype/id as the transaction sees it,
// with the errors of Store.Read.
func (t *Tx) Read(rtype, id string, c search.Compartment) (*Resource, error) {
	r := &Resource{Type: rtype, ID: id}
	var updated, deleted int64
	var err error
	if c.Restricted {
		err = t.tx.QueryRowContext(t.ctx, t.s.d.rebind(sqlReadInCompartment), rtype, id, c.Patient).Scan(&r.Version, &updated, &deleted, &r.Body)
	} else {
		err = t.tx.QueryRowContext(t.ctx, t.s.d.rebind(sqlRead), rtype, id).Scan(&r.Version, &updated, &deleted, &r.Body)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "%s/%s is not known", rtype, id)
	}
	if err != nil {
		return nil, err
	}
	r.Updated = time.UnixMicro(updated).UTC()
	if deleted != 0 {
		r.Deleted, r.Body = true, nil
		return r, errs.E(errs.Gone, "%s/%s was deleted", rtype, id)
	}
	return r, nil
}

// lockedHead is the current state of rtype/id, its row locked until the
// transaction ends on PostgreSQL; nil when it was never written.
func (t *Tx) lockedHead(rtype, id string) (*head, error) {
	q := `SELECT rid, version, deleted FROM resources WHERE type = ? AND id = ?`
	if t.s.d.postgres {
		q += ` FOR UPDATE`
	}
	var h head
	var deleted int64
	err := t.tx.QueryRowContext(t.ctx, t.s.d.rebind(q), rtype, id).Scan(&h.rid, &h.version, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.deleted = deleted != 0
	return &h, nil
}

// inCompartment reports whether the resource at rid is one of the
// patient's records now.
func (t *Tx) inCompartment(rid int64, patient string) (bool, error) {
	var one int
	err := t.tx.QueryRowContext(t.ctx, t.s.d.rebind(`SELECT 1 FROM compartment WHERE rid = ? AND patient = ?`), rid, patient).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Create stores a new resource under id (drawn by the caller, so that other
// resources of the transaction can refer to it). res must be valid; its id
// and meta are set. When c is restricted the resource must belong to the
// patient (see within).
func (t *Tx) Create(rtype, id string, res fhirjson.Object, c search.Compartment) (*Resource, error) {
	p, err := prepare(rtype, id, 1, t.now, res, t.s.local)
	if err != nil {
		return nil, err
	}
	if err := t.s.withinQ(t.ctx, t.tx, p, c); err != nil {
		return nil, err
	}
	if _, err := t.s.createRow(t.ctx, t.tx, p, "POST"); err != nil {
		return nil, err
	}
	return p.resource(), nil
}

// Update stores a new version of rtype/id, creating it when it was never
// written. ifMatch, when not zero, must be the current version
// (Precondition otherwise); ifNoneMatch refuses to replace an existing
// resource (Precondition). When c is restricted both the current and the new
// version must be the patient's.
func (t *Tx) Update(rtype, id string, res fhirjson.Object, ifMatch int64, ifNoneMatch bool, c search.Compartment) (r *Resource, created bool, err error) {
	cur, err := t.lockedHead(rtype, id)
	if err != nil {
		return nil, false, err
	}
	if cur != nil && !cur.deleted && c.Restricted {
		ok, err := t.inCompartment(cur.rid, c.Patient)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, errs.E(errs.NotFound, "%s/%s is not known", rtype, id)
		}
	}
	if ifMatch != 0 && (cur == nil || cur.version != ifMatch) {
		have := "none"
		if cur != nil {
			have = strconv.FormatInt(cur.version, 10)
		}
		return nil, false, errs.E(errs.Precondition, "ifMatch names version %d but the current version is %s", ifMatch, have)
	}
	if ifNoneMatch && cur != nil && !cur.deleted {
		return nil, false, errs.E(errs.Precondition, "ifNoneMatch: %s/%s exists (version %d)", rtype, id, cur.version)
	}
	version := int64(1)
	if cur != nil {
		version = cur.version + 1
	}
	p, err := prepare(rtype, id, version, t.now, res, t.s.local)
	if err != nil {
		return nil, false, err
	}
	if err := t.s.withinQ(t.ctx, t.tx, p, c); err != nil {
		return nil, false, err
	}
	if cur == nil {
		if _, err := t.s.createRow(t.ctx, t.tx, p, "PUT"); err != nil {
			return nil, false, err
		}
		return p.resource(), true, nil
	}
	if err := t.s.replaceRow(t.ctx, t.tx, p, cur, "PUT"); err != nil {
		return nil, false, err
	}
	return p.resource(), false, nil
}

// Delete marks rtype/id deleted and returns the deletion's version.
// Deleting a deleted resource does nothing (its deletion is returned);
// deleting an unknown one is NotFound. ifMatch, when not zero, must be the
// current version.
func (t *Tx) Delete(rtype, id string, ifMatch int64, c search.Compartment) (*Resource, error) {
	cur, err := t.lockedHead(rtype, id)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, errs.E(errs.NotFound, "%s/%s is not known", rtype, id)
	}
	if ifMatch != 0 && cur.version != ifMatch {
		return nil, errs.E(errs.Precondition, "ifMatch names version %d but the current version is %d", ifMatch, cur.version)
	}
	if cur.deleted {
		return &Resource{Type: rtype, ID: id, Version: cur.version, Deleted: true, Updated: t.now.UTC().Truncate(time.Microsecond)}, nil
	}
	if c.Restricted {
		ok, err := t.inCompartment(cur.rid, c.Patient)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.E(errs.NotFound, "%s/%s is not known", rtype, id)
		}
	}
	now := t.now.UTC().Truncate(time.Microsecond)
	if err := t.s.markDeleted(t.ctx, t.tx, rtype, id, cur, now.UnixMicro()); err != nil {
		return nil, err
	}
	return &Resource{Type: rtype, ID: id, Version: cur.version + 1, Deleted: true, Updated: now}, nil
}

// NewInTx is one resource for CreateMany.
type NewInTx struct {
	Type, ID string
	Body     fhirjson.Object // valid; its id and meta are set
	C        search.Compartment
}

// CreateMany creates the items as Create would, one after another, but
// with their rows (resource, version, index, compartment, audit) sent in
// multi-row statements: a transaction of hundreds of creates costs a few
// dozen round trips to the database rather than thousands. Their bytes and
// index entries are prepared on every core first. When an item is refused
// (a patient's write outside its records), bad is its index.
func (t *Tx) CreateMany(items []NewInTx) (out []*Resource, bad int, err error) {
	if len(items) == 0 {
		return nil, -1, nil
	}
	preps := make([]*prepared, len(items))
	prepErrs := make([]error, len(items))
	workers := min(max(1, runtime.GOMAXPROCS(0)), len(items))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				preps[i], prepErrs[i] = prepare(items[i].Type, items[i].ID, 1, t.now, items[i].Body, t.s.local)
			}
		}(w)
	}
	wg.Wait()
	for i, err := range prepErrs {
		if err != nil {
			return nil, i, err
		}
	}
	rids, err := t.newRIDs(len(items))
	if err != nil {
		return nil, -1, err
	}
	info := RequestFrom(t.ctx)
	ins := newIndexBatch(t.s, t.ctx, t.tx)
	out = make([]*Resource, len(items))
	for i, p := range preps {
		if len(p.via) > 0 {
			// Its links may name resources created just before it.
			if err := ins.flush(); err != nil {
				return nil, -1, t.insertErr(err)
			}
			if err := t.s.resolveVia(t.ctx, t.tx, p); err != nil {
				return nil, -1, err
			}
		}
		if err := t.s.withinQ(t.ctx, t.tx, p, items[i].C); err != nil {
			return nil, i, err
		}
		ins.add(tResources, rids[i], p.typ, p.id, p.version, p.updated, p.body)
		ins.add(tVersions, rids[i], p.version, p.updated, "POST", noBody)
		t.s.addIndex(ins, rids[i], p)
		ev := AuditEvent{At: time.UnixMicro(p.updated), RequestInfo: info, Action: "create", Type: p.typ, ResID: p.id,
			Patient: strings.Join(p.patients, ",")}
		ins.add(auditRows, auditArgs(ev)...)
		out[i] = p.resource()
	}
	if err := ins.flush(); err != nil {
		return nil, -1, t.insertErr(err)
	}
	return out, -1, nil
}

func (t *Tx) insertErr(err error) error {
	if isUniqueViolation(err) {
		return &errs.Error{Kind: errs.Conflict, Message: "a resource of the transaction exists already", Err: err}
	}
	return err
}

// newRIDs reserves n row ids for new resources: from the identity's
// sequence on PostgreSQL, after the largest in use on SQLite (whose one
// writer is this transaction).
func (t *Tx) newRIDs(n int) ([]int64, error) {
	if !t.s.d.postgres {
		return t.s.allocRIDs(t.ctx, t.tx, n)
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT nextval(pg_get_serial_sequence('resources', 'rid')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rids := make([]int64, 0, n)
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			return nil, err
		}
		rids = append(rids, rid)
	}
	return rids, rows.Err()
}
