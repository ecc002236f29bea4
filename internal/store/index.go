package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// insertIndex writes the search index and compartment rows of a resource,
// one multi-row INSERT per table.
func (s *Store) insertIndex(ctx context.Context, tx *sql.Tx, rid int64, p *prepared) error {
	if err := s.resolveVia(ctx, tx, p); err != nil {
		return err
	}
	ins := newIndexBatch(s, ctx, tx)
	s.addIndex(ins, rid, p)
	return ins.flush()
}

// resolveVia adds to a Linked resource's patients those of the resources
// its links name (Binary securityContext → DocumentReference), as the
// transaction sees them. Bulk imports do not: a resource linked to its
// patients only through another resource is imported with no patient, and
// so is visible to none until it is written again.
func (s *Store) resolveVia(ctx context.Context, tx *sql.Tx, p *prepared) error {
	if len(p.via) == 0 {
		return nil
	}
	through, err := s.patientsOf(ctx, tx, p.via)
	if err != nil {
		return err
	}
	for _, pt := range through {
		if !slices.Contains(p.patients, pt) {
			p.patients = append(p.patients, pt)
		}
	}
	return nil
}

// indexBatch gathers index rows by table, so that the rows of many
// resources (an import) go out in few multi-row statements.
type indexBatch struct {
	s      *Store
	ctx    context.Context
	tx     *sql.Tx
	tables map[insertTable]*rowInserter
	order  []insertTable
}

func newIndexBatch(s *Store, ctx context.Context, tx *sql.Tx) *indexBatch {
	return &indexBatch{s: s, ctx: ctx, tx: tx, tables: map[insertTable]*rowInserter{}}
}

func (b *indexBatch) add(t insertTable, args ...any) {
	ins, ok := b.tables[t]
	if !ok {
		ins = &rowInserter{s: b.s, ctx: b.ctx, tx: b.tx}
		b.tables[t] = ins
		b.order = append(b.order, t)
	}
	ins.add(t, args...)
}

// flush writes every queued row; the first error is returned.
func (b *indexBatch) flush() error {
	for _, t := range b.order {
		if err := b.tables[t].flush(); err != nil {
			return err
		}
	}
	return nil
}

// rowSink takes rows by table: an indexBatch writes them with multi-row
// INSERTs, a copyRows gathers them for COPY.
type rowSink interface {
	add(t insertTable, args ...any)
}

// addIndex queues the search index and compartment rows of a resource.
func (s *Store) addIndex(ins rowSink, rid int64, p *prepared) {
	e := &p.entries
	for _, x := range e.Strings {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add(tString, rid, pid, x.Norm, x.Value)
		}
	}
	for _, x := range e.Tokens {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add(tToken, rid, pid, x.System, x.Code, x.Text)
		}
	}
	for _, x := range e.References {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add(tReference, rid, pid, x.TargetType, x.TargetID, x.URL)
		}
	}
	for _, x := range e.Dates {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add(tDate, rid, pid, x.Low, x.High)
		}
	}
	s.addNumbers(ins, p.typ, rid, e, spec.ParamNumber)
	s.addNumbers(ins, p.typ, rid, e, spec.ParamQuantity)
	for _, x := range e.URIs {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add(tURI, rid, pid, x.Value)
		}
	}
	for _, x := range e.Composites {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add(tComposite, compositeRow(rid, pid, &x)...)
		}
	}
	for _, patient := range p.patients {
		ins.add(tCompartment, patient, rid)
	}
}

// numbers queues the idx_number (type ParamNumber) or idx_quantity (type
// ParamQuantity) rows of a resource's entries.
func (s *Store) addNumbers(ins rowSink, typ string, rid int64, e *search.Entries, paramType spec.ParamType) {
	if paramType == spec.ParamNumber {
		for _, x := range e.Numbers {
			if pid, ok := s.params.id(typ, x.Param); ok {
				ins.add(tNumber, rid, pid, x.Value, x.Low, x.High, x.Key)
			}
		}
		return
	}
	for _, x := range e.Quantities {
		if pid, ok := s.params.id(typ, x.Param); ok {
			ins.add(tQuantity, rid, pid, x.Value, x.Low, x.High, x.System, x.Code, x.Unit, x.Key)
		}
	}
}

// insertTable is a table as a multi-row INSERT names it, with its width.
type insertTable struct {
	cols  string
	width int
}

