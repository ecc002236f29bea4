package store_test

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestTransactionAllOrNothing: a transaction that fails after some writes
// leaves neither them nor their audit rows.
func TestTransactionAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := context.Background()
		if _, _, err := s.Update(ctx, "Patient", "keep", obj(t, `{"resourceType":"Patient"}`), 0, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		s.FlushAudit()
		before, err := s.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Transaction(ctx, func(tx *store.Tx) error {
			if _, err := tx.Create("Patient", "new-one", obj(t, `{"resourceType":"Patient"}`), search.Compartment{}); err != nil {
				return err
			}
			if _, _, err := tx.Update("Patient", "keep", obj(t, `{"resourceType":"Patient","gender":"male"}`), 0, false, search.Compartment{}); err != nil {
				return err
			}
			if _, err := tx.Delete("Patient", "keep", 0, search.Compartment{}); err != nil {
				return err
			}
			// Seen inside, before the failure.
			if _, err := tx.Read("Patient", "new-one", search.Compartment{}); err != nil {
				return err
			}
			_, err := tx.Delete("Patient", "nobody", 0, search.Compartment{})
			return err
		})
		if errs.KindOf(err) != errs.NotFound {
			t.Fatalf("the failing step: %v", err)
		}
		if _, err := s.Read(ctx, "Patient", "new-one", search.Compartment{}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("the create of a failed transaction is stored: %v", err)
		}
		r, err := s.Read(ctx, "Patient", "keep", search.Compartment{})
		if err != nil || r.Version != 1 {
			t.Errorf("the update and delete of a failed transaction are stored: %+v %v", r, err)
		}
		s.FlushAudit()
		after, _ := s.ListAudit(ctx, store.AuditFilter{})
		if len(after) != len(before) {
			t.Errorf("a failed transaction left %d audit rows", len(after)-len(before))
		}
	})
}

// TestTxLockTwoStores: two servers sharing PostgreSQL, each inside its own
// transaction at the same moment, run the same conditional create; the
// lock makes the second find the first's resource.
func TestTxLockTwoStores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		if dialect != "postgres" {
			t.Skip("SQLite has one writer: its write transactions never overlap (see Tx.Lock)")
		}
		dsn := storetest.DSN(t, dialect)
		ctx := context.Background()
		var stores [2]*store.Store
		for i := range stores {
			s, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		}
		q, err := search.Parse("Patient", url.Values{"identifier": {"urn:x|1"}}, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Both transactions are open before either locks.
		var arrived sync.WaitGroup
		arrived.Add(len(stores))
		var wg sync.WaitGroup
		created := make([]bool, len(stores))
		errc := make([]error, len(stores))
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var once sync.Once
				errc[i] = s.Transaction(ctx, func(tx *store.Tx) error {
					created[i] = false
					if _, err := tx.Match(q, 1); err != nil { // the transaction has begun
						return err
					}
					once.Do(func() { arrived.Done(); arrived.Wait() })
					if err := tx.Lock("Patient?identifier=urn:x|1"); err != nil {
						return err
					}
					ids, err := tx.Match(q, 2)
					if err != nil || len(ids) > 0 {
						return err
					}
					id, _ := tx.NewID()
					_, err = tx.Create("Patient", id, obj(t, `{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"}]}`), search.Compartment{})
					created[i] = err == nil
					return err
				})
			}()
		}
		wg.Wait()
		for _, err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		res, err := stores[0].Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Resources) != 1 || created[0] == created[1] {
			t.Fatalf("%d Patients (created %v); want one", len(res.Resources), created)
		}
	})
}
