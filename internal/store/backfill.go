package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// A migration that adds an index table leaves the resources written before
// it without rows there. It records the table in index_backfill, and
// opening the store fills it: backfillComposites walks the current
// resources of the types concerned in rid order, a batch per transaction,
// writing each one's rows (after deleting any, so a resource written since
// by the new code, or a batch repeated after a crash, ends the same) and
// the rid it reached. The row goes when the walk ends, so the walk runs
// once; a start cut short resumes where it stopped.
//
// Each batch locks its progress row, and on PostgreSQL the resource rows it
// reads: nodes starting together take batches in turn, and a resource
// updated by another node meanwhile is either read after that update
// committed or written after the batch's, never indexed from a stale body.

// backfillBatch is how many resources one backfill transaction indexes.
const backfillBatch = 500

// backfillIndexes fills idx_composite and compartment as index_backfill
// asks: the walk 'idx_composite' covers every type with a composite
// parameter, 'idx_composite:Type' one type whose composites changed, and
// 'compartment:linked' the types outside the patient compartment whose
// references now tie them to patients (spec.Linked).
func (s *Store) backfillIndexes(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `SELECT name FROM index_backfill WHERE name LIKE 'idx\_composite%' ESCAPE '\' OR name LIKE 'decimal:%' OR name = 'compartment:linked' ORDER BY name`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The server asks for the reindex of absolute references once it
	// knows its bases; a new database has nothing to reindex.
	if _, err := s.clearBackfillIfEmpty(ctx, reindexName); err != nil {
		return err
	}
	for _, name := range names {
		var err error
		if name == "compartment:linked" {
			err = s.backfillLinked(ctx, name)
		} else if table, ok := strings.CutPrefix(name, "decimal:"); ok {
			err = s.backfillDecimals(ctx, name, table)
		} else {
			err = s.backfillComposites(ctx, name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// backfillLinked writes the compartment rows of the Linked types' resources
// stored before they were confined.
func (s *Store) backfillLinked(ctx context.Context, name string) error {
	if empty, err := s.clearBackfillIfEmpty(ctx, name); err != nil || empty {
		return err
	}
	var types []string
	for _, t := range spec.ResourceTypes() {
		if spec.ConfinementOf(t) == spec.Linked {
			types = append(types, t)
		}
	}
	s.log.Info("store: linking resources outside the patient compartment to their patients")
	total := 0
	for {
		n, done, err := s.backfillBatch(ctx, name, ofTypes(types), "compartment", s.linkedRows)
		if err != nil {
			return fmt.Errorf("compartment backfill: %w", err)
		}
		total += n
		if done {
			break
		}
	}
	s.log.Info("store: resources outside the patient compartment linked", "resources", total)
	return s.announceFlush(ctx) // compartment rows added to resources other nodes may hold
}

// linkedRows queues the compartment rows of one Linked resource.
func (s *Store) linkedRows(ctx context.Context, tx *sql.Tx, ins *indexBatch, r backfillRow, res fhirjson.Object) error {
	id, _ := res["id"].(string)
	entries := search.ExtractLocal(r.typ, res, s.local)
	patients, via := compartmentOf(r.typ, id, res, &entries, s.local)
	through, err := s.patientsOf(ctx, tx, via)
	if err != nil {
		return err
	}
	for _, pt := range append(patients, through...) {
		ins.add(tCompartment, pt, r.rid)
	}
	return nil
}

// compositeRows queues the composite index rows of one resource.
func (s *Store) compositeRows(_ context.Context, _ *sql.Tx, ins *indexBatch, r backfillRow, res fhirjson.Object) error {
	for _, x := range search.ExtractComposites(r.typ, res) {
		if pid, ok := s.params.id(r.typ, x.Param); ok {
			ins.add(tComposite, compositeRow(r.rid, pid, &x)...)
		}
	}
	return nil
}

// backfillDecimals rewrites the rows of idx_number or idx_quantity (table)
// of the resources stored before those rows had exact decimal keys.
func (s *Store) backfillDecimals(ctx context.Context, name, table string) error {
	var paramType spec.ParamType
	switch table {
	case "idx_number":
		paramType = spec.ParamNumber
	case "idx_quantity":
		paramType = spec.ParamQuantity
	default:
		return fmt.Errorf("store: unknown backfill %q", name)
	}
	if empty, err := s.clearBackfillIfEmpty(ctx, name); err != nil || empty {
		return err
	}
	var types []string
	for _, t := range spec.ResourceTypes() {
		for _, p := range spec.SearchParams(t) {
			if p.Type == paramType && len(p.RowsOf) == 0 && len(p.Paths) > 0 {
				types = append(types, t)
				break
			}
		}
	}
	s.log.Info("store: writing exact decimal keys of existing resources", "table", table)
	total := 0
	for {
		n, done, err := s.backfillBatch(ctx, name, ofTypes(types), table, func(_ context.Context, _ *sql.Tx, ins *indexBatch, r backfillRow, res fhirjson.Object) error {
			e := search.ExtractLocal(r.typ, res, s.local)
			s.addNumbers(ins, r.typ, r.rid, &e, paramType)
			return nil
		})
		if err != nil {
			return fmt.Errorf("decimal backfill of %s: %w", table, err)
		}
		total += n
		if done {
			break
		}
	}
	s.log.Info("store: exact decimal keys written", "table", table, "resources", total)
	return nil
}

// backfillRow is one resource a backfill walk indexes.
type backfillRow struct {
	rid  int64
	typ  string
	body []byte
}

func (s *Store) backfillComposites(ctx context.Context, name string) error {
	if empty, err := s.clearBackfillIfEmpty(ctx, name); err != nil || empty {
		return err
	}
	types := search.CompositeTypes()
	if _, only, ok := strings.Cut(name, ":"); ok {
		types = []string{only}
	}
	s.log.Info("store: indexing composite search parameters of existing resources", "types", strings.Join(types, ","))
	total := 0
	for {
		n, done, err := s.backfillBatch(ctx, name, ofTypes(types), "idx_composite", s.compositeRows)
		if err != nil {
			return fmt.Errorf("composite index backfill: %w", err)
		}
		total += n
		if done {
			break
		}
	}
	s.log.Info("store: composite search parameters indexed", "resources", total)
	return nil
}

// clearBackfillIfEmpty ends the walk name at once, quietly, when the store
// holds no resource (a new database runs every migration).
func (s *Store) clearBackfillIfEmpty(ctx context.Context, name string) (bool, error) {
	var any int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM resources LIMIT 1) r`).Scan(&any); err != nil || any != 0 {
		return false, err
	}
	return true, s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM index_backfill WHERE name = ?`), name)
		return err
	})
}

