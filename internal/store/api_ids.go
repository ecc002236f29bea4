package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// The JSON API's integer ids. The FHIR store names every resource by a UUID;
// the original API of the practice system used integers (pid, encounter
// number, vital id, …) and its clients still send them. A record name ("patient",
// "encounter", "vital", …) numbers its records from 1; a number, once given,
// always names the same UUID.

const (
	sqlAPINumber   = `SELECT num FROM api_ids WHERE kind = ? AND uuid = ?`
	sqlAPIUUID     = `SELECT uuid FROM api_ids WHERE kind = ? AND num = ?`
	sqlAPIAllocate = `INSERT INTO api_ids (kind, num, uuid) SELECT ?, COALESCE(MAX(num), 0) + 1, ? FROM api_ids WHERE kind = ? RETURNING num`
)

// APINumber returns the integer id of the record name's record uuid, allocating the
// next free number when the record has none yet (records written through
// FHIR or by the seeder get theirs when the JSON API first shows them).
func (s *Store) APINumber(ctx context.Context, recordName, uuid string) (int64, error) {
	var n int64
	err := s.readRow(ctx, sqlAPINumber, []any{recordName, uuid}, &n)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	for attempt := 0; attempt < 8; attempt++ {
		err = s.write(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = s.allocateAPINumber(ctx, tx, recordName, uuid)
			return err
		})
		if err == nil || !isUniqueViolation(err) {
			return n, err
		}
		// Someone else numbered this record, or took the next number,
		// first: look again.
		if e := s.r.QueryRowContext(ctx, s.d.rebind(sqlAPINumber), recordName, uuid).Scan(&n); e == nil {
			return n, nil
		}
	}
	return 0, err
}

// allocateAPINumber gives uuid the record name's next number inside tx, or returns
// the number it already has.
func (s *Store) allocateAPINumber(ctx context.Context, tx *sql.Tx, recordName, uuid string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, s.d.rebind(sqlAPINumber), recordName, uuid).Scan(&n)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	err = tx.QueryRowContext(ctx, s.d.rebind(sqlAPIAllocate), recordName, uuid, recordName).Scan(&n)
	return n, err
}

// APIUUID returns the uuid the record name's integer id names; NotFound when the
// number was never given.
func (s *Store) APIUUID(ctx context.Context, recordName string, num int64) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, s.d.rebind(sqlAPIUUID), recordName, num).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.E(errs.NotFound, "no %s has the id %d", recordName, num)
	}
	return id, err
}

// NewResource is one resource of a CreateAll: its type and body, and the
// record name under which it gets an integer id (empty for none). ID, when set,
// is the id to create it under (so that resources of one CreateAll can
// refer to each other); otherwise a new UUID is drawn.
type NewResource struct {
	Type     string
	ID       string
	Body     fhirjson.Object
	Numbered string
}

// Created is what CreateAll wrote for one NewResource.
type Created struct {
	*Resource
	Num int64 // the integer id, when the resource was numbered
}

// CreateAll creates resources together in one transaction, each with its
// integer id when asked: either all of them are written, with their audit
// rows and numbers, or none. The JSON API uses it so that a record and its
// number (a patient and its pid), or the several FHIR resources behind one
// record (the observations of a vital-signs set), appear at once. The
// bodies must already be valid; they are modified (id and meta set). When c
// is restricted each must belong to the patient's compartment.
func (s *Store) CreateAll(ctx context.Context, items []NewResource, c search.Compartment) ([]Created, error) {
	preps := make([]*prepared, len(items))
	for i, it := range items {
		id := it.ID
		if id == "" {
			var err error
			if id, err = s.NewID(); err != nil {
				return nil, err
			}
			items[i].ID = id
		}
		p, err := prepare(it.Type, id, 1, s.now(), it.Body, s.local)
		if err != nil {
			return nil, err
		}
		if err := s.within(ctx, p, c); err != nil {
			return nil, err
		}
		preps[i] = p
	}
	out := make([]Created, len(items))
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		err = s.write(ctx, func(tx *sql.Tx) error {
			for i, p := range preps {
				if _, err := s.createRow(ctx, tx, p, "POST"); err != nil {
					return err
				}
				out[i] = Created{Resource: p.resource()}
				if items[i].Numbered != "" {
					n, err := s.allocateAPINumber(ctx, tx, items[i].Numbered, p.id)
					if err != nil {
						return err
					}
					out[i].Num = n
				}
			}
			return nil
		})
		// Two creates racing for a record name's next number: the loser tries
		// again. A clash on the resource id itself is a real conflict.
		if err != nil && isUniqueViolation(err) && errs.KindOf(err) != errs.Conflict && strings.Contains(strings.ToLower(err.Error()), "api_ids") {
			continue
		}
		break
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Change is one resource of a WriteAll: a create when Version is 0,
// otherwise an update of the resource at that current version.
type Change struct {
	Type     string
	ID       string // required for an update; drawn when empty on a create
	Body     fhirjson.Object
	Version  int64  // the version the update replaces
	Numbered string // on a create, the record name of its integer id
}

// WriteAll writes several resources in one transaction: the JSON API's
// records that span resources (a vital-signs set is a panel and its member
// observations) change as one. An update whose resource moved past Version
// fails the whole write with Conflict; nothing is written then.
func (s *Store) WriteAll(ctx context.Context, changes []Change) ([]Created, error) {
	preps := make([]*prepared, len(changes))
	for i := range changes {
		ch := &changes[i]
		if ch.ID == "" {
			if ch.Version != 0 {
				return nil, errs.E(errs.Invalid, "an update needs the resource id")
			}
			id, err := s.NewID()
			if err != nil {
				return nil, err
			}
			ch.ID = id
		}
		p, err := prepare(ch.Type, ch.ID, ch.Version+1, s.now(), ch.Body, s.local)
		if err != nil {
			return nil, err
		}
		preps[i] = p
	}
	out := make([]Created, len(changes))
	err := s.write(ctx, func(tx *sql.Tx) error {
		for i, p := range preps {
			ch := changes[i]
			if ch.Version == 0 {
				if _, err := s.createRow(ctx, tx, p, "POST"); err != nil {
					return err
				}
				out[i] = Created{Resource: p.resource()}
				if ch.Numbered != "" {
					n, err := s.allocateAPINumber(ctx, tx, ch.Numbered, p.id)
					if err != nil {
						return err
					}
					out[i].Num = n
				}
				continue
			}
			var h head
			var deleted int64
			err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT rid, version, deleted FROM resources WHERE type = ? AND id = ?`), ch.Type, ch.ID).
				Scan(&h.rid, &h.version, &deleted)
			if errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.NotFound, "%s/%s is not known", ch.Type, ch.ID)
			}
			if err != nil {
				return err
			}
			if h.version != ch.Version || deleted != 0 {
				return errs.E(errs.Conflict, "%s/%s changed meanwhile; try again", ch.Type, ch.ID)
			}
			if err := s.replaceRow(ctx, tx, p, &h, "PUT"); err != nil {
				if errors.Is(err, errRaced) {
					return errs.E(errs.Conflict, "%s/%s changed meanwhile; try again", ch.Type, ch.ID)
				}
				return err
			}
			out[i] = Created{Resource: p.resource()}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
