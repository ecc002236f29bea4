package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

func TestBulkJobLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		newJob := func(id, client string) *store.BulkJob {
			return &store.BulkJob{ID: id, ClientID: client, Owner: "sub", RequestURL: "https://x/fhir/r4/$export",
				Params: []byte(`{}`), TransactionTime: t0, Created: t0}
		}
		if err := s.CreateBulkJob(ctx, newJob("j1", "c1"), 1); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateBulkJob(ctx, newJob("j2", "c1"), 1); errs.KindOf(err) != errs.TooMany {
			t.Fatalf("second job of the client: got %v, want TooMany", err)
		}
		if err := s.CreateBulkJob(ctx, newJob("j3", "c2"), 1); err != nil {
			t.Fatal(err)
		}

		a, err := s.ClaimBulkJob(ctx, "wa", t0, t0.Add(time.Minute))
		if err != nil || a == nil || a.ID != "j1" || a.Status != store.BulkRunning || a.LeaseOwner != "wa" {
			t.Fatalf("claim: %+v %v", a, err)
		}
		b, err := s.ClaimBulkJob(ctx, "wb", t0, t0.Add(time.Minute))
		if err != nil || b == nil || b.ID != "j3" {
			t.Fatalf("claim of the next job: %+v %v", b, err)
		}
		if none, err := s.ClaimBulkJob(ctx, "wc", t0, t0.Add(time.Minute)); err != nil || none != nil {
			t.Fatalf("claim with every job leased: %+v %v", none, err)
		}

		// Another worker cannot write under a's lease.
		f := &store.BulkFile{Section: store.BulkOutput, Type: "Patient", Seq: 0, Key: "j1/p0", Count: 3, Bytes: 10}
		if err := s.CheckpointBulkJob(ctx, "j1", "wb", t0, f, []byte(`{"x":1}`), "1%"); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("checkpoint by a stranger: %v", err)
		}
		if err := s.CheckpointBulkJob(ctx, "j1", "wa", t0, f, []byte(`{"x":1}`), "50%"); err != nil {
			t.Fatal(err)
		}
		// Once a's lease runs out, c takes the job over with its checkpoint,
		// and a can no longer write.
		later := t0.Add(2 * time.Minute)
		c, err := s.ClaimBulkJob(ctx, "wc", later, later.Add(time.Minute))
		if err != nil || c == nil || c.ID != "j1" || string(c.Checkpoint) != `{"x":1}` || c.Progress != "50%" {
			t.Fatalf("take-over: %+v %v", c, err)
		}
		if err := s.RenewBulkLease(ctx, "j1", "wa", later, later.Add(time.Minute), ""); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("renew by the old worker: %v", err)
		}
		if err := s.RenewBulkLease(ctx, "j1", "wc", later, later.Add(time.Minute), "60%"); err != nil {
			t.Fatal(err)
		}
		expires := later.Add(time.Hour)
		if err := s.CompleteBulkJob(ctx, "j1", "wc", later, expires, []store.BulkFile{{Section: store.BulkError, Type: "OperationOutcome", Key: "j1/e"}}); err != nil {
			t.Fatal(err)
		}
		j, err := s.BulkJob(ctx, "j1")
		if err != nil || j.Status != store.BulkDone || !j.Expires.Equal(expires) || !j.Completed.Equal(later) {
			t.Fatalf("done job: %+v %v", j, err)
		}
		files, err := s.BulkFiles(ctx, "j1")
		if err != nil || len(files) != 2 || files[0].Section != store.BulkError || files[1] != *f {
			t.Fatalf("files: %+v %v", files, err)
		}
		// A finished job frees the client's slot.
		if err := s.CreateBulkJob(ctx, newJob("j4", "c1"), 1); err != nil {
			t.Fatal(err)
		}

		// Cancelled jobs and expired ones are listed for cleanup.
		if err := s.CancelBulkJob(ctx, "j3", later); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelBulkJob(ctx, "j3", later); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("second cancel: %v", err)
		}
		if err := s.CheckpointBulkJob(ctx, "j3", "wb", later, nil, nil, ""); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("checkpoint of a cancelled job: %v", err)
		}
		ids, err := s.ExpiredBulkJobs(ctx, later, 10)
		if err != nil || len(ids) != 1 || ids[0] != "j3" {
			t.Fatalf("expired before expiry: %v %v", ids, err)
		}
		ids, err = s.ExpiredBulkJobs(ctx, expires.Add(time.Second), 10)
		if err != nil || len(ids) != 2 {
			t.Fatalf("expired after expiry: %v %v", ids, err)
		}
		for _, id := range ids {
			if err := s.DeleteBulkJob(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.BulkJob(ctx, "j1"); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("deleted job: %v", err)
		}
		if files, _ := s.BulkFiles(ctx, "j1"); len(files) != 0 {
			t.Fatalf("files of a deleted job: %v", files)
		}
	})
}

func TestScanExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		s := storetest.Open(t, dialect, store.Options{Now: func() time.Time { return clock }})
		mk := func(id, patient, status string) {
			res := fhirjson.Object{"resourceType": "Observation", "status": status,
				"code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/" + patient}}
			if _, _, err := s.Update(ctx, "Observation", id, res, 0, search.Compartment{}); err != nil {
				t.Fatal(err)
			}
		}
		mk("o1", "p1", "final")
		mk("o2", "p2", "final")
		clock = clock.Add(time.Hour) // t1
		mk("o3", "p1", "preliminary")
		mk("o4", "p1", "final")
		snapshot := clock
		clock = clock.Add(time.Hour)
		mk("o1", "p1", "amended") // after the snapshot: exported as it was
		if err := s.Delete(ctx, "Observation", "o2", search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		mk("o5", "p1", "final") // created after the snapshot: left out
		for id, target := range map[string]string{"pv1": "Observation/o3", "pv2": "Observation/o2"} {
			prov := fhirjson.Object{"resourceType": "Provenance", "recorded": "2026-01-01T00:00:00Z",
				"target": []any{map[string]any{"reference": target}}}
			if _, _, err := s.Update(ctx, "Provenance", id, prov, 0, search.Compartment{}); err != nil {
				t.Fatal(err)
			}
		}

		scan := func(q store.ExportScan) (ids []string, bodies []string) {
			t.Helper()
			q.Type = "Observation"
			err := s.ScanExport(ctx, q, func(r store.ExportRow) error {
				ids = append(ids, r.ID)
				bodies = append(bodies, string(r.Body))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return ids, bodies
		}
		parse := func(query string) [][]search.Clause {
			q, err := search.Parse("Observation", map[string][]string{"status": {query}}, search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return [][]search.Clause{q.Clauses}
		}
		tests := []struct {
			name string
			q    store.ExportScan
			want []string
		}{
			{"snapshot", store.ExportScan{Until: snapshot}, []string{"o1", "o2", "o3", "o4"}},
			{"now", store.ExportScan{}, []string{"o1", "o3", "o4", "o5"}},
			{"since", store.ExportScan{Until: snapshot, Since: snapshot.Add(-time.Minute)}, []string{"o3", "o4"}},
			{"one page at a time", store.ExportScan{Until: snapshot, PageSize: 1}, []string{"o1", "o2", "o3", "o4"}},
			{"confined", store.ExportScan{Until: snapshot, Confined: true, Patients: []string{"p1"}}, []string{"o1", "o3", "o4"}},
			{"confined to nobody", store.ExportScan{Confined: true}, nil},
			{"filtered", store.ExportScan{Filters: [][][]search.Clause{parse("preliminary")}}, []string{"o3"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, _ := scan(tc.q)
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
		_, bodies := scan(store.ExportScan{Until: snapshot})
		if want := `"status":"final"`; !strings.Contains(bodies[0], want) {
			t.Fatalf("o1 as of the snapshot: %s", bodies[0])
		}
		// Resuming after the second row gives exactly the rest.
		var rids []int64
		s.ScanExport(ctx, store.ExportScan{Type: "Observation", Until: snapshot}, func(r store.ExportRow) error {
			rids = append(rids, r.RID)
			return nil
		})
		rest, _ := scan(store.ExportScan{Until: snapshot, After: rids[1]})
		if !slices.Equal(rest, []string{"o3", "o4"}) {
			t.Fatalf("resumed: %v", rest)
		}

		// A Provenance belongs to the patients of what it attests.
		var provs []string
		err := s.ScanExport(ctx, store.ExportScan{Type: "Provenance", Confined: true, Patients: []string{"p1"}, Via: "target"}, func(r store.ExportRow) error {
			provs = append(provs, r.ID)
			return nil
		})
		if err != nil || !slices.Equal(provs, []string{"pv1"}) {
			t.Fatalf("Provenance of p1: %v %v", provs, err)
		}

		var deleted []string
		err = s.ScanDeleted(ctx, "Observation", snapshot, clock, 0, 1, func(d store.DeletedRow) error {
			deleted = append(deleted, d.ID)
			return nil
		})
		if err != nil || !slices.Equal(deleted, []string{"o2"}) {
			t.Fatalf("deleted: %v %v", deleted, err)
		}
	})
}

// TestClaimBulkJobConcurrently: workers claiming at the same moment get
// different jobs, and each job exactly one worker.
func TestClaimBulkJobConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		const jobs, workers = 6, 8
		for i := range jobs {
			j := &store.BulkJob{ID: fmt.Sprintf("j%d", i), ClientID: fmt.Sprintf("c%d", i), Owner: "sub", Params: []byte(`{}`),
				TransactionTime: t0, Created: t0.Add(time.Duration(i) * time.Second)}
			if err := s.CreateBulkJob(ctx, j, 1); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		got := make([]string, workers)
		errsOut := make([]error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := s.ClaimBulkJob(ctx, fmt.Sprintf("w%d", w), t0, t0.Add(time.Minute))
				errsOut[w] = err
				if j != nil {
					got[w] = j.ID
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for w := range workers {
			if errsOut[w] != nil {
				t.Fatalf("worker %d: %v", w, errsOut[w])
			}
			if got[w] == "" {
				continue
			}
			if seen[got[w]] {
				t.Fatalf("%s claimed twice", got[w])
			}
			seen[got[w]] = true
		}
		if len(seen) != jobs {
			t.Fatalf("%d of %d jobs claimed: %v", len(seen), jobs, got)
		}
	})
}
