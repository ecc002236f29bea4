package testenv

import (
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// SeedPatients loads the synthetic records (US Core shaped, as FHIR
// clients write them) of n patients made from the seed number, as of
// 2026-06-01, and returns the patients' ids.
func (s *Server) SeedPatients(t testing.TB, n int, seedNumber int64) []string {
	t.Helper()
	return storetest.Seed(t, s.App.Store, seed.Options{Patients: n, Seed: seedNumber, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
}
