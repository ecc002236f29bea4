package bulk_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store/storetest"
)

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
		s, logs := e.loggedService(lease)
		fs := e.files()

		done := e.finishedExport(s)
		doneChunks := e.stored(done.job)
		// The stalled node has begun a file when its job is cancelled
		// and swept.
		_, stalled, liveJob, half := e.stallAndCancel(fs, lease)
		if err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "jobs=1 orphan_uploads=0") {
			t.Fatalf("sweep of the cancelled job logged %q", logs.String())
		}

		// It wakes, stores more, commits a second file, and dies before
		// it can learn that its job is gone.
		e.wakeAndCommit(fs, stalled, half)
		if n := e.stored(stalled); n != 3+2 {
			t.Fatalf("the dead node left %d chunks, want 5", n)
		}

		// Meanwhile the live node commits one file and is writing another,
		// renewing its lease as it goes.
		lv := e.beginLive(fs, liveJob, 23)
		for range 4 {
			e.renewLive(liveJob, lease)
		}

		logs.Reset()
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
		lv.finish(t, fs)
		done.stillServed(doneChunks)
	})
}

// loggedService is a service with the lease given, whose log the test
// reads.
func (e *env) loggedService(lease time.Duration) (*bulk.Service, *storetest.SyncBuffer) {
	logs := &storetest.SyncBuffer{}
	s := e.service(func(c *bulk.Config) {
		c.Lease, c.FileTTL = lease, time.Hour
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	return s, logs
}

// finishedOrphanScene is an export finished by a runner that then stopped:
// the sweeps of orphans must keep its files.
type finishedOrphanScene struct {
	e     *env
	token string
	job   string
	m     *bulk.Manifest
}

func (e *env) finishedExport(s *bulk.Service) *finishedOrphanScene {
	e.t.Helper()
	runner := e.serve(s)
	done := e.token("client-done", allScopes)
	status := e.kickoff(done, "/fhir/r4/$export?_type=Patient")
	m := e.wait(done, status)
	runner.Stop()
	if len(m.Output) == 0 {
		e.t.Fatal("the finished export has no files")
	}
	return &finishedOrphanScene{e: e, token: done, job: e.jobOf(status), m: m}
}

// stillServed checks that the export holds what it held (files, or chunks)
// and serves its first file.
func (f *finishedOrphanScene) stillServed(had int) {
	f.e.t.Helper()
	if n := f.e.stored(f.job); n != had || n == 0 {
		f.e.t.Fatalf("the finished export holds %d, had %d", n, had)
	}
	resp := f.e.do("GET", f.m.Output[0].URL, f.token, nil)
	if readAll(f.e.t, resp); resp.StatusCode != 200 {
		f.e.t.Fatalf("the finished export's file after the sweeps: %d", resp.StatusCode)
	}
}

// stallAndCancel kicks off two jobs and claims them by hand, one for a
// node that will stall and one for a live node; the stalled node begins a
// file, and its job is cancelled.
func (e *env) stallAndCancel(fs bulk.FileStore, lease time.Duration) (stalledTok, stalled, liveJob string, half bulk.FileWriter) {
	e.t.Helper()
	stalledTok = e.token("client-stalled", allScopes)
	liveTok := e.token("client-live", allScopes)
	stalledStatus := e.kickoff(stalledTok, "/fhir/r4/$export?_type=Patient")
	stalled = e.claim("stalled-node", lease)
	live := e.kickoff(liveTok, "/fhir/r4/$export?_type=Patient")
	liveJob = e.claim("live-node", lease)
	if stalled != e.jobOf(stalledStatus) || liveJob != e.jobOf(live) {
		e.t.Fatalf("claimed %s and %s, kicked off %s and %s", stalled, liveJob, stalledStatus, live)
	}
	var err error
	half, err = fs.Create(context.Background(), stalled+"/output-Patient-0.ndjson")
	if err != nil {
		e.t.Fatal(err)
	}
	writeIn(e.t, half, ndjson(2*4096, 20))
	settle(e.t, half)
	resp := e.do("DELETE", stalledStatus, stalledTok, nil)
	if readAll(e.t, resp); resp.StatusCode != 202 {
		e.t.Fatalf("cancel: %d", resp.StatusCode)
	}
	return stalledTok, stalled, liveJob, half
}

// wakeAndCommit is the stalled node waking: it writes more of the file it
// had begun, and writes and commits its next file.
func (e *env) wakeAndCommit(fs bulk.FileStore, stalled string, half bulk.FileWriter) {
	e.t.Helper()
	writeIn(e.t, half, ndjson(3*4096, 21))
	settle(e.t, half)
	second, err := fs.Create(context.Background(), stalled+"/output-Patient-1.ndjson")
	if err != nil {
		e.t.Fatal(err)
	}
	writeIn(e.t, second, ndjson(4096+7, 22))
	if err := second.Commit(); err != nil {
		e.t.Fatal(err)
	}
}

// liveUpload is the live node's work: a file committed and one being
// written.
type liveUpload struct {
	job                 string
	keptData, writeData []byte
	writing             bulk.FileWriter
}

func (e *env) beginLive(fs bulk.FileStore, job string, seed uint64) *liveUpload {
	e.t.Helper()
	ctx := context.Background()
	lv := &liveUpload{job: job, keptData: ndjson(2*4096+9, seed), writeData: ndjson(5*4096+11, seed+1)}
	kept, err := fs.Create(ctx, job+"/output-Patient-0.ndjson")
	if err != nil {
		e.t.Fatal(err)
	}
	writeIn(e.t, kept, lv.keptData)
	if err := kept.Commit(); err != nil {
		e.t.Fatal(err)
	}
	if lv.writing, err = fs.Create(ctx, job+"/output-Patient-1.ndjson"); err != nil {
		e.t.Fatal(err)
	}
	writeIn(e.t, lv.writing, lv.writeData[:3*4096])
	settle(e.t, lv.writing)
	return lv
}

// renewLive moves the clock a third of a lease on and renews the live
// node's lease, as its runner would.
func (e *env) renewLive(job string, lease time.Duration) {
	e.t.Helper()
	e.clock.Advance(lease / 3)
	now := e.clock.Now()
	if err := e.st.RenewBulkLease(context.Background(), job, "live-node", now, now.Add(lease), "writing"); err != nil {
		e.t.Fatal(err)
	}
}

// finish writes the rest of the live file, commits it, and checks that both
// files read back whole.
func (lv *liveUpload) finish(t *testing.T, fs bulk.FileStore) {
	t.Helper()
	writeIn(t, lv.writing, lv.writeData[3*4096:])
	if err := lv.writing.Commit(); err != nil {
		t.Fatalf("the live upload after the sweeps: %v", err)
	}
	for key, want := range map[string][]byte{lv.job + "/output-Patient-0.ndjson": lv.keptData, lv.job + "/output-Patient-1.ndjson": lv.writeData} {
		f, _, err := fs.Open(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s reads back %d of %d bytes, %v", key, len(got), len(want), err)
		}
	}
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
