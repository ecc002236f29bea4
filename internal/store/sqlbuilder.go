package store

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// sqlBuilder accumulates the WHERE conditions of a search over resources r.
//
// Most conditions ask whether the resource has a matching row in an index
// table: a semi-join. How each is written decides the plan. One of them, the
// most selective by its nature, drives the search as r.rid IN (SELECT rid …):
// its few rows are found through the table's lookup index and the others
// are checked per candidate as EXISTS probes on the table's primary key,
// which starts with rid. When no condition is selective enough to drive
// (a category, a status, a date range), every one is a probe, and the
// database may walk resources in the order asked for and stop at the page
// size instead of collecting every match of a broad condition first. A
// chained parameter or _has ranks by its far side (chain.go).
type sqlBuilder struct {
	s     *Store
	typ   string
	parts []condPart

	// ridBound, when set, is the cursor's position in a search ordered by
	// rid (the default order): every semi-join repeats it ("rid > ?"), so
	// that PostgreSQL's merge joins start at the cursor too rather than at
	// the first index row.
	ridBound  bool
	ridOp     string
	ridCursor int64
	// cursorFirst is the cursor's value of the first sort key, when a
	// cursor is given (see topDates).
	cursorFirst any

	// set marks the far side of a chain: the database computes all of its
	// rows, with no order to follow and no page to stop at, so walking
	// the type and probing saves nothing. Its most selective semi-join
	// always drives, however broad.
	set bool
}

// condPart is one condition: plain SQL, or a semi-join on an index table.
type condPart struct {
	sql   string
	args  []any
	table string // set for a semi-join: index table and inner condition
	inner string
	// on and col, when set, join the semi-join's column col to r.on instead
	// of rid to r.rid (a _has matches the target_id of the far resources'
	// references with r.id).
	on, col string
	// rank is the selectivity of a semi-join; a plain condition may carry
	// one too (_id), which only informs bestRank.
	rank int
	// countable marks a semi-join on one parameter's index rows, whose
	// matches promoteRare may count.
	countable bool
	// probeInner, when set, replaces inner in the probe (EXISTS) form: the
	// same condition written to be checked per candidate (see chainClause).
	probeInner string
	// oneKey marks a semi-join on exact keys naming few index rows
	// whatever their values (a patient's compartment, a reference or an
	// identifier without modifier): see planArgs.
	oneKey bool
}

// Selectivity ranks of semi-joins: lower is more selective. Only ranks up
// to rankDriver may drive a search.
const (
	rankCompartment = 1 // one patient's records
	rankIdentity    = 2 // a reference to one resource, an identifier
	rankName        = 3 // a name or other string prefix
	rankDriver      = rankName
	rankWeak        = 4 // codes, categories, statuses, dates, quantities
)

// selectivity guesses how few resources a condition on p matches.
func selectivity(p *spec.SearchParam, modifier string) int {
	switch p.Type {
	case spec.ParamReference:
		return rankIdentity
	case spec.ParamString:
		if modifier == "contains" {
			return rankWeak
		}
		return rankName
	case spec.ParamToken:
		if p.Code == "identifier" || strings.HasSuffix(p.Code, "-identifier") {
			return rankIdentity
		}
	}
	return rankWeak
}

func (b *sqlBuilder) where(cond string, args ...any) {
	b.parts = append(b.parts, condPart{sql: cond, args: args})
}

// semi requires a row of table matching inner for the resource.
func (b *sqlBuilder) semi(rank int, table, inner string, args ...any) {
	b.parts = append(b.parts, condPart{table: table, inner: inner, args: args, rank: rank})
}

// semiCountable is semi for a condition on one parameter's index rows.
func (b *sqlBuilder) semiCountable(rank int, table, inner string, args ...any) {
	b.parts = append(b.parts, condPart{table: table, inner: inner, args: args, rank: rank, countable: true})
}

// semiKey is semi for exact keys that name few index rows whatever their
// values: the part drives, and the plan does not depend on them.
func (b *sqlBuilder) semiKey(rank int, table, inner string, countable bool, args ...any) {
	b.parts = append(b.parts, condPart{table: table, inner: inner, args: args, rank: rank, countable: countable, oneKey: true})
}

