package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// TestGroupedUpdateThatLostWritesNothing: in one batch of updates (one
// transaction on PostgreSQL), an update prepared on a version another
// update of the batch has just replaced finds its resource changed and
// writes nothing at all: not its version, not its audit row, and it
// removes none of the index or compartment rows the first one wrote. The
// others of the batch are written.
func TestGroupedUpdateThatLostWritesNothing(t *testing.T) {
	dsn, ok := timeoutDSNs(t)["postgres"]
	if !ok {
		t.Skip("PostgreSQL only: EMP_TEST_POSTGRES is not set")
	}
	s := openInternal(t, dsn)
	ctx := context.Background()
	a, err := s.Create(ctx, "Observation", groupObservation(1), search.Compartment{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(ctx, "Observation", groupObservation(2), search.Compartment{})
	if err != nil {
		t.Fatal(err)
	}
	next := func(id string, code int, subject string) []any {
		cur, err := s.head(ctx, "Observation", id)
		if err != nil {
			t.Fatal(err)
		}
		res := groupObservation(code)
		res["subject"] = fhirjson.Object{"reference": "Patient/" + subject}
		p, err := prepare("Observation", id, cur.version+1, time.Now(), res, s.local)
		if err != nil {
			t.Fatal(err)
		}
		return s.pgReplaceArgs(ctx, p, cur, "PUT")
	}
	// Both updates of a are prepared on its version 1.
	args := [][]any{next(a.ID, 10, "p2"), next(a.ID, 11, "p3"), next(b.ID, 20, "p1")}
	lost, err := s.pipelineUpdates(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	if lost[0] != nil || !errors.Is(lost[1], errRaced) || lost[2] != nil {
		t.Fatalf("lost = %v, want only the second update of a", lost)
	}
	for _, c := range []struct {
		what, q string
		want    int
	}{
		{"a's versions", `SELECT count(*) FROM resource_versions v JOIN resources r ON r.rid = v.rid WHERE r.id = $1`, 2},
		{"a's code rows", `SELECT count(*) FROM idx_token x JOIN resources r ON r.rid = x.rid WHERE r.id = $1 AND x.system = 'http://loinc.org'`, 1},
		{"a's code c-10", `SELECT count(*) FROM idx_token x JOIN resources r ON r.rid = x.rid WHERE r.id = $1 AND x.code = 'c-10'`, 1},
		{"a's subject p2", `SELECT count(*) FROM idx_reference x JOIN resources r ON r.rid = x.rid WHERE r.id = $1 AND x.target_id = 'p2'`, 1},
		{"a's compartment", `SELECT count(*) FROM compartment c JOIN resources r ON r.rid = c.rid WHERE r.id = $1 AND c.patient = 'p2'`, 1},
		{"a's compartment rows", `SELECT count(*) FROM compartment c JOIN resources r ON r.rid = c.rid WHERE r.id = $1`, 1},
		{"a's update audit rows", `SELECT count(*) FROM audit_log WHERE res_id = $1 AND action = 'update'`, 1},
	} {
		if got := countRows(t, s, c.q, a.ID); got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
	if got := countRows(t, s, `SELECT count(*) FROM idx_token x JOIN resources r ON r.rid = x.rid WHERE r.id = $1 AND x.code = 'c-20'`, b.ID); got != 1 {
		t.Errorf("b's code c-20: %d rows, want 1", got)
	}
}

// TestGroupedUpdatesFromManyCallers: updates from many callers at once, of
// one resource (most find it changed and take their turn under the row's
// lock) and of a resource each, all succeed, every version is kept, and the
// index holds the current version's values only.
func TestGroupedUpdatesFromManyCallers(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := openInternal(t, dsn)
		ctx := context.Background()
		const callers, each = 12, 5
		shared, err := s.Create(ctx, "Observation", groupObservation(0), search.Compartment{})
		if err != nil {
			t.Fatal(err)
		}
		own := make([]string, callers)
		for c := range own {
			r, err := s.Create(ctx, "Observation", groupObservation(0), search.Compartment{})
			if err != nil {
				t.Fatal(err)
			}
			own[c] = r.ID
		}
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for i := range each {
					for _, id := range []string{shared.ID, own[c]} {
						if _, _, err := s.Update(ctx, "Observation", id, groupObservation(1000*c+i+1), 0, search.Compartment{}); err != nil {
							t.Errorf("update %s: %v", id, err)
						}
					}
				}
			})
		}
		wg.Wait()
		check := func(id string, updates int) {
			t.Helper()
			r, err := s.Read(ctx, "Observation", id, search.Compartment{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Version != int64(updates+1) {
				t.Errorf("%s: version %d, want %d", id, r.Version, updates+1)
			}
			if got := countRows(t, s, `SELECT count(*) FROM resource_versions v JOIN resources r ON r.rid = v.rid WHERE r.id = ?`, id); got != updates+1 {
				t.Errorf("%s: %d versions, want %d", id, got, updates+1)
			}
			res, err := fhirjson.Decode(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			code := res["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)
			if got := countRows(t, s, `SELECT count(*) FROM idx_token x JOIN resources r ON r.rid = x.rid WHERE r.id = ? AND x.system = 'http://loinc.org'`, id); got != 1 {
				t.Errorf("%s: %d code rows, want 1", id, got)
			}
			if got := countRows(t, s, `SELECT count(*) FROM idx_token x JOIN resources r ON r.rid = x.rid WHERE r.id = ? AND x.code = ?`, id, code); got != 1 {
				t.Errorf("%s: the current code %s is not indexed", id, code)
			}
			if got := countRows(t, s, `SELECT count(*) FROM audit_log WHERE res_id = ? AND action = 'update'`, id); got != updates {
				t.Errorf("%s: %d update audit rows, want %d", id, got, updates)
			}
		}
		check(shared.ID, callers*each)
		for _, id := range own {
			check(id, each)
		}
	})
}
