package store

import (
	"context"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// HistoryQuery selects versions for a history interaction. An empty ID asks
// for the history of the whole type, and an empty Type for the history of
// the whole system, limited to Types.
type HistoryQuery struct {
	Type string
	// Types limits a system history (Type empty) to the types the caller
	// may see; nil is every type, an empty list none.
	Types       []string
	ID          string
	Since       time.Time // only versions at or after Since (zero: all)
	Count       int
	Before      int64 // paging: versions changed before this instant (Unix µs), exclusive, with BeforeRID/BeforeVersion as tie-breaks
	BeforeRID   int64
	BeforeVer   int64
	Compartment search.Compartment
}

// HistoryPage is one page of versions, newest first.
type HistoryPage struct {
	Versions []*Resource
	// More is set when older versions follow; NextBefore* hold the position.
	More                                     bool
	NextBefore, NextBeforeRID, NextBeforeVer int64
}

// History lists versions newest first.
func (s *Store) History(ctx context.Context, q HistoryQuery) (*HistoryPage, error) {
	if q.Count <= 0 {
		q.Count = search.DefaultCount
	}
	q.Count = min(q.Count, search.MaxCount)
	var conds []string
	var args []any
	switch {
	case q.Type != "":
		conds = append(conds, "r.type = ?")
		args = append(args, q.Type)
	case q.Types != nil:
		if len(q.Types) == 0 {
			return &HistoryPage{}, nil
		}
		conds = append(conds, "r.type IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Types)), ",")+")")
		for _, t := range q.Types {
			args = append(args, t)
		}
	default:
		conds = append(conds, "1 = 1")
	}
	if q.ID != "" {
		// An unknown resource has no history: 404, not an empty bundle.
		if _, err := s.Read(ctx, q.Type, q.ID, q.Compartment); err != nil && errs.KindOf(err) != errs.Gone {
			return nil, err
		}
		conds = append(conds, "r.id = ?")
		args = append(args, q.ID)
	}
	if q.Compartment.Restricted {
		conds = append(conds, "r.rid IN (SELECT rid FROM compartment WHERE patient = ?)")
		args = append(args, q.Compartment.Patient)
	}
	if !q.Since.IsZero() {
		conds = append(conds, "v.updated >= ?")
		args = append(args, q.Since.UnixMicro())
	}
	if q.Before != 0 {
		conds = append(conds, "(v.updated < ? OR (v.updated = ? AND (v.rid < ? OR (v.rid = ? AND v.version < ?))))")
		args = append(args, q.Before, q.Before, q.BeforeRID, q.BeforeRID, q.BeforeVer)
	}
	sql := `SELECT v.rid, r.type, r.id, v.version, v.updated, v.deleted, v.method, ` + versionBody + ` FROM resource_versions v
		JOIN resources r ON r.rid = v.rid WHERE ` + strings.Join(conds, " AND ") +
		` ORDER BY v.updated DESC, v.rid DESC, v.version DESC LIMIT ?`
	args = append(args, q.Count+1)
	rows, err := s.reader(ctx).QueryContext(ctx, s.d.rebind(sql), s.valuePlanned(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &HistoryPage{}
	var lastRID int64
	for rows.Next() {
		r := &Resource{}
		var rid, updated, deleted int64
		if err := rows.Scan(&rid, &r.Type, &r.ID, &r.Version, &updated, &deleted, &r.Method, &r.Body); err != nil {
			return nil, err
		}
		r.Updated = time.UnixMicro(updated).UTC()
		r.Deleted = deleted != 0
		if r.Deleted {
			r.Body = nil
		}
		if len(page.Versions) == q.Count {
			prev := page.Versions[len(page.Versions)-1]
			page.More = true
			page.NextBefore, page.NextBeforeRID, page.NextBeforeVer = prev.Updated.UnixMicro(), lastRID, prev.Version
			break
		}
		page.Versions = append(page.Versions, r)
		lastRID = rid
	}
	return page, rows.Err()
}