// planArgs marks the arguments of the page's query: planned for its own
// values (valuePlanned) unless a semi-join on exact keys drives it. Such a
// search (one patient's vital signs) has one best plan, found through the
// driver's lookup index whatever the patient, so it runs as a statement
// prepared once per connection and PostgreSQL may keep its generic plan:
// planning it anew was three fifths of its database time. It is also
// SQLite's plan for the same search, where such a part always drives.
func (b *sqlBuilder) planArgs(args []any) []any {
	for _, p := range b.parts {
		if p.oneKey && p.rank <= rankIdentity {
			return args
		}
	}
	return b.s.valuePlanned(args)
}

// rareLimit is how many index rows a condition weak by its nature (a code, a
// date range) may match and still drive a search; maxCounted bounds how many
// such conditions one search counts.
const (
	rareLimit  = 1000
	maxCounted = 3
)

// Two conditions common on their own may rarely meet (a heart rate above
// 150): the walk then reads most of the type for a page. walkSample is how
// many resources, in row order, promoteRare checks to tell; driveLimit is
// how many index rows the condition that then drives may have.
const (
	walkSample = 4000
	walkDense  = 20
	driveLimit = 200_000
)

// promoteRare lets a condition that is weak by its nature drive when it is
// rare in fact: a code nobody uses, a narrow date range. Without a driver
// the search walks the type in order and probes each resource, which stops
// early when matches are common and reads every resource of the type when
// they are rare. Counting a condition's index rows up to rareLimit is one
// short index range; the rarest one under the limit drives.
//
// When every counted condition is common and there are several, they may
// still rarely meet. For a search in row order (page > 0 resources wanted,
// no _sort), the first walkSample resources of the type are checked: if
// fewer than walkDense match, the walk would read far more than that per
// page, and the condition with the fewest index rows drives instead when it
// has fewer than driveLimit, counted exactly up to there. A search whose
// conditions meet often pays for a few probes of the sample.
//
// SQLite only: PostgreSQL plans from its statistics and already turns a
// rare condition into the driving side.
func (b *sqlBuilder) promoteRare(ctx context.Context, page int, rowOrder bool) error {
	if b.s.d.postgres || b.set || b.hasDriver() {
		return nil
	}
	var counted []int
	best, fewest := -1, int64(rareLimit)
	for i, p := range b.parts {
		if !p.countable || p.rank <= rankDriver {
			continue
		}
		if len(counted) == maxCounted {
			break
		}
		counted = append(counted, i)
		n, err := b.countRows(ctx, &p, rareLimit)
		if err != nil {
			return err
		}
		if n < fewest {
			best, fewest = i, n
		}
	}
	if best < 0 && len(counted) >= 2 && page > 0 && rowOrder {
		sparse, err := b.walkIsSparse(ctx)
		if err != nil {
			return err
		}
		if sparse {
			fewest = driveLimit
			for _, i := range counted {
				n, err := b.countRows(ctx, &b.parts[i], driveLimit)
				if err != nil {
					return err
				}
				if n < fewest {
					best, fewest = i, n
				}
			}
		}
	}
	if best >= 0 {
		b.parts[best].rank = rankDriver
	}
	return nil
}

// hasDriver reports a semi-join selective enough to drive the search.
func (b *sqlBuilder) hasDriver() bool {
	for _, p := range b.parts {
		if p.table != "" && p.rank <= rankDriver {
			return true
		}
	}
	return false
}

// countMatches counts the resources matching every condition, and the
// extra SQL after them (a bound, an order), up to limit.
func (b *sqlBuilder) countMatches(ctx context.Context, extra string, extraArgs []any, limit int) (int, error) {
	where, args := b.sql()
	var n int
	err := b.s.reader(ctx).QueryRowContext(ctx, b.s.d.rebind("SELECT COUNT(*) FROM (SELECT 1 FROM resources r WHERE "+where+extra+
		" LIMIT "+strconv.Itoa(limit)+") m"), b.s.valuePlanned(append(args, extraArgs...))...).Scan(&n)
	return n, err
}

// countRows counts p's index rows, up to limit.
func (b *sqlBuilder) countRows(ctx context.Context, p *condPart, limit int) (int64, error) {
	var n int64
	q := "SELECT COUNT(*) FROM (SELECT 1 FROM " + p.table + " WHERE " + p.inner + " LIMIT " + strconv.Itoa(limit) + ")"
	err := b.s.reader(ctx).QueryRowContext(ctx, q, b.s.valuePlanned(p.args)...).Scan(&n)
	return n, err
}

