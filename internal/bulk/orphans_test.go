package bulk_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// logBuffer collects log lines from any goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSweepRemovesOrphanUploads: a node stalls while writing a file of a
// job; the job is cancelled and swept meanwhile; the node then stores more
// (one file committed, one half written) and dies. The next sweep removes
// all of it and says so in its log line, while a live upload of a running
// job, a file that job committed and the files of a finished export are
// kept, however far the clock has moved within their lease and lifetime.
func TestSweepRemovesOrphanUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		e := newEnv(t, dialect, 2)
		e.inDB = true
		const lease = 30 * time.Second
		var logs logBuffer
		s := e.service(func(c *bulk.Config) {
			c.Lease, c.FileTTL = lease, time.Hour
			c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		fs := e.files()

		// A finished export, written by a runner that then stops.
		runner := e.serve(s)
		done := e.token("client-done", allScopes)
		doneStatus := e.kickoff(done, "/fhir/r4/$export?_type=Patient")
		m := e.wait(done, doneStatus)
		runner.Stop()
		if len(m.Output) == 0 {
			t.Fatal("the finished export has no files")
		}
		doneJob := e.jobOf(doneStatus)
		doneChunks := e.stored(doneJob)

		// Two jobs claimed by hand: the stalled node's and a live one's.
		stalledTok, liveTok := e.token("client-stalled", allScopes), e.token("client-live", allScopes)
		stalledStatus := e.kickoff(stalledTok, "/fhir/r4/$export?_type=Patient")
		stalled := e.claim("stalled-node", lease)
		live := e.kickoff(liveTok, "/fhir/r4/$export?_type=Patient")
		liveJob := e.claim("live-node", lease)
		if stalled != e.jobOf(stalledStatus) || liveJob != e.jobOf(live) {
			t.Fatalf("claimed %s and %s, kicked off %s and %s", stalled, liveJob, stalledStatus, live)
		}

		// The stalled node has begun a file when its job is cancelled
		// and swept.
		half, err := fs.Create(ctx, stalled+"/output-Patient-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, half, ndjson(2*4096, 20))
		resp := e.do("DELETE", stalledStatus, stalledTok, nil)
		if readAll(t, resp); resp.StatusCode != 202 {
			t.Fatalf("cancel: %d", resp.StatusCode)
		}
		if err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "jobs=1 orphan_uploads=0") {
			t.Fatalf("sweep of the cancelled job logged %q", logs.String())
		}

		// It wakes, stores more, commits a second file, and dies before
		// it can learn that its job is gone.
		writeIn(t, half, ndjson(3*4096, 21))
		second, err := fs.Create(ctx, stalled+"/output-Patient-1.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, second, ndjson(4096+7, 22))
		if err := second.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := e.stored(stalled); n != 3+2 {
			t.Fatalf("the dead node left %d chunks, want 5", n)
		}

		// Meanwhile the live node commits one file and is writing another,
		// renewing its lease as it goes.
		kept, err := fs.Create(ctx, liveJob+"/output-Patient-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		keptData := ndjson(2*4096+9, 23)
		writeIn(t, kept, keptData)
		if err := kept.Commit(); err != nil {
			t.Fatal(err)
		}
		writing, err := fs.Create(ctx, liveJob+"/output-Patient-1.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writingData := ndjson(5*4096+11, 24)
		writeIn(t, writing, writingData[:3*4096])
		for range 4 {
			e.clock.Advance(lease / 3)
			now := e.clock.Now()
			if err := e.st.RenewBulkLease(ctx, liveJob, "live-node", now, now.Add(lease), "writing"); err != nil {
				t.Fatal(err)
			}
		}

		logs.mu.Lock()
		logs.b.Reset()
		logs.mu.Unlock()
		if err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "jobs=0 orphan_uploads=2") {
			t.Fatalf("sweep of the orphans logged %q", logs.String())
		}
		if n := e.stored(stalled); n != 0 {
			t.Fatalf("%d chunks of the swept job left", n)
		}
		mustNotOpen(t, fs, stalled+"/output-Patient-1.ndjson")
		if err := half.Commit(); err == nil {
			t.Fatal("the dead node's half-written file committed after the sweep")
		}

		// The live upload finishes whole; its committed file and the
		// finished export are untouched.
		if n := e.stored(liveJob); n != 3+3 {
			t.Fatalf("the live job has %d chunks, want 6", n)
		}
		writeIn(t, writing, writingData[3*4096:])
		if err := writing.Commit(); err != nil {
			t.Fatalf("the live upload after the sweep: %v", err)
		}
		for key, want := range map[string][]byte{liveJob + "/output-Patient-0.ndjson": keptData, liveJob + "/output-Patient-1.ndjson": writingData} {
			f, _, err := fs.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s reads back %d of %d bytes, %v", key, len(got), len(want), err)
			}
		}
		if n := e.stored(doneJob); n != doneChunks || n == 0 {
			t.Fatalf("the finished export has %d chunks, had %d", n, doneChunks)
		}
		resp = e.do("GET", m.Output[0].URL, done, nil)
		if readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("the finished export's file after the sweeps: %d", resp.StatusCode)
		}
	})
}

// claim takes the oldest queued job for worker, as a runner would.
func (e *env) claim(worker string, lease time.Duration) string {
	e.t.Helper()
	now := e.clock.Now()
	job, err := e.st.ClaimBulkJob(context.Background(), worker, now, now.Add(lease))
	if err != nil || job == nil {
		e.t.Fatalf("claim: %v, %v", job, err)
	}
	return job.ID
}
