package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// ExportScan selects the resources of one type for a bulk export.
type ExportScan struct {
	Type string

	// Confined limits the scan to the compartments of Patients (a Group's
	// members, the patient parameter); with no patients it selects nothing.
	Confined bool
	Patients []string
	// Via, with Confined, also selects resources that refer through this
	// reference parameter to a resource in the compartments: Provenance
	// ("target") attests records of a patient without naming the patient.
	Via string

	// Since, when set, keeps only resources changed after it.
	Since time.Time
	// Until is the export's transaction time: each resource is exported as
	// it was then, and resources created after it are left out. Zero means
	// now.
	Until time.Time

	// Filters narrow the scan: each entry is a list of clause groups of
	// which a resource must match one (a _typeFilter's queries, a granular
	// scope's filters); every entry must hold. Filters apply to the current
	// version, which is what the search index holds.
	Filters [][][]search.Clause

	// After resumes the scan after this row id (0 from the start).
	After int64

	// PageSize is how many rows one query reads (default 1000); memory
	// holds at most one page, whatever the size of the export.
	PageSize int
}

// ExportRow is one resource of a scan. Body is the resource as it was at
// the scan's Until; RID is the position to resume after.
type ExportRow struct {
	RID     int64
	ID      string
	Updated time.Time
	Body    []byte
}

// MaxExportPatients caps how many patients one confined scan may name: the
// list is bound as query arguments, and both databases limit their number.
const MaxExportPatients = 30000

type exportCandidate struct {
	rid, updated int64
	id           string
	deleted      bool
	body         []byte
}

