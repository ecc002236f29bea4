package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// SearchResult is one page of a search.
type SearchResult struct {
	Resources []*Resource
	// Next is the cursor of the following page; empty on the last page.
	Next string
	// Total is the number of matches when the query asked for it.
	Total    int64
	HasTotal bool
}

// Search runs q and returns one page. Paging is by keyset: the cursor holds
// the sort key of the last row, so every page costs what the first does.
//
// Its statements share one deadline, Options.SearchTimeout from the call:
// when it passes, the statement running is stopped in the database (see
// searchContext) and Search answers errs.Unavailable (503), so no query
// string can hold a connection and a core for minutes. The caller named by
// WithSearcher runs at most its share of searches at once (SearchShares).
func (s *Store) Search(ctx context.Context, q *search.Query) (*SearchResult, error) {
	ctx, cancel := s.searchContext(ctx)
	defer cancel()
	if who := Searcher(ctx); who != "" {
		release, err := s.shares.Acquire(ctx, who)
		if err != nil {
			return nil, s.searchErr(ctx, err)
		}
		defer release()
	}
	res, err := s.search(ctx, q)
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	return res, nil
}

func (s *Store) search(ctx context.Context, q *search.Query) (*SearchResult, error) {
	if s.searchHook != nil {
		if err := s.searchHook(ctx); err != nil {
			return nil, err
		}
	}
	b := &sqlBuilder{s: s, typ: q.Type}
	if err := b.filter(q.Clauses, q.AnyOf, q.Compartment); err != nil {
		return nil, err
	}
	if err := b.promoteRare(ctx, q.Count, len(q.Sort) == 0 && q.Summary != "count"); err != nil {
		return nil, fmt.Errorf("store: search %s: %w", q.Type, err)
	}
	res := &SearchResult{}
	if q.Total || q.Summary == "count" {
		n, err := b.count(ctx)
		if err != nil {
			return nil, err
		}
		res.Total, res.HasTotal = n, true
		if q.Summary == "count" {
			return res, nil
		}
	}
	keys := sortKeys(s, q)
	if q.Cursor != "" {
		if err := b.keyset(keys, q.Cursor); err != nil {
			return nil, err
		}
	}
	limit := q.Count
	if limit == 0 {
		return res, nil
	}
	if err := b.topDates(ctx, q, limit); err != nil {
		return nil, fmt.Errorf("store: search %s: %w", q.Type, err)
	}
	var sel strings.Builder
	sel.WriteString("SELECT r.rid, r.id, r.version, r.updated, r.body")
	for _, k := range keys {
		sel.WriteString(", ")
		sel.WriteString(k.expr)
	}
	sel.WriteString(" FROM resources r WHERE ")
	where, whereArgs := b.sql()
	sel.WriteString(where)
	sel.WriteString(" ORDER BY ")
	for i, k := range keys {
		if i > 0 {
			sel.WriteString(", ")
		}
		sel.WriteString(k.expr)
		if k.desc {
			sel.WriteString(" DESC")
		}
	}
	sel.WriteString(" LIMIT ?")
	args := append(append([]any{}, whereArgs...), keyArgs(keys)...)
	// The sort expressions appear in both SELECT and ORDER BY; bind their
	// arguments for each place they appear, in order.
	selectArgs := append(keyArgs(keys), args...)
	selectArgs = append(selectArgs, limit+1)
	rows, err := s.reader(ctx).QueryContext(ctx, s.d.rebind(sel.String()), b.planArgs(selectArgs)...)
	if err != nil {
		return nil, fmt.Errorf("store: search %s: %w", q.Type, err)
	}
	defer rows.Close()
	var last []any
	for rows.Next() {
		r := &Resource{Type: q.Type}
		var rid, updated int64
		vals := make([]any, len(keys))
		dest := []any{&rid, &r.ID, &r.Version, &updated, &r.Body}
		for i, k := range keys {
			vals[i] = k.scanDest()
			dest = append(dest, vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Updated = time.UnixMicro(updated).UTC()
		if err := ctx.Err(); err != nil {
			// SQLite interrupts a statement only in its first step; a
			// walk that finds its rows one by one stops here.
			return nil, err
		}
		if len(res.Resources) == limit {
			res.Next = encodeCursor(keys, last)
			break
		}
		res.Resources = append(res.Resources, r)
		last = vals
	}
	return res, rows.Err()
}

// filter adds the conditions that select the current resources of b's type
// matching every clause, one of the anyOf groups (when not nil) and the
// compartment: a search's own, or the far side of a chain.
func (b *sqlBuilder) filter(clauses []search.Clause, anyOf [][]search.Clause, c search.Compartment) error {
	b.where("r.type = ?", b.typ)
	b.where("r.deleted = 0")
	for i := range clauses {
		if err := b.clause(&clauses[i]); err != nil {
			return err
		}
	}
	if anyOf != nil {
		if err := b.anyOf(anyOf); err != nil {
			return err
		}
	}
	if c.Restricted {
		if c.Patient == "" {
			b.where("1 = 0")
		} else {
			b.semiKey(rankCompartment, "compartment", "patient = ?", false, c.Patient)
		}
	}
	return nil
}

// clause adds the condition of one parameter: its values are OR'ed.
func (b *sqlBuilder) clause(c *search.Clause) error {
	switch {
	case len(c.Chain) > 0:
		return b.chainClause(c)
	case c.Has != nil:
		return b.hasClause(c)
	case c.Param.Type == spec.ParamComposite:
		return b.compositeClause(c)
	}
	p := c.Param
	switch p.Code {
	case "_id":
		return b.idClause(c)
	case "_lastUpdated":
		return b.lastUpdatedClause(c)
	}
	rows, ok := b.s.params.rows(b.typ, p.Code)
	if !ok {
		return errs.Field(p.Code, "parameter is not indexed")
	}
	pidCond, pidArgs := rows.cond("")
	table := indexTable(p.Type)
	if table == "" {
		return errs.Field(p.Code, "searching by a %s parameter is not supported", p.Type)
	}
	if c.Modifier == "missing" {
		if c.Values[0].Missing {
			b.notExists(table, pidCond, pidArgs...)
		} else {
			b.semi(rankWeak, table, pidCond, pidArgs...)
		}
		return nil
	}
	var ors []string
	var args []any
	for i := range c.Values {
		cond, a, err := valueCond(p, c.Modifier, &c.Values[i])
		if err != nil {
			return err
		}
		ors = append(ors, cond)
		args = append(args, a...)
	}
	inner := pidCond + " AND (" + strings.Join(ors, " OR ") + ")"
	args = append(pidArgs, args...)
	if c.Modifier == "not" {
		b.notExists(table, inner, args...)
	} else if rank := selectivity(p, c.Modifier); rank <= rankIdentity && c.Modifier == "" {
		b.semiKey(rank, table, inner, true, args...)
	} else {
		b.semiCountable(rank, table, inner, args...)
	}
	return nil
}

func (b *sqlBuilder) idClause(c *search.Clause) error {
	if c.Modifier == "missing" {
		if c.Values[0].Missing {
			b.where("1 = 0")
		}
		return nil
	}
	marks := make([]string, len(c.Values))
	args := make([]any, len(c.Values))
	for i, v := range c.Values {
		marks[i], args[i] = "?", v.Code
	}
	if c.Modifier == "not" {
		b.where("r.id NOT IN ("+strings.Join(marks, ", ")+")", args...)
		return nil
	}
	b.parts = append(b.parts, condPart{sql: "r.id IN (" + strings.Join(marks, ", ") + ")", args: args, rank: rankIdentity})
	return nil
}

func (b *sqlBuilder) lastUpdatedClause(c *search.Clause) error {
	if c.Modifier == "missing" {
		if c.Values[0].Missing {
			b.where("1 = 0")
		}
		return nil
	}
	var ors []string
	var args []any
	for i := range c.Values {
		cond, a := rangeCond(c.Values[i].Prefix, "r.updated", "r.updated", c.Values[i].Low, c.Values[i].High)
		ors = append(ors, cond)
		args = append(args, a...)
	}
	b.where("("+strings.Join(ors, " OR ")+")", args...)
	return nil
}

func indexTable(t spec.ParamType) string {
	switch t {
	case spec.ParamString:
		return "idx_string"
	case spec.ParamToken:
		return "idx_token"
	case spec.ParamReference:
		return "idx_reference"
	case spec.ParamDate:
		return "idx_date"
	case spec.ParamNumber:
		return "idx_number"
	case spec.ParamQuantity:
		return "idx_quantity"
	case spec.ParamURI:
		return "idx_uri"
	}
	return ""
}

// maxRune bounds a prefix range: every folded string starting with p sorts
// below p + U+10FFFF, bytewise in both databases.
const maxRune = "\U0010FFFF"

func valueCond(p *spec.SearchParam, modifier string, v *search.Value) (string, []any, error) {
	switch p.Type {
	case spec.ParamString:
		switch modifier {
		case "exact":
			return "value = ?", []any{v.Text}, nil
		case "contains":
			return `norm LIKE ? ESCAPE '\'`, []any{"%" + escapeLike(v.Text) + "%"}, nil
		}
		return "(norm >= ? AND norm < ?)", []any{v.Text, v.Text + maxRune}, nil
	case spec.ParamToken:
		if modifier == "text" {
			return "(text >= ? AND text < ?)", []any{v.Text, v.Text + maxRune}, nil
		}
		switch {
		case v.ImplicitSystem && v.Code == "":
			return "system IN (?, '')", []any{v.System}, nil
		case v.ImplicitSystem:
			// A code element holds no system; it is its binding's.
			return "(code = ? AND system IN (?, ''))", []any{v.Code, v.System}, nil
		case v.HasSystem && v.Code == "":
			return "system = ?", []any{v.System}, nil
		case v.HasSystem:
			return "(code = ? AND system = ?)", []any{v.Code, v.System}, nil
		}
		return "code = ?", []any{v.Code}, nil
	case spec.ParamReference:
		switch {
		case v.URL != "" && v.RefID != "":
			return "(url = ? OR (target_id = ? AND target_type = ?))", []any{v.URL, v.RefID, v.RefType}, nil
		case v.URL != "":
			return "url = ?", []any{v.URL}, nil
		case v.RefType != "":
			return "(target_id = ? AND target_type = ?)", []any{v.RefID, v.RefType}, nil
		}
		return "target_id = ?", []any{v.RefID}, nil
	case spec.ParamDate:
		cond, args := rangeCond(v.Prefix, "lo", "hi", v.Low, v.High)
		return cond, args, nil
	case spec.ParamNumber:
		cond, args := numberCond(v)
		return cond, args, nil
	case spec.ParamQuantity:
		cond, args := numberCond(v)
		switch {
		case v.HasSystem && v.Code != "":
			cond = "(" + cond + " AND system = ? AND code = ?)"
			args = append(args, v.System, v.Code)
		case v.Code != "":
			cond = "(" + cond + " AND (code = ? OR unit = ?))"
			args = append(args, v.Code, v.Code)
		}
		return cond, args, nil
	case spec.ParamURI:
		switch modifier {
		case "below":
			return "substr(value, 1, ?) = ?", []any{len(v.URL), v.URL}, nil
		case "above":
			return "substr(?, 1, length(value)) = value", []any{v.URL}, nil
		}
		return "value = ?", []any{v.URL}, nil
	}
	return "", nil, errs.Field(p.Code, "searching by a %s parameter is not supported", p.Type)
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// rangeCond compares a stored range [lo, hi] with a searched range [ql, qh]
// as R4's prefix table for ranges writes it (search.html, "prefix"): gt is
// "the range above the search value intersects the target" (hi > qh), ge
// that or "the search value fully contains the target" (eq), lt and le
// likewise below; sa and eb do not overlap it at all. A Period without an
// end reaches to the end of time, so it is above any value.
func rangeCond(prefix search.Prefix, lo, hi string, ql, qh int64) (string, []any) {
	switch prefix {
	case search.Ne:
		return "NOT (" + lo + " >= ? AND " + hi + " <= ?)", []any{ql, qh}
	case search.Gt:
		return hi + " > ?", []any{qh}
	case search.Lt:
		return lo + " < ?", []any{ql}
	case search.Ge:
		return "(" + hi + " > ? OR (" + lo + " >= ? AND " + hi + " <= ?))", []any{qh, ql, qh}
	case search.Le:
		return "(" + lo + " < ? OR (" + lo + " >= ? AND " + hi + " <= ?))", []any{ql, ql, qh}
	case search.Sa:
		return lo + " > ?", []any{qh}
	case search.Eb:
		return hi + " < ?", []any{ql}
	case search.Ap:
		// Approximately: within 10% of the distance to now, at least a day.
		d := time.Since(time.UnixMicro(ql)).Microseconds() / 10
		if d < 0 {
			d = -d
		}
		d = max(d, int64(24*time.Hour/time.Microsecond))
		return "(" + lo + " <= ? AND " + hi + " >= ?)", []any{satAdd(qh, d), satAdd(ql, -d)}
	}
	// Equal: the stored range lies within the searched one. lo <= qh
	// follows (lo <= hi), and stated it ends the scan of the lo index at
	// the searched range's end instead of running to the last date.
	return "(" + lo + " >= ? AND " + lo + " <= ? AND " + hi + " <= ?)", []any{ql, qh, qh}
}

func satAdd(a, b int64) int64 {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return c
}

// numberCond compares the exact decimal keys (dkey) of number and quantity
// rows with a searched number, as R4 reads the prefixes for numbers: eq and
// ne against the range the searched value's precision implies ([0.85, 0.95)
// for 0.9), the others against the searched value exactly.
func numberCond(v *search.Value) (string, []any) {
	x := &v.Exact
	switch v.Prefix {
	case search.Ne:
		return "NOT (dkey >= ? AND dkey < ?)", []any{x.Low, x.High}
	case search.Gt, search.Sa:
		return "dkey > ?", []any{x.Key}
	case search.Lt, search.Eb:
		return "dkey < ?", []any{x.Key}
	case search.Ge:
		return "dkey >= ?", []any{x.Key}
	case search.Le:
		return "dkey <= ?", []any{x.Key}
	case search.Ap:
		return "(dkey >= ? AND dkey <= ?)", []any{x.ApLow, x.ApHigh}
	}
	return "(dkey >= ? AND dkey < ?)", []any{x.Low, x.High}
}

// sortKey is one ORDER BY expression with what its cursor value looks like.
type sortKey struct {
	expr      string
	args      []any
	desc      bool
	valueType byte // 's' string, 'i' integer, 'f' float
}

func (k sortKey) scanDest() any {
	switch k.valueType {
	case 's':
		return new(string)
	case 'f':
		return new(float64)
	}
	return new(int64)
}

func keyArgs(keys []sortKey) []any {
	var out []any
	for _, k := range keys {
		out = append(out, k.args...)
	}
	return out
}

// sortKeys turns _sort into ORDER BY keys, ending with the row id so that
// the order is total and the keyset cursor exact. Resources without a value
// sort last either way.
func sortKeys(s *Store, q *search.Query) []sortKey {
	var keys []sortKey
	for _, st := range q.Sort {
		switch st.Code {
		case "_id":
			keys = append(keys, sortKey{expr: "r.id", desc: st.Desc, valueType: 's'})
			continue
		case "_lastUpdated":
			keys = append(keys, sortKey{expr: "r.updated", desc: st.Desc, valueType: 'i'})
			continue
		}
		rows, ok := s.params.rows(q.Type, st.Code)
		if !ok {
			continue
		}
		agg, missing := "MIN", any(nil)
		if st.Desc {
			agg = "MAX"
		}
		var col, table string
		var valueType byte
		switch st.Param.Type {
		case spec.ParamString:
			table, col, valueType = "idx_string", "norm", 's'
			missing = maxRune
			if st.Desc {
				missing = ""
			}
		case spec.ParamToken:
			table, col, valueType = "idx_token", "code", 's'
			missing = maxRune
			if st.Desc {
				missing = ""
			}
		case spec.ParamReference:
			table, col, valueType = "idx_reference", "target_id", 's'
			missing = maxRune
			if st.Desc {
				missing = ""
			}
		case spec.ParamURI:
			table, col, valueType = "idx_uri", "value", 's'
			missing = maxRune
			if st.Desc {
				missing = ""
			}
		case spec.ParamDate:
			table, col, valueType = "idx_date", "lo", 'i'
			if st.Desc {
				col = "hi"
			}
			missing = int64(math.MaxInt64)
			if st.Desc {
				missing = int64(math.MinInt64)
			}
		case spec.ParamNumber, spec.ParamQuantity:
			table, col, valueType = indexTable(st.Param.Type), "value", 'f'
			missing = math.MaxFloat64
			if st.Desc {
				missing = -math.MaxFloat64
			}
		default:
			continue
		}
		pidCond, args := rows.cond("x.")
		expr := "COALESCE((SELECT " + agg + "(" + col + ") FROM " + table + " x WHERE x.rid = r.rid AND " + pidCond + "), ?)"
		keys = append(keys, sortKey{expr: expr, args: append(args, missing), desc: st.Desc, valueType: valueType})
	}
	return append(keys, sortKey{expr: "r.rid", valueType: 'i'})
}

// cursor is the decoded position: the sort values of the last row returned.
type cursor struct {
	V []json.RawMessage `json:"v"`
}

func encodeCursor(keys []sortKey, vals []any) string {
	c := cursor{}
	for _, v := range vals {
		var x any
		switch p := v.(type) {
		case *string:
			x = *p
		case *int64:
			x = strconv.FormatInt(*p, 10) // exact beyond 2^53
		case *float64:
			x = *p
		}
		b, _ := json.Marshal(x)
		c.V = append(c.V, b)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// keyset adds the condition "after the cursor" for the sort keys.
func (b *sqlBuilder) keyset(keys []sortKey, token string) error {
	bad := errs.Field("_cursor", "not a cursor of this search; start again from the first page")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || len(c.V) != len(keys) {
		return bad
	}
	vals := make([]any, len(keys))
	for i, k := range keys {
		switch k.valueType {
		case 's':
			var s string
			if json.Unmarshal(c.V[i], &s) != nil {
				return bad
			}
			vals[i] = s
		case 'i':
			var s string
			if json.Unmarshal(c.V[i], &s) != nil {
				return bad
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return bad
			}
			vals[i] = n
		case 'f':
			var f float64
			if json.Unmarshal(c.V[i], &f) != nil {
				return bad
			}
			vals[i] = f
		}
	}
	// (k1 after v1) OR (k1 = v1 AND k2 after v2) OR …
	var ors []string
	var args []any
	for i := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, keys[j].expr+" = ?")
			args = append(args, keys[j].args...)
			args = append(args, vals[j])
		}
		op := " > ?"
		if keys[i].desc {
			op = " < ?"
		}
		ands = append(ands, keys[i].expr+op)
		args = append(args, keys[i].args...)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	b.cursorFirst = vals[0]
	if len(keys) == 1 && keys[0].expr == "r.rid" {
		b.ridBound, b.ridOp, b.ridCursor = true, ">", vals[0].(int64)
		if keys[0].desc {
			b.ridOp = "<"
		}
	}
	// The first key's bound, implied by the OR above but stated on its own,
	// lets the database start an index range at the cursor instead of
	// filtering every earlier row: page 100 costs what page 1 does.
	first := " >= ?"
	if keys[0].desc {
		first = " <= ?"
	}
	b.where(keys[0].expr+first, append(append([]any{}, keys[0].args...), vals[0])...)
	b.where("("+strings.Join(ors, " OR ")+")", args...)
	return nil
}

var _ = sql.ErrNoRows
