package bulk_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSweepRemovesOrphanFolders is TestSweepRemovesOrphanUploads for files
// in a directory. A node stalls while writing a file of a job; the job is
// cancelled (its folder removed) and swept; the node wakes, makes the
// folder again with its next file, commits it and begins a third. That
// folder is never served, and the sweeps remove it once they have found it
// without a job for a lease, not sooner; the node, waking again, can
// commit nothing, and the folder it makes once more goes the same way.
// Meanwhile a live upload of a running job, a file that job committed, the
// files of a finished export and what else the operator keeps in the
// directory are kept, however far the clock moves.
func TestSweepRemovesOrphanFolders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		e := newEnv(t, dialect, 2)
		const lease = 30 * time.Second
		s, logs := e.loggedService(lease)
		fs := e.files()
		sweep := func(want string) {
			t.Helper()
			logs.Reset()
			if err := s.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if got := logs.String(); (want == "") != (got == "") || !strings.Contains(got, want) {
				t.Fatalf("sweep logged %q, want %q", got, want)
			}
		}

		done := e.finishedExport(s)
		doneFiles := e.stored(done.job)

		// What else the operator keeps in the directory.
		others := []string{"README", "lost+found", strings.Repeat("A", 32)}
		if err := os.WriteFile(filepath.Join(e.dir, others[0]), []byte("exports\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, d := range others[1:] {
			if err := os.Mkdir(filepath.Join(e.dir, d), 0o700); err != nil {
				t.Fatal(err)
			}
		}

		// The stalled node has begun a file when its job is cancelled
		// (the folder goes) and swept.
		stalledTok, stalled, liveJob, half := e.stallAndCancel(fs, lease)
		if e.folderExists(stalled) {
			t.Fatal("the cancel left the job's folder")
		}
		sweep("jobs=1 orphan_folders=0")

		// It wakes: writes more, makes the folder again with its next
		// file, commits that, and begins a third.
		e.wakeAndCommit(fs, stalled, half)
		third, err := fs.Create(ctx, stalled+"/output-Patient-2.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, third, ndjson(4096, 23))
		if err := half.Commit(); err == nil {
			t.Fatal("the file begun before the cancel committed after it")
		}
		if n := e.stored(stalled); n != 2 {
			t.Fatalf("the stalled node left %d files, want 2 (one committed, one part)", n)
		}
		resp := e.do("GET", e.base+bulk.FilePath+"/"+stalled+"/output-Patient-1.ndjson", stalledTok, nil)
		if readAll(t, resp); resp.StatusCode != 404 {
			t.Fatalf("a file of the cancelled job: %d, want 404", resp.StatusCode)
		}

		// Meanwhile the live node commits one file and is writing another.
		lv := e.beginLive(fs, liveJob, 24)

		// The sweeps: the first to find the orphan folder, and those
		// less than a lease after it, keep it; the one a lease after it
		// removes it. The live node renews its lease as the clock moves.
		sweepsRemove := func(what string) {
			t.Helper()
			sweep("")
			for range 2 {
				e.renewLive(liveJob, lease)
				sweep("")
				if !e.folderExists(stalled) {
					t.Fatalf("%s removed less than a lease after it was found", what)
				}
			}
			e.renewLive(liveJob, lease)
			sweep("jobs=0 orphan_folders=1")
			if e.folderExists(stalled) {
				t.Fatalf("%s kept a lease after it was found", what)
			}
		}
		sweepsRemove("the folder the stalled node made again")

		// It wakes again: its third file cannot commit, and the folder it
		// makes once more for a fourth, which it aborts on learning that
		// its job is gone, is removed in turn.
		writeIn(t, third, ndjson(4096, 26))
		if err := third.Commit(); err == nil {
			t.Fatal("the stalled node's third file committed after the sweep")
		}
		fourth, err := fs.Create(ctx, stalled+"/output-Patient-3.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, fourth, ndjson(4096, 27))
		fourth.Abort()
		if !e.folderExists(stalled) || e.stored(stalled) != 0 {
			t.Fatalf("after the abort: folder %v with %d files, want an empty folder", e.folderExists(stalled), e.stored(stalled))
		}
		sweepsRemove("the empty folder")
		mustNotOpen(t, fs, stalled+"/output-Patient-1.ndjson")

		// The live upload finishes whole; its committed file, the finished
		// export and the operator's things are untouched.
		lv.finish(t, fs)
		done.stillServed(doneFiles)
		for _, name := range others {
			if _, err := os.Stat(filepath.Join(e.dir, name)); err != nil {
				t.Fatalf("the sweep touched %s: %v", name, err)
			}
		}
	})
}

// folderExists reports whether the directory holds a folder for the job.
func (e *env) folderExists(job string) bool {
	e.t.Helper()
	st, err := os.Stat(filepath.Join(e.dir, job))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return err == nil && st.IsDir()
}
