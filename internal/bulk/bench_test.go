package bulk_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// benchPatients is how many patients the export benchmark seeds: 100 by
// default (about 20,000 resources); set EMP_BENCH_PATIENTS for the large
// runs in docs/performance.md.
func benchPatients(b *testing.B) int {
	if v := os.Getenv("EMP_BENCH_PATIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("EMP_BENCH_PATIENTS: %v", err)
		}
		return n
	}
	return 100
}

// BenchmarkExport measures a whole system export into files (every type,
// 100,000 resources a file), in resources per second, and the largest heap
// in use along the way, which should not grow with the export. It runs on
// SQLite, and on PostgreSQL too when EMP_TEST_POSTGRES is set.
func BenchmarkExport(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) { benchmarkExport(b, dialect) })
	}
}

func benchmarkExport(b *testing.B, dialect string) {
	ctx := context.Background()
	st := storetest.Open(b, dialect, store.Options{})
	err := st.BulkLoad(ctx, func() error {
		storetest.Seed(b, st, seed.Options{Patients: benchPatients(b), Seed: 3, Now: time.Now()})
		return nil
	})
	if err == nil {
		err = st.Analyze(ctx) // as emp seed does
	}
	if err != nil {
		b.Fatal(err)
	}
	total, err := st.Count(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	var exported int64
	var maxHeap uint64
	b.ResetTimer()
	for b.Loop() {
		dir := b.TempDir()
		m, err := bulk.RunExport(ctx, st, bulk.ExportOptions{}, dir, func(bulk.Progress) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
		})
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for _, f := range m.Output {
			n += f.Count
		}
		if n != total {
			b.Fatalf("exported %d of %d resources", n, total)
		}
		exported += n
		os.RemoveAll(dir)
	}
	b.ReportMetric(float64(exported)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(maxHeap)/(1<<20), "MB-heap")
}
