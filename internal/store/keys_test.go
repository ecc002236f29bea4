package store_test

import (
	"context"
	"github.com/emedpractice/emp/internal/authrec"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSigningKeySlotFirstWins: a key offered for a slot another key holds
// is dropped without error, so nodes that each made a key for the same
// slot read back one; an expired key's slot can be claimed again.
func TestSigningKeySlotFirstWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s := storetest.Open(t, dialect, store.Options{Now: clock})
		ctx := context.Background()
		key := func(kid, slot string, life time.Duration) authrec.SigningKey {
			return authrec.SigningKey{KID: kid, Alg: "ES256", PrivatePEM: []byte("pem-" + kid), Created: now, NotAfter: now.Add(life), Slot: slot}
		}
		for _, k := range []authrec.SigningKey{key("a", "ES256:", time.Hour), key("b", "ES256:", time.Hour), key("c", "ES256:a", time.Hour), key("d", "ES256:a", time.Hour)} {
			if err := s.SaveSigningKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.LoadSigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		kids := map[string]string{}
		for _, k := range got {
			kids[k.KID] = k.Slot
		}
		if len(kids) != 2 || kids["a"] != "ES256:" || kids["c"] != "ES256:a" {
			t.Fatalf("stored %v, want a and c, the first of each slot", kids)
		}
		// Both expire; the first slot is free again.
		now = now.Add(2 * time.Hour)
		if err := s.SaveSigningKey(ctx, key("e", "ES256:", time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.LoadSigningKeys(ctx)
		if len(got) != 1 || got[0].KID != "e" {
			t.Fatalf("after expiry stored %+v, want e", got)
		}
	})
}