// walkIsSparse reports that fewer than walkDense of the type's first
// walkSample resources match every condition: a walk would read many
// resources per match.
func (b *sqlBuilder) walkIsSparse(ctx context.Context) (bool, error) {
	// The walk itself, as the search would run it, up to the row id of
	// the walkSample-th resource.
	n, err := b.countMatches(ctx, " AND r.rid <= COALESCE((SELECT rid FROM resources WHERE type = ? ORDER BY rid LIMIT 1 OFFSET "+
		strconv.Itoa(walkSample-1)+"), "+strconv.FormatInt(math.MaxInt64, 10)+") ORDER BY r.rid", []any{b.typ}, walkDense)
	return n < walkDense, err
}

// semiOn requires a row of table matching inner whose column col equals the
// resource's column on.
func (b *sqlBuilder) semiOn(rank int, table, col, on, inner string, args ...any) {
	b.parts = append(b.parts, condPart{table: table, col: col, on: on, inner: inner, args: args, rank: rank})
}

// bestRank is the rank of the most selective condition, rankWeak when none
// is better: how few resources the conditions together may match.
func (b *sqlBuilder) bestRank() int {
	best := rankWeak
	for _, p := range b.parts {
		if p.rank > 0 && p.rank < best {
			best = p.rank
		}
	}
	return best
}

// notExists requires that no row of table matches inner for the resource.
func (b *sqlBuilder) notExists(table, inner string, args ...any) {
	b.where("NOT EXISTS (SELECT 1 FROM "+table+" x WHERE x.rid = r.rid AND "+inner+")", args...)
}

// sql renders the conditions joined by AND, with their arguments in order.
func (b *sqlBuilder) sql() (string, []any) {
	threshold := rankDriver
	if b.set {
		threshold = rankWeak
	}
	driver := -1
	for i, p := range b.parts {
		if p.table != "" && p.rank <= threshold && (driver < 0 || p.rank < b.parts[driver].rank) {
			driver = i
		}
	}
	conds := make([]string, 0, len(b.parts))
	var args []any
	for i, p := range b.parts {
		inner := p.inner
		if p.probeInner != "" && i != driver {
			inner = p.probeInner
		}
		col, on := "rid", "rid"
		if p.col != "" {
			col, on = p.col, p.on
		}
		// The cursor bound applies to the index rows of the searched
		// resources, not to those of the far side of a _has.
		bound := b.ridBound && p.table != "" && p.col == ""
		if bound {
			inner += " AND rid " + b.ridOp + " ?"
		}
		switch {
		case p.table == "":
			conds = append(conds, p.sql)
		case i == driver:
			conds = append(conds, "r."+on+" IN (SELECT "+col+" FROM "+p.table+" WHERE "+inner+")")
		default:
			conds = append(conds, "EXISTS (SELECT 1 FROM "+p.table+" x WHERE x."+col+" = r."+on+" AND "+inner+")")
		}
		args = append(args, p.args...)
		if bound {
			args = append(args, b.ridCursor)
		}
	}
	return strings.Join(conds, " AND "), args
}

// count counts every match. With no order to follow and no page to stop
// at, a walk of the type saves nothing: the most selective semi-join
// drives, however broad, as on the far side of a chain.
func (b *sqlBuilder) count(ctx context.Context) (int64, error) {
	var n int64
	whole := *b
	whole.set = true
	where, args := whole.sql()
	q := "SELECT COUNT(*) FROM resources r WHERE " + where
	err := b.s.reader(ctx).QueryRowContext(ctx, b.s.d.rebind(q), b.s.valuePlanned(args)...).Scan(&n)
	return n, err
}

// anyOf requires one of the groups of clauses to match entirely (the
// granular scope filters). Inside the OR every semi-join is a probe.
func (b *sqlBuilder) anyOf(groups [][]search.Clause) error {
	if len(groups) == 0 {
		b.where("1 = 0")
		return nil
	}
	var ors []string
	var args []any
	for _, g := range groups {
		sub := &sqlBuilder{s: b.s, typ: b.typ}
		for i := range g {
			if err := sub.clause(&g[i]); err != nil {
				return err
			}
		}
		if len(sub.parts) == 0 {
			return nil // an unfiltered group admits everything
		}
		for i := range sub.parts {
			sub.parts[i].rank = rankWeak // no driver inside an OR
		}
		cond, a := sub.sql()
		ors = append(ors, "("+cond+")")
		args = append(args, a...)
	}
	b.where("("+strings.Join(ors, " OR ")+")", args...)
	return nil
}
