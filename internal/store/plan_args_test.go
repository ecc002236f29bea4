package store

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPlanArgs: on PostgreSQL a search's page query keeps a prepared plan
// only when an exact-key semi-join (a compartment, a reference, an
// identifier) drives it; any other search is planned for its own values,
// and SQLite's arguments are never marked.
func TestPlanArgs(t *testing.T) {
	pg := &Store{valuePlan: pgx.QueryExecModeCacheDescribe}
	tests := []struct {
		name     string
		s        *Store
		build    func(b *sqlBuilder)
		prepared bool
	}{
		{"compartment", pg, func(b *sqlBuilder) {
			b.semiKey(rankCompartment, "compartment", "patient = ?", false, "p1")
		}, true},
		{"reference and code", pg, func(b *sqlBuilder) {
			b.semiCountable(rankWeak, "idx_token", "code = ?", "8867-4")
			b.semiKey(rankIdentity, "idx_reference", "target_id = ?", true, "p1")
		}, true},
		{"code only", pg, func(b *sqlBuilder) {
			b.semiCountable(rankWeak, "idx_token", "code = ?", "8867-4")
		}, false},
		{"name prefix drives", pg, func(b *sqlBuilder) {
			b.semiCountable(rankName, "idx_string", "value LIKE ?", "smi%")
		}, false},
		{"chain ranked by its far side", pg, func(b *sqlBuilder) {
			b.semiCountable(rankIdentity, "idx_reference", "target_id IN (SELECT id FROM resources)")
		}, false},
		{"exact key demoted", pg, func(b *sqlBuilder) {
			b.semiKey(rankIdentity, "idx_reference", "target_id = ?", true, "p1")
			b.parts[len(b.parts)-1].rank = rankWeak
		}, false},
		{"sqlite", &Store{}, func(b *sqlBuilder) {
			b.semiCountable(rankWeak, "idx_token", "code = ?", "8867-4")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &sqlBuilder{s: tt.s, typ: "Observation"}
			b.where("r.type = ?", "Observation")
			tt.build(b)
			args := b.planArgs([]any{"x", 11})
			_, marked := args[0].(pgx.QueryExecMode)
			if marked == tt.prepared {
				t.Fatalf("planArgs = %v: prepared %v, want %v", args, !marked, tt.prepared)
			}
			if want := 2 + map[bool]int{true: 1}[marked]; len(args) != want {
				t.Fatalf("planArgs = %v: %d arguments, want %d", args, len(args), want)
			}
		})
	}
}
