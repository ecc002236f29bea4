package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// On PostgreSQL every statement is a round trip to the database: a create
// written statement by statement (the resource, its version, a multi-row
// INSERT per index table, the audit row) took about a dozen, an update
// twenty, and the database on the same small machine spent more of its time
// answering messages than writing. Here a create or an update is one
// statement: data-modifying WITH queries, the index rows of each table
// passed as one array a column and spread by unnest. The statement's text
// does not depend on the resource (a table without rows gets empty
// arrays), so the driver prepares it once per connection.

// pgIndexTables are the tables whose rows a one-statement write passes as
// arrays, each with the PostgreSQL types of its columns after rid.
var pgIndexTables = []struct {
	t     insertTable
	types []string
}{
	{tString, []string{"bigint", "text", "text"}},
	{tToken, []string{"bigint", "text", "text", "text"}},
	{tReference, []string{"bigint", "text", "text", "text"}},
	{tDate, []string{"bigint", "bigint", "bigint"}},
	{tNumber, []string{"bigint", "float8", "float8", "float8", "text"}},
	{tQuantity, []string{"bigint", "float8", "float8", "float8", "text", "text", "text", "text"}},
	{tURI, []string{"bigint", "text"}},
	{tComposite, []string{"bigint", "text", "text", "text", "text", "text", "float8", "float8", "float8", "bigint", "bigint", "text", "text"}},
}

// The statements, built once from the tables above.
var (
	sqlCreatePG  = pgWriteSQL(false)
	sqlReplacePG = pgWriteSQL(true)
)

// pgWriteSQL builds the one-statement create (replace false) or update.
//
// Create: $1–$5 are the resource row (type, id, version, updated, body),
// $6 the version's method, $7 the patients (text[]), $8–$20 the audit row,
// then the index arrays. The new rid is the statement's result.
//
// Replace: $1 is the rid, $2 the version replaced; $3–$5 the new version,
// updated and body, $6 the method, $7 the patients, $8–$20 the audit row,
// then the index arrays. The result is the rid when the resource row was
// still at the version replaced, no row when another writer got in between;
// then every part (each conditional on the resource row written) writes
// nothing, so the statement may share a transaction with other writes (see
// pipelineUpdates). Every part reads the snapshot
// the statement started with: the version row keeps the bytes the
// resource row held before this update replaces them, and the DELETEs see
// only the old index rows, never the ones inserted beside them. Compartment
// rows have a key, so only those the new version no longer names go, and
// the others are inserted unless present.
func pgWriteSQL(replace bool) string {
	var b strings.Builder
	n := 20 // parameters before the index arrays
	if replace {
		b.WriteString(`WITH r AS (UPDATE resources SET version = $3, updated = $4, deleted = 0, body = $5 WHERE rid = $1 AND version = $2 RETURNING rid),
keep AS (UPDATE resource_versions SET body = (SELECT body FROM resources WHERE rid = $1)
	WHERE rid = $1 AND version = $2 AND deleted = 0 AND length(body) = 0 AND rid IN (SELECT rid FROM r)),
v AS (INSERT INTO resource_versions (rid, version, updated, deleted, method, body) SELECT rid, $3, $4, 0, $6, '\x'::bytea FROM r)`)
		for _, it := range pgIndexTables {
			name, _ := it.t.copyTarget()
			fmt.Fprintf(&b, ",\ndel_%s AS (DELETE FROM %s WHERE rid = $1 AND rid IN (SELECT rid FROM r))", name, name)
		}
		b.WriteString(",\ndel_compartment AS (DELETE FROM compartment WHERE rid = $1 AND patient <> ALL($7::text[]) AND rid IN (SELECT rid FROM r))")
	} else {
		b.WriteString(`WITH r AS (INSERT INTO resources (type, id, version, updated, deleted, body) VALUES ($1, $2, $3, $4, 0, $5) RETURNING rid),
v AS (INSERT INTO resource_versions (rid, version, updated, deleted, method, body) SELECT rid, $3, $4, 0, $6, '\x'::bytea FROM r)`)
	}
	b.WriteString(",\nc AS (INSERT INTO compartment (patient, rid) SELECT p, r.rid FROM r, unnest($7::text[]) p ON CONFLICT DO NOTHING)")
	b.WriteString(",\na AS (INSERT INTO audit_log (at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail) SELECT $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20 FROM r)")
	for _, it := range pgIndexTables {
		name, cols := it.t.copyTarget()
		args := make([]string, len(it.types))
		for i, typ := range it.types {
			n++
			args[i] = "$" + strconv.Itoa(n) + "::" + typ + "[]"
		}
		fmt.Fprintf(&b, ",\nins_%s AS (INSERT INTO %s (%s) SELECT r.rid, u.* FROM r, unnest(%s) u)",
			name, name, strings.Join(cols, ", "), strings.Join(args, ", "))
	}
	b.WriteString("\nSELECT rid FROM r")
	return b.String()
}

