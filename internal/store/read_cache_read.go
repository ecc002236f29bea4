package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// sqlReadForCache reads what a cache entry holds: the current version of a
// resource and the patients whose compartment holds it, in one statement.
const sqlReadForCache = `SELECT r.version, r.updated, r.deleted, r.body,
	COALESCE((SELECT string_agg(c.patient, ' ') FROM compartment c WHERE c.rid = r.rid), '')
	FROM resources r WHERE r.type = $1 AND r.id = $2`

// readCached answers Read from the read cache, filling it on a miss; ok is
// false when the cache may not answer, and the database answers as it would
// without a cache: the changes read are stale, the read is part of a
// transaction (WithTx), which must see its own uncommitted writes, or of a
// read-modify-write (Latest).
func (s *Store) readCached(ctx context.Context, rtype, id string, c search.Compartment) (r *Resource, err error, ok bool) {
	rc := s.readCache
	if !rc.answering() || s.txOf(ctx) != nil || wantsLatest(ctx) {
		return nil, nil, false
	}
	k := cacheKey{typ: rtype, id: id}
	e := rc.get(k)
	if e == nil {
		gen := rc.generation(k)
		if e, err = s.readForCache(ctx, k); err != nil {
			return nil, err, true
		}
		rc.fill(e, gen)
	}
	r, err = e.answer(c)
	return r, err, true
}

// readForCache reads k from the primary, never from a replica: a value from
// a replica that lags could be older than an invalidation this node has
// already processed, and would stay cached. A resource not known is
// NotFound, and not cached.
func (s *Store) readForCache(ctx context.Context, k cacheKey) (*cacheEntry, error) {
	e := &cacheEntry{key: k}
	var deleted int64
	var patients string
	err := s.r.QueryRowContext(ctx, sqlReadForCache, k.typ, k.id).Scan(&e.version, &e.updated, &deleted, &e.body, &patients)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "%s/%s is not known", k.typ, k.id)
	}
	if err != nil {
		return nil, err
	}
	e.deleted = deleted != 0
	if e.deleted {
		e.body = nil
	}
	e.patients = strings.Fields(patients)
	return e, nil
}

// answer is Read's answer from e: the resource (a copy of its bytes, which
// the caller may keep), Gone for a deletion, NotFound outside the patient's
// compartment when c is restricted.
func (e *cacheEntry) answer(c search.Compartment) (*Resource, error) {
	if c.Restricted && !e.inCompartment(c.Patient) {
		return nil, errs.E(errs.NotFound, "%s/%s is not known", e.key.typ, e.key.id)
	}
	r := &Resource{Type: e.key.typ, ID: e.key.id, Version: e.version, Updated: time.UnixMicro(e.updated).UTC()}
	if e.deleted {
		r.Deleted = true
		return r, errs.E(errs.Gone, "%s/%s was deleted", e.key.typ, e.key.id)
	}
	r.Body = append([]byte(nil), e.body...)
	return r, nil
}

// ownWrites holds, per open write transaction of this node, the resources
// it changed, to invalidate once it has committed.
type ownWrites struct{ m sync.Map } // *sql.Tx → *[]cacheKey

// changedInWrite records, inside a write transaction, that it changes an
// existing resource (an update or a deletion); see invalidateAfterCommit.
func (s *Store) changedInWrite(tx *sql.Tx, rtype, id string) {
	if s.readCache == nil {
		return
	}
	keys, _ := s.ownWrites.m.LoadOrStore(tx, new([]cacheKey))
	*keys.(*[]cacheKey) = append(*keys.(*[]cacheKey), cacheKey{typ: rtype, id: id})
}

// invalidateKeys drops resources from the read cache, for a write that
// ran without a transaction of its own (see writeReplace), once it has
// ended.
func (s *Store) invalidateKeys(keys ...cacheKey) {
	if s.readCache != nil {
		s.readCache.invalidate(keys...)
	}
}

// invalidateAfterCommit drops from the read cache the resources tx changed,
// once it has ended, before the writer is answered: the writer's next read
// on this node sees its write without waiting for the poller. Not
// before the commit: a reader of this node could then read the old row
// (the write not yet visible) after the invalidation and keep it, and the
// writer would read its old version until the poller read the change. A
// rolled back transaction invalidates too, which costs only a miss.
func (s *Store) invalidateAfterCommit(tx *sql.Tx) {
	if s.readCache == nil {
		return
	}
	if keys, ok := s.ownWrites.m.LoadAndDelete(tx); ok {
		s.readCache.invalidate(*keys.(*[]cacheKey)...)
	}
}
