package bulk_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestDBStoreWriterMemoryIsBounded: a writer of the database store holds
// the chunks being stored and the one being filled, however long the file:
// the memory in use (after a collection) once 56 more chunks have been
// written is what it was after the first 8, give or take a few chunks
// (the drivers' buffers for a chunk-sized argument, a connection warmed
// later than the others). A writer that kept what it stored would hold
// the 56 chunks, seven times the bound.
func TestDBStoreWriterMemoryIsBounded(t *testing.T) {
	const (
		chunk  = 64 << 10
		chunks = 64
		piece  = 4 << 10
	)
	storetest.Each(t, func(t *testing.T, dialect string) {
		for _, inFlight := range []int{1, 2} {
			ctx := context.Background()
			st := storetest.Open(t, dialect, store.Options{})
			fs := bulk.DBStore{Store: st, ChunkBytes: chunk, ChunksInFlight: inFlight}
			data := ndjson(chunks*chunk, 11)
			w, err := fs.Create(ctx, "job9/output-Observation-0.ndjson")
			if err != nil {
				t.Fatal(err)
			}
			const first = 8
			write := func(from, to int) {
				t.Helper()
				for off := from * chunk; off < to*chunk; off += piece {
					if _, err := w.Write(data[off : off+piece]); err != nil {
						t.Fatal(err)
					}
				}
				settle(t, w)
			}
			inUse := func() int64 {
				var m runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m)
				return int64(m.HeapAlloc)
			}
			write(0, first)
			before := inUse()
			write(first, chunks)
			grown := inUse() - before
			runtime.KeepAlive(data) // live at both readings
			const bound = 8 * chunk
			if grown > bound {
				t.Errorf("%d in flight: %d more chunks of %d KiB written, memory in use grew by %d KiB, want at most %d KiB",
					inFlight, chunks-first, chunk>>10, grown>>10, bound>>10)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if n, bytes := usage(t, st, "job9"); n != chunks || bytes != int64(len(data)) {
				t.Errorf("%d in flight: %d chunks, %d bytes stored; want %d, %d", inFlight, n, bytes, chunks, len(data))
			}
		}
	})
}
