package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
)

// TestWALCopierBoundsTheLog: during a bulk load the writer does not
// checkpoint by itself, yet the log does not grow with the load: the copier
// moves committed pages to the database file and the writer, which measures
// the log after each commit, empties it once it is past the limit. So after
// every Import the log file is within the limit, however the copier's
// goroutine was scheduled. After the load the writer checkpoints by itself
// again and every resource is there.
func TestWALCopierBoundsTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "emp.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.walCopyBytes = 256 << 10

	const batches, perBatch = 100, 100
	largestLog := int64(0)
	err = s.BulkLoad(ctx, func() error {
		for b := 0; b < batches; b++ {
			items := make([]ImportItem, perBatch)
			for i := range items {
				o, err := fhirjson.Decode([]byte(fmt.Sprintf(`{"resourceType":"Observation","status":"final",
					"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Heart rate %d"},
					"subject":{"reference":"Patient/p%d"},"effectiveDateTime":"2024-01-01T10:00:00Z",
					"valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`, i, b, 60+i)))
				if err != nil {
					return err
				}
				items[i] = ImportItem{Type: "Observation", ID: fmt.Sprintf("o%d-%d", b, i), Resource: o}
			}
			if err := s.Import(ctx, items); err != nil {
				return err
			}
			if fi, err := os.Stat(path + "-wal"); err == nil {
				largestLog = max(largestLog, fi.Size())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The load wrote several times the limit; without the copier the log
	// holds all of it until the load ends.
	if fi.Size() < 8<<20 {
		t.Fatalf("the database holds %d bytes: too little to tell", fi.Size())
	}
	t.Logf("largest log %d bytes, database %d bytes", largestLog, fi.Size())
	if largestLog > s.walCopyBytes {
		t.Errorf("the log grew to %d bytes during a load of %d, past the limit of %d", largestLog, fi.Size(), s.walCopyBytes)
	}
	var auto int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 1000 {
		t.Errorf("wal_autocheckpoint after the load = %d (%v), want 1000", auto, err)
	}
	n, err := s.Count(ctx, "Observation")
	if err != nil || n != batches*perBatch {
		t.Errorf("count = %d (%v), want %d", n, err, batches*perBatch)
	}
}
