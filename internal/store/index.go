package store

import (
	"context"
	"database/sql"
	"strings"
)

// insertIndex writes the search index and compartment rows of a resource,
// one multi-row INSERT per table.
func (s *Store) insertIndex(ctx context.Context, tx *sql.Tx, rid int64, p *prepared) error {
	e := &p.entries
	ins := rowInserter{s: s, ctx: ctx, tx: tx}
	for _, x := range e.Strings {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_string (rid, pid, norm, value)", 4, rid, pid, x.Norm, x.Value)
		}
	}
	for _, x := range e.Tokens {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_token (rid, pid, system, code, text)", 5, rid, pid, x.System, x.Code, x.Text)
		}
	}
	for _, x := range e.References {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_reference (rid, pid, target_type, target_id, url)", 5, rid, pid, x.TargetType, x.TargetID, x.URL)
		}
	}
	for _, x := range e.Dates {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_date (rid, pid, lo, hi)", 4, rid, pid, x.Low, x.High)
		}
	}
	for _, x := range e.Numbers {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_number (rid, pid, value, lo, hi)", 5, rid, pid, x.Value, x.Low, x.High)
		}
	}
	for _, x := range e.Quantities {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_quantity (rid, pid, value, lo, hi, system, code, unit)", 8, rid, pid, x.Value, x.Low, x.High, x.System, x.Code, x.Unit)
		}
	}
	for _, x := range e.URIs {
		if pid, ok := s.params.id(p.typ, x.Param); ok {
			ins.add("idx_uri (rid, pid, value)", 3, rid, pid, x.Value)
		}
	}
	for _, patient := range p.patients {
		ins.add("compartment (patient, rid)", 2, patient, rid)
	}
	return ins.flush()
}

var indexTables = []string{"idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_quantity", "idx_uri", "compartment"}

func (s *Store) deleteIndex(ctx context.Context, tx *sql.Tx, rid int64) error {
	for _, t := range indexTables {
		if _, err := tx.ExecContext(ctx, s.d.rebind("DELETE FROM "+t+" WHERE rid = ?"), rid); err != nil {
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
	table string
	width int
	rows  int
	args  []any
	err   error
}

// maxArgs keeps statements under SQLite's and PostgreSQL's limits on bound
// parameters.
const maxArgs = 900

// add queues one row; the first error is kept and returned by flush.
func (r *rowInserter) add(table string, width int, args ...any) {
	if r.err != nil {
		return
	}
	if table != r.table || len(r.args)+width > maxArgs {
		if r.flush() != nil {
			return
		}
		r.table, r.width = table, width
	}
	r.args = append(r.args, args...)
	r.rows++
}

func (r *rowInserter) flush() error {
	if r.rows == 0 || r.err != nil {
		return r.err
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(r.table)
	b.WriteString(" VALUES ")
	row := "(" + strings.Repeat("?,", r.width-1) + "?)"
	for i := 0; i < r.rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	if r.table == "compartment (patient, rid)" {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	_, r.err = r.tx.ExecContext(r.ctx, r.s.d.rebind(b.String()), r.args...)
	r.rows, r.args = 0, r.args[:0]
	return r.err
}
