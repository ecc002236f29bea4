package storetest

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
)

// seedBatch is how many records go into one import: a large seed is not
// held whole in memory.
const seedBatch = 500

// Seed loads the synthetic records the options make (US Core shaped, as
// FHIR clients write them) into the store, and returns the patients' ids.
func Seed(t testing.TB, st *store.Store, opt seed.Options) []string {
	t.Helper()
	ctx := context.Background()
	var items []store.ImportItem
	var patients []string
	flush := func() {
		if err := st.Import(ctx, items); err != nil {
			t.Fatalf("import the seed: %v", err)
		}
		items = items[:0]
	}
	_, err := seed.Generate(ctx, opt, func(r seed.Resource) error {
		o, err := fhirjson.Decode(r.Body)
		if err != nil {
			return err
		}
		if r.Type == "Patient" {
			patients = append(patients, r.ID)
		}
		items = append(items, store.ImportItem{Type: r.Type, ID: r.ID, Resource: o})
		if len(items) == seedBatch {
			flush()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	flush()
	return patients
}
