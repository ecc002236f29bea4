package bulk_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// benchFileBytes is the size of the file the file-store benchmark writes
// and reads: 64 chunks of the database store.
const benchFileBytes = 64 * bulk.DefaultChunkBytes

// seedNDJSON is n bytes of synthetic records, one a line, as an export
// writes them (they compress as real ones do, which the database's
// compression of the chunks depends on).
func seedNDJSON(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	for s := int64(1); buf.Len() < n; s++ {
		_, err := seed.Generate(context.Background(), seed.Options{Patients: 50, Seed: s, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, func(r seed.Resource) error {
			buf.Write(r.Body)
			return buf.WriteByte('\n')
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return buf.Bytes()[:n]
}

// BenchmarkExportFiles writes and reads one 64 MiB NDJSON file through
// each file store, the directory and the database, on each database (the
// directory's figures do not depend on it), in MB/s: what one export file
// costs to store and to download, without HTTP and the token check, which
// are the same for both.
func BenchmarkExportFiles(b *testing.B) {
	data := seedNDJSON(b, benchFileBytes)
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			st := storetest.Open(b, dialect, store.Options{})
			for _, kind := range fileStores {
				var fs bulk.FileStore = bulk.DirStore{Dir: b.TempDir()}
				if kind == "db" {
					fs = bulk.DBStore{Store: st}
				}
				b.Run(kind+"/write", func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					for b.Loop() {
						writeFile(b, fs, "bench/w.ndjson", data)
					}
				})
				b.Run(kind+"/read", func(b *testing.B) {
					writeFile(b, fs, "bench/r.ndjson", data)
					b.SetBytes(int64(len(data)))
					buf := make([]byte, 32<<10) // what io.Copy would use
					for b.Loop() {
						f, size, err := fs.Open(context.Background(), "bench/r.ndjson")
						if err != nil {
							b.Fatal(err)
						}
						n, err := io.CopyBuffer(io.Discard, onlyReader{f}, buf)
						f.Close()
						if err != nil || n != size || size != int64(len(data)) {
							b.Fatalf("read %d of %d bytes: %v", n, size, err)
						}
					}
				})
				if err := fs.DeletePrefix(context.Background(), "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// onlyReader hides a file's WriterTo, so both stores are read through the
// same Read calls a download makes.
type onlyReader struct{ io.Reader }

func writeFile(b *testing.B, fs bulk.FileStore, key string, data []byte) {
	b.Helper()
	w, err := fs.Create(context.Background(), key)
	if err != nil {
		b.Fatal(err)
	}
	for p := data; len(p) > 0; {
		k := min(len(p), 64<<10)
		if _, err := w.Write(p[:k]); err != nil {
			b.Fatal(err)
		}
		p = p[k:]
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
}
