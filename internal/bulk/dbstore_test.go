package bulk_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// ndjson is n bytes of varied NDJSON lines, the same for the same seed.
func ndjson(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"resourceType":"Observation","id":"o%d","valueQuantity":{"value":%d.%03d},"note":"%x"}`+"\n",
			i, r.IntN(300), r.IntN(1000), r.Uint64())
	}
	return b.Bytes()[:n]
}

// writeIn writes data to w in pieces of odd sizes, as lines of resources
// arrive.
func writeIn(t *testing.T, w io.Writer, data []byte) {
	t.Helper()
	for len(data) > 0 {
		k := min(len(data), 7777)
		if n, err := w.Write(data[:k]); err != nil || n != k {
			t.Fatalf("write: %d of %d, %v", n, k, err)
		}
		data = data[k:]
	}
}

func usage(t *testing.T, st *store.Store, prefix string) (chunks, bytes int64) {
	t.Helper()
	chunks, bytes, err := st.BulkChunkUsage(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return chunks, bytes
}

// settle waits until what w was given is stored, when w is a writer of the
// database store, which stores full chunks in the background.
func settle(t *testing.T, w bulk.FileWriter) {
	t.Helper()
	if s, ok := w.(interface{ WaitStored() error }); ok {
		if err := s.WaitStored(); err != nil {
			t.Fatal(err)
		}
	}
}

func mustNotOpen(t *testing.T, fs bulk.FileStore, key string) {
	t.Helper()
	if f, _, err := fs.Open(context.Background(), key); errs.KindOf(err) != errs.NotFound {
		if f != nil {
			f.Close()
		}
		t.Fatalf("open %s: %v, want NotFound", key, err)
	}
}

// TestDBStoreStreamsAFileOfManyChunks: a file of five and a half chunks is
// stored a chunk at a time as it is written, is invisible until committed, and reads back byte for byte,
// whole and from any offset; a second commit under the key replaces it and
// its chunks; deleting the job's prefix leaves nothing.
func TestDBStoreStreamsAFileOfManyChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		st := storetest.Open(t, dialect, store.Options{})
		fs := bulk.DBStore{Store: st}
		const chunk = bulk.DefaultChunkBytes
		data := ndjson(5*chunk+chunk/2, 1)

		w, err := fs.Create(ctx, "job1/output-Observation-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, w, data[:3*chunk+chunk/2])
		settle(t, w)
		if n, b := usage(t, st, "job1"); n != 3 || b != 3*chunk {
			t.Fatalf("after 3.5 chunks written: %d chunks of %d bytes stored, want 3 full ones", n, b)
		}
		mustNotOpen(t, fs, "job1/output-Observation-0.ndjson")
		writeIn(t, w, data[3*chunk+chunk/2:])
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if n, b := usage(t, st, "job1"); n != 6 || b != int64(len(data)) {
			t.Fatalf("committed: %d chunks of %d bytes, want 6 of %d", n, b, len(data))
		}

		f, size, err := fs.Open(ctx, "job1/output-Observation-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("read back %d of %d bytes (size %d), equal %v, %v", len(got), len(data), size, bytes.Equal(got, data), err)
		}
		for _, off := range []int64{0, 1, chunk - 3, chunk, 4*chunk + 12345, int64(len(data)) - 10} {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			part := make([]byte, 5000)
			n, err := io.ReadFull(f, part)
			want := data[off:min(off+5000, int64(len(data)))]
			if !bytes.Equal(part[:n], want) || (err != nil && n != len(want)) {
				t.Fatalf("at %d: %d bytes, equal %v, %v", off, n, bytes.Equal(part[:n], want), err)
			}
		}
		f.Close()

		// Replaced whole: the old upload's chunks go with the commit.
		w, err = fs.Create(ctx, "job1/output-Observation-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		other := ndjson(chunk+10, 2)
		writeIn(t, w, other)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if n, _ := usage(t, st, "job1"); n != 2 {
			t.Fatalf("after the replacement: %d chunks, want 2", n)
		}
		f, _, err = fs.Open(ctx, "job1/output-Observation-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(f); !bytes.Equal(got, other) {
			t.Fatalf("the replacement reads back %d bytes, not its own", len(got))
		}
		f.Close()

		// Another job's files are not under the prefix.
		w, _ = fs.Create(ctx, "job10/x.ndjson")
		writeIn(t, w, []byte("{}\n"))
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := fs.DeletePrefix(ctx, "job1"); err != nil {
			t.Fatal(err)
		}
		mustNotOpen(t, fs, "job1/output-Observation-0.ndjson")
		if n, _ := usage(t, st, "job1"); n != 0 {
			t.Fatalf("%d chunks left under the deleted prefix", n)
		}
		if n, _ := usage(t, st, "job10"); n != 1 {
			t.Fatalf("the neighbouring job has %d chunks, want 1", n)
		}
		if err := fs.Delete(ctx, "job10/x.ndjson"); err != nil {
			t.Fatal(err)
		}
		if n, _ := usage(t, st, ""); n != 0 {
			t.Fatalf("%d chunks left in all", n)
		}
	})
}

// TestDBStoreAbortLeavesNothing: an aborted file, even one aborted after
// its job's context ended (a lost lease, a stopping node), leaves no chunk
// and no file.
func TestDBStoreAbortLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		st := storetest.Open(t, dialect, store.Options{})
		fs := bulk.DBStore{Store: st, ChunkBytes: 4096}
		ctx, cancel := context.WithCancel(context.Background())
		w, err := fs.Create(ctx, "job2/output-Patient-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, w, ndjson(3*4096+100, 3))
		settle(t, w)
		if n, _ := usage(t, st, "job2"); n != 3 {
			t.Fatalf("%d chunks stored while writing, want 3", n)
		}
		cancel()
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if n, _ := usage(t, st, ""); n != 0 {
			t.Fatalf("%d chunks left after the abort", n)
		}
		mustNotOpen(t, fs, "job2/output-Patient-0.ndjson")
	})
}

// TestDBStoreDeletedWhileWritten: a job's files deleted (a cancel on
// another node) while one is being written: that file's commit fails and
// leaves nothing behind.
func TestDBStoreDeletedWhileWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		st := storetest.Open(t, dialect, store.Options{})
		fs := bulk.DBStore{Store: st, ChunkBytes: 4096}
		w, err := fs.Create(ctx, "job3/output-Patient-0.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		writeIn(t, w, ndjson(2*4096+1, 4))
		settle(t, w)
		if err := fs.DeletePrefix(ctx, "job3"); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("commit of a deleted upload: %v, want NotFound", err)
		}
		mustNotOpen(t, fs, "job3/output-Patient-0.ndjson")
		if n, _ := usage(t, st, ""); n != 0 {
			t.Fatalf("%d chunks left", n)
		}
	})
}

// TestDBStoreReadsAChunkAtATime: a reader fetches each chunk when it gets
// there, not the file at Open: a file deleted after its first chunk was
// read fails at the second. So a reader holds one chunk, whatever the size
// of the file.
func TestDBStoreReadsAChunkAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		st := storetest.Open(t, dialect, store.Options{})
		fs := bulk.DBStore{Store: st, ChunkBytes: 4096}
		data := ndjson(10*4096, 5)
		w, _ := fs.Create(ctx, "job4/f.ndjson")
		writeIn(t, w, data)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		f, _, err := fs.Open(ctx, "job4/f.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		first := make([]byte, 4096)
		if _, err := io.ReadFull(f, first); err != nil || !bytes.Equal(first, data[:4096]) {
			t.Fatalf("first chunk: %v", err)
		}
		if err := fs.DeletePrefix(ctx, "job4"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Read(first); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("read past the first chunk of a deleted file: %v, want NotFound", err)
		}
	})
}

// TestDownloadRange: a download answers a Range request from the offset
// asked for, from either file store, across chunk boundaries.
func TestDownloadRange(t *testing.T) {
	eachFileStore(t, 2, func(t *testing.T, e *env) {
		s := e.service(nil)
		e.serve(s)
		tok := e.token("client-range", allScopes)
		m := e.wait(tok, e.kickoff(tok, "/fhir/r4/$export?_type=Observation"))
		if len(m.Output) == 0 {
			t.Fatal("no output")
		}
		resp := e.do("GET", m.Output[0].URL, tok, nil)
		whole := readAll(t, resp)
		if resp.StatusCode != 200 || len(whole) < 3000 || resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Fatalf("whole file: %d, %d bytes, Accept-Ranges %q", resp.StatusCode, len(whole), resp.Header.Get("Accept-Ranges"))
		}
		for _, r := range [][2]int{{0, 99}, {1000, 2999}, {len(whole) - 50, len(whole) - 1}} {
			resp := e.do("GET", m.Output[0].URL, tok, nil, "Range", fmt.Sprintf("bytes=%d-%d", r[0], r[1]))
			part := readAll(t, resp)
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, whole[r[0]:r[1]+1]) {
				t.Fatalf("range %v: %d, %d bytes, equal %v", r, resp.StatusCode, len(part), bytes.Equal(part, whole[r[0]:r[1]+1]))
			}
			if cr := resp.Header.Get("Content-Range"); !strings.HasPrefix(cr, fmt.Sprintf("bytes %d-%d/", r[0], r[1])) {
				t.Fatalf("Content-Range %q", cr)
			}
		}
	})
}