// strict reports a table whose duplicate key is an error. Index rows are
// set-like, so a repeated one is dropped (INSERT OR IGNORE on SQLite); a
// repeated resource row is how an import learns that an id exists already.
func (t insertTable) strict() bool { return t == tResources || t == tVersions }

var (
	tString      = insertTable{"idx_string (rid, pid, norm, value)", 4}
	tToken       = insertTable{"idx_token (rid, pid, system, code, text)", 5}
	tReference   = insertTable{"idx_reference (rid, pid, target_type, target_id, url)", 5}
	tDate        = insertTable{"idx_date (rid, pid, lo, hi)", 4}
	tNumber      = insertTable{"idx_number (rid, pid, value, lo, hi, dkey)", 6}
	tQuantity    = insertTable{"idx_quantity (rid, pid, value, lo, hi, system, code, unit, dkey)", 9}
	tURI         = insertTable{"idx_uri (rid, pid, value)", 3}
	tComposite   = insertTable{"idx_composite (rid, pid, t_system, t_code, system, code, unit, value, lo, hi, d_lo, d_hi, norm, dkey)", 14}
	tCompartment = insertTable{"compartment (patient, rid)", 2}

	// tResources and tVersions take an import's resource rows with the rids
	// it allocated (see allocRIDs).
	tResources = insertTable{"resources (rid, type, id, version, updated, body)", 6}
	tVersions  = insertTable{"resource_versions (rid, version, updated, method, body)", 5}
)

// insertTables lists every insertTable, for preparing their statements.
var insertTables = []insertTable{auditRows, tResources, tVersions, tString, tToken, tReference, tDate, tNumber, tQuantity, tURI, tComposite, tCompartment}

var indexTables = []string{"idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_quantity", "idx_uri", "idx_composite", "compartment"}

func deleteIndexSQL(table string) string { return "DELETE FROM " + table + " WHERE rid = ?" }

func (s *Store) deleteIndex(ctx context.Context, tx *sql.Tx, rid int64) error {
	for _, t := range indexTables {
		if _, err := s.txExec(ctx, tx, deleteIndexSQL(t), rid); err != nil {
			return err
		}
	}
	return nil
}

// rowInserter groups rows by table and writes each table's rows with one
// statement. Rows arrive grouped by table, so a change of table flushes.
type rowInserter struct {
	s     *Store
	ctx   context.Context
	tx    *sql.Tx
	table insertTable
	rows  int
	args  []any
	err   error
}

// maxRows caps the rows of one INSERT (13 columns × 64 rows stays under
// SQLite's limit on bound parameters). Rows go out in chunks of 64, 32, …,
// 1, so each table has only seven statement shapes to prepare.
const maxRows = 64

// add queues one row; the first error is kept and returned by flush.
func (r *rowInserter) add(t insertTable, args ...any) {
	if r.err != nil {
		return
	}
	if t != r.table || r.rows == maxRows {
		if r.flush() != nil {
			return
		}
		r.table = t
	}
	r.args = append(r.args, args...)
	r.rows++
}

func (r *rowInserter) flush() error {
	for r.rows > 0 && r.err == nil {
		n := maxRows
		for n > r.rows {
			n /= 2
		}
		r.err = r.insert(n)
		r.args = r.args[n*r.table.width:]
		r.rows -= n
	}
	r.args = r.args[:0]
	return r.err
}

// insert writes the first n queued rows with one statement.
func (r *rowInserter) insert(n int) error {
	_, err := r.s.txExec(r.ctx, r.tx, insertRowsSQL(r.s.d.postgres, r.table, n), r.args[:n*r.table.width]...)
	return err
}

// insertRowsSQL is the statement inserting n rows of width columns into
// t ("idx_uri (rid, pid, value)").
func insertRowsSQL(postgres bool, t insertTable, n int) string {
	table, width := t.cols, t.width
	var b strings.Builder
	if postgres || t.strict() {
		b.WriteString("INSERT INTO ")
	} else {
		// Index tables are keyed on the whole row in SQLite: an entry
		// repeated with a different display text is one row.
		b.WriteString("INSERT OR IGNORE INTO ")
	}
	b.WriteString(table)
	b.WriteString(" VALUES ")
	row := "(" + strings.Repeat("?,", width-1) + "?)"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	if table == tCompartment.cols && postgres {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	return b.String()
}