// batchSelect picks the resources of a walk after the rid it reached: the
// resources of types, or, when where is set, those its condition on r
// picks (with its arguments).
type batchSelect struct {
	types []string
	where func(after int64) (cond string, args []any)
}

func ofTypes(types []string) batchSelect { return batchSelect{types: types} }

// backfillBatch indexes the next batch of the walk name into table, with
// rows queuing each resource's rows; done reports the walk finished (its
// progress row removed). With table empty, rows clears what it replaces.
func (s *Store) backfillBatch(ctx context.Context, name string, sel batchSelect, table string,
	rowsOf func(context.Context, *sql.Tx, *indexBatch, backfillRow, fhirjson.Object) error) (n int, done bool, err error) {
	lock, lockRows := "", ""
	if s.d.postgres {
		lock, lockRows = " FOR UPDATE", " FOR UPDATE OF r"
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		n, done = 0, false
		var after int64
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT after_rid FROM index_backfill WHERE name = ?`+lock), name).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			done = true // another node finished the walk
			return nil
		}
		if err != nil {
			return err
		}
		var cond string
		var args []any
		if sel.where != nil {
			cond, args = sel.where(after)
		} else {
			cond = "r.rid > ? AND r.type IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(sel.types)), ", ") + ")"
			args = []any{after}
			for _, t := range sel.types {
				args = append(args, t)
			}
		}
		args = append(args, backfillBatch)
		rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT r.rid, r.type, r.body FROM resources r
			WHERE `+cond+` AND r.deleted = 0 ORDER BY r.rid LIMIT ?`+lockRows), args...)
		if err != nil {
			return err
		}
		var batch []backfillRow
		for rows.Next() {
			var r backfillRow
			if err := rows.Scan(&r.rid, &r.typ, &r.body); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM index_backfill WHERE name = ?`), name)
			done = true
			return err
		}
		// What a write since the migration or a repeated batch left is
		// cleared first. A walk of every composite type owns the whole
		// range of idx_composite (deleted resources lose their index
		// rows, other types have none): one range delete. A walk of one
		// type, or of a table other types have rows in (compartment),
		// clears its batch's resources alone.
		last := batch[len(batch)-1].rid
		switch {
		case table == "":
		case len(sel.types) == 1 || table != "idx_composite":
			rids := make([]any, len(batch))
			for i, r := range batch {
				rids[i] = r.rid
			}
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(rids)), ", ")
			if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM `+table+` WHERE rid IN (`+marks+`)`), rids...); err != nil {
				return err
			}
		default:
			if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM `+table+` WHERE rid > ? AND rid <= ?`), after, last); err != nil {
				return err
			}
		}
		ins := newIndexBatch(s, ctx, tx)
		for _, r := range batch {
			res, err := fhirjson.Decode(r.body)
			if err != nil {
				return fmt.Errorf("%s rid %d: %w", r.typ, r.rid, err)
			}
			if err := rowsOf(ctx, tx, ins, r, res); err != nil {
				return err
			}
		}
		if err := ins.flush(); err != nil {
			return err
		}
		n = len(batch)
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE index_backfill SET after_rid = ? WHERE name = ?`), last, name)
		return err
	})
	return n, done, err
}
