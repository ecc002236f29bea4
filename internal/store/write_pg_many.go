package store

import (
	"fmt"
	"strconv"
	"strings"
)

// A batch of creates from group commit (see group_commit.go) used to go to
// PostgreSQL as one statement a create, pipelined: one round trip and one
// commit, but the database still started, ran and finished a dozen-table
// statement for every create, and that was most of what a create cost it.
// Here the whole batch is one statement: the creates' resource rows, audit
// rows and index rows each passed as one array a column, every index and
// compartment row carrying the number of its create in the batch, and
// joined to the rid that create's resource row got. The statement's text
// does not depend on the batch, so it is prepared once per connection.

// sqlCreateManyPG writes a batch of creates.
var sqlCreateManyPG = pgCreateManySQL()

// pgCreateManyScalars are the PostgreSQL types of the per-create columns
// of sqlCreateManyPG, in the order of sqlCreatePG's arguments before its
// index arrays (see pgWriteSQL): the resource row (type, id, version,
// updated, body), the version's method, the patients (passed as
// compartment rows instead, so no type here), and the audit row.
var pgCreateManyScalars = []string{
	"text", "text", "bigint", "bigint", "bytea",
	"text",
	"",
	"bigint", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "bigint", "text",
}

// pgCreateManyPatients is the position of the patients among a create's
// arguments.
const pgCreateManyPatients = 6

func pgCreateManySQL() string {
	var b strings.Builder
	n := 0
	param := func(typ string) string {
		n++
		return "$" + strconv.Itoa(n) + "::" + typ + "[]"
	}
	// x: the creates, numbered; r: their resource rows; k: each create's
	// number with the rid its row got (type and id are unique).
	fmt.Fprintf(&b, `WITH x AS (SELECT * FROM unnest(%s, %s, %s, %s, %s, %s) WITH ORDINALITY AS x(type, id, version, updated, body, method, n)),
r AS (INSERT INTO resources (type, id, version, updated, deleted, body) SELECT type, id, version, updated, 0, body FROM x ORDER BY n RETURNING rid, type, id),
k AS (SELECT r.rid, x.n, x.version, x.updated, x.method FROM r JOIN x USING (type, id)),
v AS (INSERT INTO resource_versions (rid, version, updated, deleted, method, body) SELECT rid, version, updated, 0, method, '\x'::bytea FROM k)`,
		param(pgCreateManyScalars[0]), param(pgCreateManyScalars[1]), param(pgCreateManyScalars[2]),
		param(pgCreateManyScalars[3]), param(pgCreateManyScalars[4]), param(pgCreateManyScalars[5]))
	fmt.Fprintf(&b, ",\nc AS (INSERT INTO compartment (patient, rid) SELECT u.p, k.rid FROM k JOIN unnest(%s, %s) AS u(n, p) ON u.n = k.n ON CONFLICT DO NOTHING)",
		param("bigint"), param("text"))
	audit := make([]string, 0, 13)
	for _, typ := range pgCreateManyScalars[pgCreateManyPatients+1:] {
		audit = append(audit, param(typ))
	}
	fmt.Fprintf(&b, ",\na AS (INSERT INTO audit_log (at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail) SELECT * FROM unnest(%s))",
		strings.Join(audit, ", "))
	for _, it := range pgIndexTables {
		name, cols := it.t.copyTarget()
		args := []string{param("bigint")}
		names := []string{"n"}
		picks := []string{"k.rid"}
		for i, typ := range it.types {
			args = append(args, param(typ))
			c := "c" + strconv.Itoa(i+1)
			names = append(names, c)
			picks = append(picks, "u."+c)
		}
		fmt.Fprintf(&b, ",\nins_%s AS (INSERT INTO %s (%s) SELECT %s FROM k JOIN unnest(%s) AS u(%s) ON u.n = k.n)",
			name, name, strings.Join(cols, ", "), strings.Join(picks, ", "), strings.Join(args, ", "), strings.Join(names, ", "))
	}
	b.WriteString("\nSELECT count(*) FROM r")
	return b.String()
}

// pgCreateManyArgs turns the arguments of single creates (pgCreateArgs,
// one list each) into the arguments of sqlCreateManyPG: each per-create
// column an array with one element a create, and each create's
// compartment and index rows appended to their tables' arrays with the
// create's number (from 1, as WITH ORDINALITY counts).
func pgCreateManyArgs(creates [][]any) []any {
	out := make([]any, len(pgCreateManyScalars)+1) // the patients take two
	for item, args := range creates {
		n := int64(item + 1)
		o := 0
		for i, v := range args[:len(pgCreateManyScalars)] {
			if i == pgCreateManyPatients {
				patients := v.([]string)
				items, _ := out[o].([]int64)
				for range patients {
					items = append(items, n)
				}
				out[o] = items
				out[o+1] = appendColumn(out[o+1], patients)
				o += 2
				continue
			}
			out[o] = appendColumn(out[o], v)
			o++
		}
	}
	// Index tables: an item column, then the table's columns.
	pos := len(pgCreateManyScalars)
	for _, it := range pgIndexTables {
		var items []int64
		cols := make([]any, len(it.types))
		for item, args := range creates {
			rows := columnLen(args[pos])
			for range rows {
				items = append(items, int64(item+1))
			}
			for i := range it.types {
				cols[i] = appendColumn(cols[i], args[pos+i])
			}
		}
		if items == nil {
			out = append(out, nil) // no rows: unnest(NULL, …) is none
		} else {
			out = append(out, items)
		}
		out = append(out, cols...)
		pos += len(it.types)
	}
	return out
}

// appendColumn appends v, a value or a slice of values of one column, to
// the column's array so far (nil at first). A nil v appends nothing.
func appendColumn(col, v any) any {
	switch x := v.(type) {
	case nil:
		return col
	case string:
		s, _ := col.([]string)
		return append(s, x)
	case int64:
		s, _ := col.([]int64)
		return append(s, x)
	case int:
		s, _ := col.([]int64)
		return append(s, int64(x))
	case []byte:
		s, _ := col.([][]byte)
		return append(s, x)
	case []string:
		s, _ := col.([]string)
		return append(s, x...)
	case []int64:
		s, _ := col.([]int64)
		return append(s, x...)
	case []float64:
		s, _ := col.([]float64)
		return append(s, x...)
	default:
		panic(fmt.Sprintf("store: create column of type %T", v))
	}
}

// columnLen is the number of rows in one index column of one create.
func columnLen(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case []string:
		return len(x)
	case []int64:
		return len(x)
	case []float64:
		return len(x)
	default:
		panic(fmt.Sprintf("store: index column of type %T", v))
	}
}
