package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// A search sorted by a date with no selective condition
// (Observation?category=vital-signs&_sort=-date) would compute the sort key
// of every match and sort them all to return one page: seconds for the
// vital signs of 10,000 patients. A resource's key is its latest date row
// (its earliest, ascending), so the resources whose key reaches past a
// threshold are exactly those with a date row past it. The threshold is
// the date of the K-th row of the date index in the sort's direction (after
// the cursor): if the resources with a row past it hold a whole page of
// matches, that page is the search's page, and they drive. Otherwise K
// grows by what the matches found suggest, up to topDatesMaxRows, and then
// the search runs as it would have.
const (
	topDatesFirstRows = 1000
	topDatesMaxRows   = 64000
)

// topDates adds that driver when q is sorted by one date parameter alone,
// nothing drives already, and a page is wanted.
func (b *sqlBuilder) topDates(ctx context.Context, q *search.Query, limit int) error {
	// _lastUpdated is the resource row's own column, with an index.
	if limit <= 0 || len(q.Sort) != 1 || q.Sort[0].Code == "_lastUpdated" || q.Sort[0].Param == nil ||
		q.Sort[0].Param.Type != spec.ParamDate || b.set || b.hasDriver() {
		return nil
	}
	rows, ok := b.s.params.rows(q.Type, q.Sort[0].Code)
	if !ok {
		return nil
	}
	pidCond, pidArgs := rows.cond("")
	desc := q.Sort[0].Desc
	col, past, order := "lo", " <= ?", ""
	if desc {
		col, past, order = "hi", " >= ?", " DESC"
	}
	bound, boundArgs := "", []any(nil)
	if v, ok := b.cursorFirst.(int64); ok {
		// The cursor's key: rows beyond it belong to earlier pages.
		bound, boundArgs = " AND "+col+" <= ?", []any{v}
		if !desc {
			bound = " AND " + col + " >= ?"
		}
	}
	for k := topDatesFirstRows; ; {
		var threshold int64
		err := b.s.reader(ctx).QueryRowContext(ctx, b.s.d.rebind(`SELECT `+col+` FROM idx_date WHERE `+pidCond+bound+
			` ORDER BY `+col+order+` LIMIT 1 OFFSET `+strconv.Itoa(k-1)), b.s.valuePlanned(append(append([]any{}, pidArgs...), boundArgs...))...).Scan(&threshold)
		if errors.Is(err, sql.ErrNoRows) {
			// Fewer rows than that past the cursor: every resource with a
			// date is a candidate, a last try before those without one.
			threshold, k = math.MinInt64, topDatesMaxRows
			if !desc {
				threshold = math.MaxInt64
			}
		} else if err != nil {
			return err
		}
		trial := *b
		trial.parts = append(append([]condPart{}, b.parts...), condPart{table: "idx_date", inner: pidCond + " AND " + col + past,
			args: append(append([]any{}, pidArgs...), threshold), rank: rankIdentity})
		n, err := trial.countMatches(ctx, "", nil, limit+1)
		if err != nil {
			return err
		}
		if n > limit {
			b.parts = trial.parts
			return nil
		}
		if k >= topDatesMaxRows || (n == 0 && k >= 16*topDatesFirstRows) {
			// No match among that many latest rows: the matches are
			// rare, and more rows would likely be spent for nothing.
			return nil
		}
		grow := 16
		if n > 0 {
			grow = max(2, min(16, 2*(limit+1)/n))
		}
		k = min(k*grow, topDatesMaxRows)
	}
}