// pgColumns gathers a resource's index rows as one slice a column, the
// rid left out: the statement takes it from the row it writes.
type pgColumns struct {
	cols     map[insertTable][]any
	patients []string
}

func (c *pgColumns) add(t insertTable, args ...any) {
	if t == tCompartment {
		c.patients = append(c.patients, args[0].(string))
		return
	}
	cols, ok := c.cols[t]
	if !ok {
		cols = make([]any, len(args)-1)
		c.cols[t] = cols
	}
	for i, v := range args[1:] {
		switch x := v.(type) {
		case int64:
			s, _ := cols[i].([]int64)
			cols[i] = append(s, x)
		case float64:
			s, _ := cols[i].([]float64)
			cols[i] = append(s, x)
		case string:
			s, _ := cols[i].([]string)
			cols[i] = append(s, x)
		default:
			panic(fmt.Sprintf("store: index column of type %T", v))
		}
	}
}

// pgWriteArgs are the arguments of sqlCreatePG or sqlReplacePG after the
// first five.
func (s *Store) pgWriteArgs(ctx context.Context, p *prepared, method, action string) []any {
	c := &pgColumns{cols: map[insertTable][]any{}}
	s.addIndex(c, 0, p)
	patients := c.patients
	if patients == nil {
		patients = []string{}
	}
	ev := AuditEvent{At: time.UnixMicro(p.updated), RequestInfo: RequestFrom(ctx), Action: action, Type: p.typ, ResID: p.id,
		Patient: strings.Join(p.patients, ",")}
	args := append([]any{method, patients}, auditArgs(ev)...)
	for _, it := range pgIndexTables {
		cols := c.cols[it.t]
		for i := range it.types {
			if cols == nil || cols[i] == nil {
				args = append(args, nil) // no rows: unnest(NULL) is none
				continue
			}
			args = append(args, cols[i])
		}
	}
	return args
}

// createRow writes a new resource (prepared as p) with its version, index,
// compartment and audit rows, and returns its rid: one statement on
// PostgreSQL.
func (s *Store) createRow(ctx context.Context, tx *sql.Tx, p *prepared, method string) (int64, error) {
	if !s.d.postgres {
		rid, err := s.insertResource(ctx, tx, p, method)
		if err != nil {
			return 0, err
		}
		return rid, s.auditWrite(ctx, tx, "create", p, rid)
	}
	if err := s.resolveVia(ctx, tx, p); err != nil {
		return 0, err
	}
	var rid int64
	if err := tx.QueryRowContext(ctx, sqlCreatePG, s.pgCreateArgs(ctx, p, method)...).Scan(&rid); err != nil {
		if isUniqueViolation(err) {
			return 0, &errs.Error{Kind: errs.Conflict, Message: fmt.Sprintf("%s/%s already exists", p.typ, p.id), Err: err}
		}
		return 0, err
	}
	return rid, nil
}

// pgCreateArgs are the arguments of sqlCreatePG for p.
func (s *Store) pgCreateArgs(ctx context.Context, p *prepared, method string) []any {
	return append([]any{p.typ, p.id, p.version, p.updated, p.body}, s.pgWriteArgs(ctx, p, method, "create")...)
}

// replaceRow writes p as the new version of the resource whose current
// version, locked by the caller, is cur, with its audit row: one statement
// on PostgreSQL. errRaced when the resource is no longer at cur.
func (s *Store) replaceRow(ctx context.Context, tx *sql.Tx, p *prepared, cur *head, method string) error {
	s.changedInWrite(tx, p.typ, p.id)
	if !s.d.postgres {
		if err := s.replaceResource(ctx, tx, p, cur, method); err != nil {
			return err
		}
		return s.auditWrite(ctx, tx, "update", p, cur.rid)
	}
	if err := s.resolveVia(ctx, tx, p); err != nil {
		return err
	}
	var rid int64
	err := tx.QueryRowContext(ctx, sqlReplacePG, s.pgReplaceArgs(ctx, p, cur, method)...).Scan(&rid)
	if errors.Is(err, sql.ErrNoRows) {
		return errRaced
	}
	return err
}

// pgReplaceArgs are the arguments of sqlReplacePG writing p over cur.
func (s *Store) pgReplaceArgs(ctx context.Context, p *prepared, cur *head, method string) []any {
	return append([]any{cur.rid, cur.version, p.version, p.updated, p.body}, s.pgWriteArgs(ctx, p, method, "update")...)
}

// valuePlanned marks the arguments of a query whose best plan depends on
// its values: a search, a count of matches, a page of history or of a
// patient's records. On PostgreSQL it then runs as an unnamed statement,
// which is planned for the values it is given every time (a generic plan,
// which other statements may settle on, can be a hundred times slower for
// the values it did not guess); its description is cached, so it is still
// one round trip.
func (s *Store) valuePlanned(args []any) []any {
	if s.valuePlan == nil {
		return args
	}
	return append([]any{s.valuePlan}, args...)
}
