package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

func patientBody() fhirjson.Object {
	return fhirjson.Object{"resourceType": "Patient", "gender": "female"}
}

// TestAPINumbers checks the JSON API's integer ids: numbered from 1 per
// kind, stable, shared by concurrent callers, and looked up both ways.
func TestAPINumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := context.Background()
		tests := []struct {
			kind, uuid string
			want       int64
		}{
			{"patient", "a", 1}, {"patient", "b", 2}, {"patient", "a", 1}, {"encounter", "a", 1}, {"patient", "c", 3},
		}
		for _, tc := range tests {
			n, err := s.APINumber(ctx, tc.kind, tc.uuid)
			if err != nil || n != tc.want {
				t.Errorf("APINumber(%s, %s) = %d, %v; want %d", tc.kind, tc.uuid, n, err, tc.want)
			}
			id, err := s.APIUUID(ctx, tc.kind, tc.want)
			if err != nil || id != tc.uuid {
				t.Errorf("APIUUID(%s, %d) = %q, %v", tc.kind, tc.want, id, err)
			}
		}
		if _, err := s.APIUUID(ctx, "patient", 99); errs.KindOf(err) != errs.NotFound {
			t.Errorf("unknown number: %v", err)
		}
		// Many callers numbering the same new records agree.
		var wg sync.WaitGroup
		got := make([][]int64, 4)
		for w := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, id := range []string{"x", "y", "z"} {
					n, err := s.APINumber(ctx, "vital", id)
					if err != nil {
						t.Error(err)
					}
					got[w] = append(got[w], n)
				}
			}()
		}
		wg.Wait()
		for w := range got {
			if len(got[w]) != 3 || got[w][0] != got[0][0] || got[w][1] != got[0][1] || got[w][2] != got[0][2] {
				t.Errorf("callers disagree: %v", got)
			}
		}
	})
}

// TestCreateAllAndWriteAll checks that several resources and their numbers
// are written together, and that a failing write leaves nothing behind.
func TestCreateAllAndWriteAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := context.Background()
		out, err := s.CreateAll(ctx, []store.NewResource{
			{Type: "Patient", Body: patientBody(), Numbered: "patient"},
			{Type: "Patient", Body: patientBody(), Numbered: "patient"},
			{Type: "Patient", Body: patientBody()},
		}, search.Compartment{})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Num != 1 || out[1].Num != 2 || out[2].Num != 0 {
			t.Errorf("numbers %d %d %d", out[0].Num, out[1].Num, out[2].Num)
		}
		// An update at a stale version fails the whole write: the create
		// beside it is not written.
		w, err := s.WriteAll(ctx, []store.Change{
			{Type: "Patient", Body: patientBody(), Numbered: "patient"},
			{Type: "Patient", ID: out[0].ID, Body: patientBody(), Version: 7},
		})
		if errs.KindOf(err) != errs.Conflict || w != nil {
			t.Fatalf("stale update: %v", err)
		}
		if n, _ := s.Count(ctx, "Patient"); n != 3 {
			t.Errorf("%d patients after a failed write, want 3", n)
		}
		w, err = s.WriteAll(ctx, []store.Change{
			{Type: "Patient", Body: patientBody(), Numbered: "patient"},
			{Type: "Patient", ID: out[0].ID, Body: fhirjson.Object{"resourceType": "Patient", "gender": "male"}, Version: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		if w[0].Num != 3 || w[1].Version != 2 {
			t.Errorf("WriteAll: num %d, version %d", w[0].Num, w[1].Version)
		}
		r, err := s.Read(ctx, "Patient", out[0].ID, search.Compartment{})
		if err != nil || r.Version != 2 {
			t.Errorf("updated patient: %v %v", r, err)
		}
		// A restricted create outside the compartment writes nothing.
		if _, err := s.CreateAll(ctx, []store.NewResource{{Type: "Observation", Body: fhirjson.Object{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"}}}},
			search.Compartment{Restricted: true, Patient: out[0].ID}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("restricted create: %v", err)
		}
	})
}
