package store

import (
	"context"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/fhir/search"
)

// EverythingQuery selects a page of Patient/$everything.
type EverythingQuery struct {
	// Patient is the patient whose record is listed; empty lists the
	// records of every patient (Patient/$everything at type level).
	Patient string
	// MemberTypes are the types listed from the patients' compartments,
	// RefTypes the types listed because a member refers to them. A caller
	// confined to the patient gets only shared types in RefTypes, so a
	// reference never reaches into another patient's records.
	MemberTypes, RefTypes []string
	Since                 time.Time // only resources changed at or after Since
	After                 int64     // paging: resources after this row id
	Count                 int
}

// EverythingPage is one page, in row id order.
type EverythingPage struct {
	Resources []*Resource
	// Next is the row id to continue after; 0 on the last page.
	Next int64
}

// Everything lists the live resources of a patient's compartment and the
// resources they refer to (by the reference search index), each once,
// ordered by row id so that pages are a stable keyset: a resource written
// while a client pages through gets a new, larger row id only when it is
// new, and is listed at the end.
func (s *Store) Everything(ctx context.Context, q EverythingQuery) (*EverythingPage, error) {
	if q.Count <= 0 {
		q.Count = search.DefaultCount
	}
	q.Count = min(q.Count, search.MaxCount)
	page := &EverythingPage{}
	if len(q.MemberTypes) == 0 && len(q.RefTypes) == 0 {
		return page, nil
	}
	in := func(types []string, args *[]any) string {
		for _, t := range types {
			*args = append(*args, t)
		}
		return "(" + strings.TrimSuffix(strings.Repeat("?,", len(types)), ",") + ")"
	}
	var args []any
	var parts []string
	patientCond := func() string {
		if q.Patient == "" {
			return "1 = 1"
		}
		args = append(args, q.Patient)
		return "c.patient = ?"
	}
	if len(q.MemberTypes) > 0 {
		cond := patientCond()
		args = append(args, q.After)
		parts = append(parts, `SELECT r.rid FROM compartment c JOIN resources r ON r.rid = c.rid
			WHERE `+cond+` AND c.rid > ? AND r.type IN `+in(q.MemberTypes, &args))
	}
	if len(q.RefTypes) > 0 {
		// Only the members the caller may see lend their references.
		cond := patientCond()
		args = append(args, q.After)
		memberTypes := "1 = 1"
		if len(q.MemberTypes) > 0 {
			memberTypes = "m.type IN " + in(q.MemberTypes, &args)
		} else {
			memberTypes = "1 = 0"
		}
		parts = append(parts, `SELECT t.rid FROM compartment c
			JOIN resources m ON m.rid = c.rid
			JOIN idx_reference x ON x.rid = c.rid
			JOIN resources t ON t.type = x.target_type AND t.id = x.target_id
			WHERE `+cond+` AND t.rid > ? AND `+memberTypes+` AND t.type IN `+in(q.RefTypes, &args))
	}
	conds := []string{"r.deleted = 0"}
	if !q.Since.IsZero() {
		conds = append(conds, "r.updated >= ?")
		args = append(args, q.Since.UnixMicro())
	}
	args = append(args, q.Count+1)
	sql := `SELECT r.rid, r.type, r.id, r.version, r.updated, r.body FROM resources r
		WHERE r.rid IN (` + strings.Join(parts, " UNION ") + `) AND ` + strings.Join(conds, " AND ") + `
		ORDER BY r.rid LIMIT ?`
	rows, err := s.reader(ctx).QueryContext(ctx, s.d.rebind(sql), s.valuePlanned(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		if len(page.Resources) == q.Count {
			page.Next = last
			break
		}
		r := &Resource{}
		var updated int64
		if err := rows.Scan(&last, &r.Type, &r.ID, &r.Version, &updated, &r.Body); err != nil {
			return nil, err
		}
		r.Updated = time.UnixMicro(updated).UTC()
		page.Resources = append(page.Resources, r)
	}
	return page, rows.Err()
}
