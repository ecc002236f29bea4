package server_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
)

// BenchmarkSeed loads the synthetic data set into a fresh SQLite database
// and reports resources per second: the rate of `emp seed` and of a bulk
// import.
func BenchmarkSeed(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "seed.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		stats, err := server.Seed(ctx, st, seed.Options{Patients: 100, Seed: 1, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stats.Resources)/time.Since(start).Seconds(), "resources/s")
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}
