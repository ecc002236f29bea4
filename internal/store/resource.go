package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// Resource is one version of a stored resource. Body holds the JSON exactly
// as it is served (with id and meta set by the server); it is nil for a
// deleted version.
type Resource struct {
	Type    string
	ID      string
	Version int64
	Updated time.Time
	Deleted bool
	// Method is how this version came to be (POST, PUT or DELETE); set in
	// history results.
	Method string
	Body   []byte
}

// ETag is the weak entity tag of the version, W/"n".
func (r *Resource) ETag() string { return `W/"` + strconv.FormatInt(r.Version, 10) + `"` }

// LastModified formats Updated for the Last-Modified header, in the HTTP
// date format (RFC 9110 5.6.7: "GMT", which time.RFC1123 would write as
// "UTC", a form HTTP clients need not read back in If-Modified-Since).
func (r *Resource) LastModified() string {
	return r.Updated.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

// prepared is a resource ready to be written: its bytes, index entries and
// compartment, computed outside the write transaction so that the
// serialized part of a write is as short as possible.
type prepared struct {
	typ      string
	id       string
	version  int64
	updated  int64 // Unix microseconds
	body     []byte
	entries  search.Entries
	patients []string
	// via are the non-Patient resources a Linked type's patient links
	// name (Binary securityContext → DocumentReference/1): their patients
	// are this resource's too, looked up when it is written.
	via []linkRef
	// res is the resource as prepared, for the check of a patient's own
	// writes (within), which reads every reference in it.
	res fhirjson.Object
}

// FormatInstant formats a time as a FHIR instant with microseconds, the
// precision the store keeps.
func FormatInstant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// prepare sets id and meta on res and computes its bytes and index entries.
// res is modified.
func prepare(rtype, id string, version int64, updated time.Time, res fhirjson.Object, local search.LocalBases) (*prepared, error) {
	updated = updated.UTC().Truncate(time.Microsecond)
	res["resourceType"] = rtype
	res["id"] = id
	meta, _ := res["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["versionId"] = strconv.FormatInt(version, 10)
	meta["lastUpdated"] = FormatInstant(updated)
	res["meta"] = meta
	body, err := fhirjson.Encode(res)
	if err != nil {
		return nil, err
	}
	p := &prepared{typ: rtype, id: id, version: version, updated: updated.UnixMicro(), body: body}
	p.entries = search.ExtractLocal(rtype, res, local)
	p.patients, p.via = compartmentOf(rtype, id, res, &p.entries, local)
	p.res = res
	return p, nil
}

// NewID returns a new resource id: a version 7 UUID (RFC 9562, a valid FHIR
// id), the current time in milliseconds followed by 74 random bits. Ids
// made one after another sort in the order they were made, so a create adds
// to the end of the (type, id) index and, for a Patient, of the compartment
// table, instead of at a random place in trees that outgrow the cache. The
// random bits keep ids unguessable; the time they tell is when the resource
// was created, which its first version's meta.lastUpdated says too.
func (s *Store) NewID() (string, error) {
	var b [16]byte
	if _, err := s.rand.Read(b[6:]); err != nil {
		return "", fmt.Errorf("store: new id: %w", err)
	}
	ms := uint64(s.now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return string(out), nil
}

// Create stores a new resource with a server-assigned id. res must already
// be validated; its id and meta are set here. When c is restricted the new
// resource must belong to the patient's compartment, else Forbidden.
func (s *Store) Create(ctx context.Context, rtype string, res fhirjson.Object, c search.Compartment) (*Resource, error) {
	id, err := s.NewID()
	if err != nil {
		return nil, err
	}
	p, err := prepare(rtype, id, 1, s.now(), res, s.local)
	if err != nil {
		return nil, err
	}
	if err := s.within(ctx, p, c); err != nil {
		return nil, err
	}
	if err := s.writeCreateRow(ctx, p, "POST"); err != nil {
		return nil, err
	}
	return p.resource(), nil
}

func (p *prepared) resource() *Resource {
	return &Resource{Type: p.typ, ID: p.id, Version: p.version, Updated: time.UnixMicro(p.updated).UTC(), Body: p.body}
}

// Update stores a new version of the resource rtype/id, creating it when it
// does not exist (update as create, with the client's id). When ifMatch is
// not zero the current version must be ifMatch, else the error is
// Precondition. created reports whether the resource is new.
// When c is restricted both the current and the new version must belong to
// the patient's compartment.
func (s *Store) Update(ctx context.Context, rtype, id string, res fhirjson.Object, ifMatch int64, c search.Compartment) (r *Resource, created bool, err error) {
	// The version to write depends on the current one. The write reads it
	// again under the row's lock (see lockHead): if another writer got in
	// between, the update is prepared again there on the new version, and
	// writers of one resource take turns instead of failing one another.
	for attempt := 0; attempt < maxWriteAttempts; attempt++ {
		cur, err := s.head(ctx, rtype, id)
		if err != nil {
			return nil, false, err
		}
		if cur != nil && !cur.deleted && c.Restricted {
			if _, err := s.Read(ctx, rtype, id, c); err != nil {
				return nil, false, err
			}
		}
		if ifMatch != 0 && (cur == nil || cur.version != ifMatch) {
			have := "none"
			if cur != nil {
				have = strconv.FormatInt(cur.version, 10)
			}
			return nil, false, errs.E(errs.Precondition, "If-Match names version %d but the current version is %s", ifMatch, have)
		}
		version := int64(1)
		if cur != nil {
			version = cur.version + 1
		}
		p, err := prepare(rtype, id, version, s.now(), cloneObject(res), s.local)
		if err != nil {
			return nil, false, err
		}
		if err := s.within(ctx, p, c); err != nil {
			return nil, false, err
		}
		underLock := func(tx *sql.Tx) error {
			if cur == nil {
				_, err := s.createRow(ctx, tx, p, "PUT")
				return err
			}
			locked, err := s.lockHead(ctx, tx, cur.rid)
			if err != nil {
				return err
			}
			if locked.version != cur.version {
				switch {
				case ifMatch != 0:
					return errs.E(errs.Precondition, "If-Match names version %d but the current version is %d", ifMatch, locked.version)
				case c.Restricted:
					return errRaced // the compartment check must see the new version
				}
				if p, err = prepare(rtype, id, locked.version+1, s.now(), cloneObject(res), s.local); err != nil {
					return err
				}
				cur = locked
			}
			return s.replaceRow(ctx, tx, p, cur, "PUT")
		}
		if cur != nil && !cur.deleted {
			err = s.writeReplace(ctx, p, cur, "PUT", underLock)
		} else {
			err = s.write(ctx, underLock)
		}
		if errors.Is(err, errRaced) || (cur == nil && isUniqueViolation(err)) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return p.resource(), cur == nil || cur.deleted, nil // a deleted id is created anew (R4: 201)
	}
	return nil, false, errs.E(errs.Conflict, "the resource is being changed by others; try again")
}

// errRaced is returned inside a write when the resource changed since it was
// read; the caller prepares the write again.
var errRaced = errors.New("store: resource changed concurrently")

// maxWriteAttempts bounds how often an update or a deletion is prepared
// again from the start: a write confined to a compartment that lost a race
// under the row's lock, or an update as create that lost to another create.
const maxWriteAttempts = 8

// Delete marks rtype/id deleted: reads answer Gone, searches no longer find
// it, and its history is kept. Deleting a deleted resource does nothing;
// deleting an unknown one is NotFound.
func (s *Store) Delete(ctx context.Context, rtype, id string, c search.Compartment) error {
	for attempt := 0; attempt < maxWriteAttempts; attempt++ {
		cur, err := s.head(ctx, rtype, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return errs.E(errs.NotFound, "%s/%s is not known", rtype, id)
		}
		if cur.deleted {
			return nil
		}
		if c.Restricted {
			if _, err := s.Read(ctx, rtype, id, c); err != nil {
				return err
			}
		}
		now := s.now().UTC().Truncate(time.Microsecond).UnixMicro()
		err = s.write(ctx, func(tx *sql.Tx) error {
			// As in Update: the current version again, under the row's
			// lock. Deleted meanwhile: done; changed by an update: delete
			// that version, unless the compartment must be checked again.
			locked, err := s.lockHead(ctx, tx, cur.rid)
			if err != nil {
				return err
			}
			if locked.deleted {
				return nil
			}
			if locked.version != cur.version {
				if c.Restricted {
					return errRaced
				}
				cur = locked
			}
			return s.markDeleted(ctx, tx, rtype, id, cur, now)
		})
		if errors.Is(err, errRaced) {
			continue
		}
		return err
	}
	return errs.E(errs.Conflict, "the resource is being changed by others; try again")
}

// markDeleted writes the deletion of the resource whose current version,
// locked by the caller (lockHead), is cur: a version row without a body,
// no index rows, and the audit row, all in tx.
func (s *Store) markDeleted(ctx context.Context, tx *sql.Tx, rtype, id string, cur *head, now int64) error {
	s.changedInWrite(tx, rtype, id)
	if err := s.keepVersionBody(ctx, tx, cur); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE resources SET version = ?, updated = ?, deleted = 1 WHERE rid = ? AND version = ?`),
		cur.version+1, now, cur.rid, cur.version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errRaced
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO resource_versions (rid, version, updated, deleted, method, body) VALUES (?, ?, ?, 1, 'DELETE', ?)`),
		cur.rid, cur.version+1, now, noBody); err != nil {
		return err
	}
	if err := s.deleteIndex(ctx, tx, cur.rid); err != nil {
		return err
	}
	p := &prepared{typ: rtype, id: id, version: cur.version + 1, updated: now}
	return s.auditWrite(ctx, tx, "delete", p, cur.rid)
}

// head is the current state of a resource, without its body.
type head struct {
	rid     int64
	version int64
	deleted bool
}

// lockHead reads the current version of the resource at rid inside a
// write, and on PostgreSQL locks its row until the write ends, so that no
// other writer changes it in between. (SQLite has one writer at a time.)
func (s *Store) lockHead(ctx context.Context, tx *sql.Tx, rid int64) (*head, error) {
	q := `SELECT version, deleted FROM resources WHERE rid = ?`
	if s.d.postgres {
		q += ` FOR UPDATE`
	}
	h := &head{rid: rid}
	var deleted int64
	if err := tx.QueryRowContext(ctx, s.d.rebind(q), rid).Scan(&h.version, &deleted); err != nil {
		return nil, err
	}
	h.deleted = deleted != 0
	return h, nil
}

func (s *Store) head(ctx context.Context, rtype, id string) (*head, error) {
	var h head
	var deleted int64
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT rid, version, deleted FROM resources WHERE type = ? AND id = ?`), rtype, id).
		Scan(&h.rid, &h.version, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.deleted = deleted != 0
	return &h, nil
}

func (s *Store) insertResource(ctx context.Context, tx *sql.Tx, p *prepared, method string) (int64, error) {
	ins := newIndexBatch(s, ctx, tx)
	rid, err := s.insertResourceRows(ctx, tx, p, method, ins)
	if err != nil {
		return 0, err
	}
	return rid, ins.flush()
}

// insertResourceRows writes the resource and version rows and queues its
// index rows on ins.
func (s *Store) insertResourceRows(ctx context.Context, tx *sql.Tx, p *prepared, method string, ins *indexBatch) (int64, error) {
	var rid int64
	err := s.txQueryRow(ctx, tx, sqlInsertResource,
		p.typ, p.id, p.version, p.updated, p.body).Scan(&rid)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, &errs.Error{Kind: errs.Conflict, Message: fmt.Sprintf("%s/%s already exists", p.typ, p.id), Err: err}
		}
		return 0, err
	}
	if _, err := s.txExec(ctx, tx, sqlInsertVersion,
		rid, p.version, p.updated, method, noBody); err != nil {
		return 0, err
	}
	if err := s.resolveVia(ctx, tx, p); err != nil {
		return 0, err
	}
	s.addIndex(ins, rid, p)
	return rid, nil
}

func (s *Store) replaceResource(ctx context.Context, tx *sql.Tx, p *prepared, cur *head, method string) error {
	if err := s.keepVersionBody(ctx, tx, cur); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE resources SET version = ?, updated = ?, deleted = 0, body = ? WHERE rid = ? AND version = ?`),
		p.version, p.updated, p.body, cur.rid, cur.version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errRaced
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO resource_versions (rid, version, updated, deleted, method, body) VALUES (?, ?, ?, 0, ?, ?)`),
		cur.rid, p.version, p.updated, method, noBody); err != nil {
		return err
	}
	if err := s.deleteIndex(ctx, tx, cur.rid); err != nil {
		return err
	}
	return s.insertIndex(ctx, tx, cur.rid, p)
}

// keepVersionBody copies the resource row's bytes into the row of its
// current version, which a new version is about to replace (see
// versionBody). The caller holds the resource row (lockHead), so no other
// writer replaces the bytes in between; a row that has its bytes already
// (written before the current version's row was left empty) keeps them.
func (s *Store) keepVersionBody(ctx context.Context, tx *sql.Tx, cur *head) error {
	_, err := tx.ExecContext(ctx, s.d.rebind(sqlKeepVersionBody), cur.rid, cur.rid, cur.version)
	return err
}

// Read returns the current version of rtype/id. A deleted resource is Gone;
// an unknown one NotFound. When c is restricted, a resource outside the
// patient's compartment is NotFound too, so its existence does not leak.
func (s *Store) Read(ctx context.Context, rtype, id string, c search.Compartment) (*Resource, error) {
	if s.readCache != nil {
		if r, err, ok := s.readCached(ctx, rtype, id, c); ok {
			return r, err
		}
	}
	r := &Resource{Type: rtype, ID: id}
	var updated, deleted int64
	var err error
	if c.Restricted {
		err = s.readRowReplica(ctx, sqlReadInCompartment, []any{rtype, id, c.Patient}, &r.Version, &updated, &deleted, &r.Body)
	} else {
		err = s.readRowReplica(ctx, sqlRead, []any{rtype, id}, &r.Version, &updated, &deleted, &r.Body)
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

// ReadVersion returns one version of rtype/id (vread).
func (s *Store) ReadVersion(ctx context.Context, rtype, id string, version int64, c search.Compartment) (*Resource, error) {
	if _, err := s.Read(ctx, rtype, id, c); err != nil && errs.KindOf(err) != errs.Gone {
		return nil, err
	}
	r := &Resource{Type: rtype, ID: id, Version: version}
	var updated, deleted int64
	err := s.readRowReplica(ctx, sqlReadVersion, []any{rtype, id, version}, &updated, &deleted, &r.Method, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "%s/%s has no version %d", rtype, id, version)
	}
	if err != nil {
		return nil, err
	}
	r.Updated = time.UnixMicro(updated).UTC()
	if deleted != 0 {
		r.Deleted, r.Body = true, nil
		return r, errs.E(errs.Gone, "version %d of %s/%s is a deletion", version, rtype, id)
	}
	return r, nil
}

func cloneObject(o fhirjson.Object) fhirjson.Object {
	// A shallow copy suffices: prepare only sets top-level keys and
	// replaces meta with a map it owns below.
	c := make(fhirjson.Object, len(o))
	for k, v := range o {
		c[k] = v
	}
	if m, ok := o["meta"].(map[string]any); ok {
		mc := make(map[string]any, len(m))
		for k, v := range m {
			mc[k] = v
		}
		c["meta"] = mc
	}
	return c
}

var _ = json.Number("")