// ScanExport calls fn for every selected resource in row id order, reading
// a page at a time. Row ids only grow, so a scan resumed with After set to
// the last RID handed to fn continues exactly where it stopped.
func (s *Store) ScanExport(ctx context.Context, q ExportScan, fn func(ExportRow) error) error {
	if q.Confined && len(q.Patients) == 0 {
		return nil
	}
	if len(q.Patients) > MaxExportPatients {
		return errs.E(errs.Invalid, "an export may cover at most %d patients", MaxExportPatients)
	}
	if q.PageSize <= 0 {
		q.PageSize = 1000
	}
	ctx, err := s.replica.asOfPrimary(ctx)
	if err != nil {
		return err
	}
	until := q.Until
	if until.IsZero() {
		until = s.now()
	}
	untilUS := until.UTC().UnixMicro()
	b := &sqlBuilder{s: s, typ: q.Type}
	for _, groups := range q.Filters {
		if err := b.anyOf(groups); err != nil {
			return err
		}
	}
	if q.Confined {
		marks := strings.Repeat("?, ", len(q.Patients))
		args := make([]any, len(q.Patients))
		for i, p := range q.Patients {
			args[i] = p
		}
		in := "c.patient IN (" + marks[:len(marks)-2] + ")"
		if q.Via == "" {
			b.where("EXISTS (SELECT 1 FROM compartment c WHERE c.rid = r.rid AND "+in+")", args...)
		} else {
			via, ok := s.params.rows(q.Type, q.Via)
			if !ok {
				return errs.Field(q.Via, "parameter is not indexed")
			}
			viaCond, viaArgs := via.cond("x.")
			// The patient list is bound once: the resource itself and the
			// targets of its references are one set of row ids to probe.
			b.where(`EXISTS (SELECT 1 FROM compartment c WHERE `+in+` AND c.rid IN (
				SELECT r.rid UNION ALL
				SELECT t.rid FROM idx_reference x JOIN resources t ON t.type = x.target_type AND t.id = x.target_id
				WHERE x.rid = r.rid AND `+viaCond+`))`, append(args, viaArgs...)...)
		}
	}
	where, whereArgs := b.sql()
	var sinceUS int64 = -1 << 62
	if !q.Since.IsZero() {
		sinceUS = q.Since.UTC().UnixMicro()
	}
	// A resource changed after Until may have had an earlier version at
	// Until, so neither its deletion nor its time rule it out here; the
	// version it had is looked up below.
	query := `SELECT r.rid, r.id, r.updated, r.deleted, r.body FROM resources r
		WHERE r.type = ? AND r.rid > ? AND (r.deleted = 0 OR r.updated > ?)`
	fixed := []any{q.Type, nil, untilUS}
	if !q.Since.IsZero() {
		query += " AND r.updated > ?"
		fixed = append(fixed, sinceUS)
	}
	if where != "" {
		query += " AND " + where
	}
	query = s.d.rebind(query + ` ORDER BY r.rid LIMIT ?`)
	after := q.After
	page := make([]exportCandidate, 0, q.PageSize)
	for {
		page = page[:0]
		fixed[1] = after
		args := append(append([]any{}, fixed...), whereArgs...)
		args = append(args, q.PageSize)
		rows, err := s.replica.QueryContext(ctx, query, s.valuePlanned(args)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c exportCandidate
			var deleted int64
			if err := rows.Scan(&c.rid, &c.id, &c.updated, &deleted, &c.body); err != nil {
				rows.Close()
				return err
			}
			c.deleted = deleted != 0
			page = append(page, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range page {
			c := &page[i]
			if c.updated > untilUS {
				if err := s.versionAt(ctx, c, untilUS); err != nil {
					return err
				}
			}
			if c.deleted || c.updated <= sinceUS {
				continue
			}
			if err := fn(ExportRow{RID: c.rid, ID: c.id, Updated: time.UnixMicro(c.updated).UTC(), Body: c.body}); err != nil {
				return err
			}
		}
		if len(page) < q.PageSize {
			return nil
		}
		after = page[len(page)-1].rid
	}
}

// versionAt replaces c's state by that of its latest version at or before
// until; a resource that did not exist then counts as deleted.
func (s *Store) versionAt(ctx context.Context, c *exportCandidate, until int64) error {
	var deleted int64
	err := s.replica.QueryRowContext(ctx, s.d.rebind(`SELECT v.updated, v.deleted, `+versionBody+` FROM resource_versions v
		JOIN resources r ON r.rid = v.rid
		WHERE v.rid = ? AND v.updated <= ? ORDER BY v.version DESC LIMIT 1`), c.rid, until).Scan(&c.updated, &deleted, &c.body)
	if errors.Is(err, sql.ErrNoRows) {
		c.deleted = true
		return nil
	}
	c.deleted = deleted != 0
	return err
}

// DeletedRow is a resource deleted within an export's window.
type DeletedRow struct {
	RID       int64
	ID        string
	DeletedAt time.Time
}

// ScanDeleted calls fn for every resource of the type that is deleted now
// and was deleted after since and at or before until, in row id order from
// after, a page at a time.
func (s *Store) ScanDeleted(ctx context.Context, rtype string, since, until time.Time, after int64, pageSize int, fn func(DeletedRow) error) error {
	if pageSize <= 0 {
		pageSize = 1000
	}
	ctx, err := s.replica.asOfPrimary(ctx)
	if err != nil {
		return err
	}
	query := s.d.rebind(`SELECT rid, id, updated FROM resources WHERE type = ? AND deleted = 1 AND updated > ? AND updated <= ? AND rid > ?
		ORDER BY rid LIMIT ?`)
	page := make([]DeletedRow, 0, pageSize)
	for {
		page = page[:0]
		rows, err := s.replica.QueryContext(ctx, query, s.valuePlanned([]any{rtype, since.UTC().UnixMicro(), until.UTC().UnixMicro(), after, pageSize})...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d DeletedRow
			var at int64
			if err := rows.Scan(&d.RID, &d.ID, &at); err != nil {
				rows.Close()
				return err
			}
			d.DeletedAt = time.UnixMicro(at).UTC()
			page = append(page, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range page {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].RID
	}
}
