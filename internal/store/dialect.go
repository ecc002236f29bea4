package store

import (
	"strconv"
	"strings"
)

// dialect holds the few things that differ between SQLite and PostgreSQL.
// All SQL in this package is written once with ? placeholders.
type dialect struct {
	name     string // "sqlite" or "postgres"
	postgres bool
}

// rebind turns ? placeholders into $1, $2, … for PostgreSQL. Queries never
// hold a literal question mark, so a plain scan is enough.
func (d dialect) rebind(q string) string {
	if !d.postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
