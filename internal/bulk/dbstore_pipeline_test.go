package bulk_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// sameUpload names every upload the same (hex of twelve 7s), so that a test
// can store a chunk under that name first and make a writer's chunk fail.
type sameUpload struct{}

func (sameUpload) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 7
	}
	return len(p), nil
}

var sameUploadName = hex.EncodeToString([]byte{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7})

// plantChunk stores chunk seq of the upload every writer of sameUpload
// uses, under the job given (one that exists, or the sweep takes it): that
// writer's own chunk seq then fails.
func plantChunk(t *testing.T, st *store.Store, job string, seq int64) {
	t.Helper()
	if err := st.PutBulkChunk(context.Background(), sameUploadName, job+"/planted.ndjson", seq, []byte("x")); err != nil {
		t.Fatal(err)
	}
}

// TestDBStoreChunkFailureReachesTheWriter: a chunk that cannot be stored
// (stored in the background while the next fills) fails the file: with one
// chunk in flight the Write that fills the next chunk returns the failure,
// with more the Commit at the latest; nothing of the file is left and it
// does not open.
func TestDBStoreChunkFailureReachesTheWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		for _, inFlight := range []int{1, 2} {
			ctx := context.Background()
			st := storetest.Open(t, dialect, store.Options{})
			fs := bulk.DBStore{Store: st, ChunkBytes: 4096, ChunksInFlight: inFlight, Rand: sameUpload{}}
			plantChunk(t, st, "other", 1)
			w, err := fs.Create(ctx, "job5/output-Patient-0.ndjson")
			if err != nil {
				t.Fatal(err)
			}
			data := ndjson(6*4096, 5)
			var werr error
			for i := 0; i < 6 && werr == nil; i++ {
				_, werr = w.Write(data[i*4096 : (i+1)*4096])
				if inFlight == 1 && (werr != nil) != (i >= 2) {
					t.Fatalf("one in flight: write of chunk %d: %v", i, werr)
				}
			}
			if cerr := w.Commit(); cerr == nil || (werr != nil && !errors.Is(cerr, werr) && cerr.Error() != werr.Error()) {
				t.Fatalf("%d in flight: commit %v after write %v, want the chunk's failure", inFlight, cerr, werr)
			}
			mustNotOpen(t, fs, "job5/output-Patient-0.ndjson")
			if n, _ := usage(t, st, "job5"); n != 0 {
				t.Fatalf("%d in flight: %d chunks left of the failed file", inFlight, n)
			}
		}
	})
}

// TestDBStoreCancelStopsTheWriter: once the job's context ends, the next
// Write that fills a chunk fails with it and begins no insert, and the
// abort that follows leaves nothing.
func TestDBStoreCancelStopsTheWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		st := storetest.Open(t, dialect, store.Options{})
		fs := bulk.DBStore{Store: st, ChunkBytes: 4096}
		ctx, cancel := context.WithCancel(context.Background())
		w, err := fs.Create(ctx, "job6/output-Patient-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, w, ndjson(2*4096, 6))
		settle(t, w)
		cancel()
		if _, err := w.Write(ndjson(4096, 7)); !errors.Is(err, context.Canceled) {
			t.Fatalf("write after the cancel: %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if n, _ := usage(t, st, ""); n != 0 {
			t.Fatalf("%d chunks left after the abort", n)
		}
	})
}

// TestExportFailsOnAChunkThatCannotBeStored: the failure of a chunk stored
// in the background reaches the export, which fails cleanly: its status
// answers the failure, nothing of it is stored, and the runner goes on to
// the next job.
func TestExportFailsOnAChunkThatCannotBeStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 2)
		e.inDB = true
		s := e.service(func(c *bulk.Config) {
			c.Files = bulk.DBStore{Store: e.st, ChunkBytes: 4096, Rand: sameUpload{}}
		})
		s.Routes(e.mux, "/fhir/r4")
		tok := e.token("client-f", allScopes)
		status := e.kickoff(tok, "/fhir/r4/$export?_type=Observation")
		plantChunk(t, e.st, e.jobOf(status), 1)
		e.startRunner(s)
		// Polled until the runner is done with the job; the deadline only
		// bounds a failure.
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			resp := e.do("GET", status, tok, nil)
			body := readAll(t, resp)
			if resp.StatusCode == 202 && time.Now().Before(deadline) {
				continue
			}
			if resp.StatusCode != 500 || outcomeCode(t, body) != "exception" {
				t.Fatalf("status of the failed export: %d %s", resp.StatusCode, body)
			}
			break
		}
		if n := e.stored(e.jobOf(status)); n != 0 {
			t.Fatalf("%d chunks of the failed export left (its upload, the planted chunk with it)", n)
		}

		// The runner goes on: the next export completes (its upload has
		// the same name, but the abort took the planted chunk with the
		// rest).
		next := e.token("client-n", allScopes)
		m := e.wait(next, e.kickoff(next, "/fhir/r4/$export?_type=Observation"))
		if len(e.download(next, m)["Observation"]) == 0 {
			t.Fatal("the next export has no Observations")
		}
	})
}
