package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
)

// SeedPatients loads the synthetic records (US Core shaped, as FHIR
// clients write them) of n patients made from the seed number, as of
// 2026-06-01, and returns the patients' ids.
func (s *Server) SeedPatients(t testing.TB, n int, seedNumber int64) []string {
	t.Helper()
	ctx := context.Background()
	var items []store.ImportItem
	var patients []string
	_, err := seed.Generate(ctx, seed.Options{Patients: n, Seed: seedNumber, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, func(r seed.Resource) error {
		o, err := fhirjson.Decode(r.Body)
		if err != nil {
			return err
		}
		if r.Type == "Patient" {
			patients = append(patients, r.ID)
		}
		items = append(items, store.ImportItem{Type: r.Type, ID: r.ID, Resource: o})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App.Store.Import(ctx, items); err != nil {
		t.Fatal(err)
	}
	return patients
}
