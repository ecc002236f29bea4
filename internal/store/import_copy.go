package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/emedpractice/emp/internal/errs"
)

// importCopy is Import on PostgreSQL: the batch's rows go in with COPY, a
// table at a time, in one transaction. COPY streams rows without parsing or
// planning a statement per chunk; an INSERT of the same rows costs the
// database server several times the CPU, and on a small machine the
// database server shares the cores with the load.
func (s *Store) importCopy(ctx context.Context, prepped []*prepared, summary *prepared) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := pgxConn(dc)
		if !ok {
			return fmt.Errorf("store: import: unexpected driver connection %T", dc)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		rids, err := copyRIDs(ctx, tx, len(prepped))
		if err != nil {
			return err
		}
		rows := newCopyRows()
		for i, p := range prepped {
			rows.add(tResources, rids[i], p.typ, p.id, p.version, p.updated, p.body)
			rows.add(tVersions, rids[i], p.version, p.updated, "POST", noBody)
			s.addIndex(rows, rids[i], p)
		}
		for _, t := range rows.order {
			name, cols := t.copyTarget()
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{name}, cols, pgx.CopyFromRows(rows.byTable[t])); err != nil {
				return fmt.Errorf("copy %s: %w", name, err)
			}
		}
		ev := AuditEvent{At: time.UnixMicro(summary.updated), RequestInfo: RequestFrom(ctx), Action: "import"}
		if _, err := tx.Exec(ctx, s.d.rebind(insertAudit), auditArgs(ev)...); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if isUniqueViolation(err) {
		return &errs.Error{Kind: errs.Conflict, Message: "a resource in the import exists already", Err: err}
	}
	return err
}

// copyRIDs reserves n row ids from the resources identity sequence.
func copyRIDs(ctx context.Context, tx pgx.Tx, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('resources', 'rid')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// copyRows gathers rows by table for COPY. COPY cannot skip a duplicate
// the way INSERT … ON CONFLICT DO NOTHING does, so the compartment rows, the
// only ones with a key of their own, are made unique here.
type copyRows struct {
	order       []insertTable
	byTable     map[insertTable][][]any
	compartment map[compartmentKey]bool
}

type compartmentKey struct {
	patient string
	rid     int64
}

func newCopyRows() *copyRows {
	return &copyRows{byTable: map[insertTable][][]any{}, compartment: map[compartmentKey]bool{}}
}

func (c *copyRows) add(t insertTable, args ...any) {
	if t == tCompartment {
		k := compartmentKey{args[0].(string), args[1].(int64)}
		if c.compartment[k] {
			return
		}
		c.compartment[k] = true
	}
	if _, ok := c.byTable[t]; !ok {
		c.order = append(c.order, t)
	}
	c.byTable[t] = append(c.byTable[t], args)
}

// copyTarget splits "idx_uri (rid, pid, value)" into the table and its
// columns.
func (t insertTable) copyTarget() (string, []string) {
	name, list, _ := strings.Cut(t.cols, " (")
	return name, strings.Split(strings.TrimSuffix(list, ")"), ", ")
}
