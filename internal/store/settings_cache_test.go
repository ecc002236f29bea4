package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSettingsCacheAcrossNodes: two nodes over one database (PostgreSQL;
// on SQLite two stores on one file), each with its settings cache. A
// change through a node is seen there at once; the other node keeps its
// answer until its epoch is a TTL old, then sees the change; a node that
// reads the epoch on every call sees it at once. Unset settings are
// cached as NotFound, and an InitSetting that finds the key set changes
// nothing, so it invalidates nothing.
func TestSettingsCacheAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		dsn := storetest.DSN(t, dialect)
		clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		sa, sb := openNode(t, dsn), openNode(t, dsn)
		a := store.NewSettingsCache(sa, store.SettingsCacheOptions{TTL: time.Second, Now: clock.Now})
		b := store.NewSettingsCache(sb, store.SettingsCacheOptions{TTL: time.Second, Now: clock.Now})
		eager := store.NewSettingsCache(sb, store.SettingsCacheOptions{TTL: -1, Now: clock.Now})
		const key = "validate_profiles"
		get := func(c *store.SettingsCache, want string) {
			t.Helper()
			v, err := c.Setting(ctx, key)
			if want == "" {
				if errs.KindOf(err) != errs.NotFound {
					t.Errorf("unset setting: %q %v, want NotFound", v, err)
				}
				return
			}
			if err != nil || v != want {
				t.Errorf("got %q %v, want %q", v, err, want)
			}
		}
		get(a, "")
		get(b, "")

		if err := sa.SetSetting(ctx, key, "declared"); err != nil {
			t.Fatal(err)
		}
		get(a, "declared") // its own change, at once
		get(eager, "declared")
		get(b, "") // kept until the TTL
		clock.Advance(999 * time.Millisecond)
		get(b, "")
		clock.Advance(time.Millisecond)
		get(b, "declared")
		get(a, "declared") // a's epoch read again now, a TTL after its change

		if err := sb.SetSetting(ctx, key, "us-core"); err != nil {
			t.Fatal(err)
		}
		get(b, "us-core")
		get(a, "declared")
		clock.Advance(time.Second)
		get(a, "us-core")

		epoch, err := sa.SettingsEpoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := sb.InitSetting(ctx, key, "off"); err != nil || v != "us-core" {
			t.Fatalf("InitSetting over a set key: %q %v", v, err)
		}
		if again, err := sa.SettingsEpoch(ctx); err != nil || again != epoch {
			t.Errorf("an InitSetting that stored nothing moved the epoch %d → %d (%v)", epoch, again, err)
		}
		if v, err := sb.InitSetting(ctx, "other", "x"); err != nil || v != "x" {
			t.Fatalf("InitSetting of a new key: %q %v", v, err)
		}
		if again, err := sa.SettingsEpoch(ctx); err != nil || again != epoch+1 {
			t.Errorf("an InitSetting that stored a value left the epoch at %d, want %d (%v)", again, epoch+1, err)
		}
	})
}

// TestSettingsCacheConcurrent: readers on two nodes while both nodes
// change the setting; once the writes are done and a TTL has passed,
// every reader answers the last value written (run with -race).
func TestSettingsCacheConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		stores := []*store.Store{openNode(t, dsn), openNode(t, dsn)}
		caches := []*store.SettingsCache{
			store.NewSettingsCache(stores[0], store.SettingsCacheOptions{Now: clock.Now}),
			store.NewSettingsCache(stores[1], store.SettingsCacheOptions{Now: clock.Now}),
		}
		var wg sync.WaitGroup
		for i := range 8 {
			c := caches[i%2]
			wg.Go(func() {
				for range 50 {
					if _, err := c.Setting(ctx, "k"); err != nil && errs.KindOf(err) != errs.NotFound {
						t.Error(err)
						return
					}
				}
			})
		}
		for i := range 20 {
			if err := stores[i%2].SetSetting(ctx, "k", fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
			clock.Advance(100 * time.Millisecond)
		}
		wg.Wait()
		clock.Advance(store.DefaultSettingsTTL)
		for i, c := range caches {
			if v, err := c.Setting(ctx, "k"); err != nil || v != "19" {
				t.Errorf("node %d: %q %v, want the last value", i, v, err)
			}
		}
	})
}

// BenchmarkSettingCached is a setting read on the hot path: no database
// work while no setting changed and the epoch is fresh.
func BenchmarkSettingCached(b *testing.B) {
	st := storetest.Open(b, "sqlite", store.Options{})
	ctx := context.Background()
	if err := st.SetSetting(ctx, "validate_profiles", "us-core"); err != nil {
		b.Fatal(err)
	}
	c := store.NewSettingsCache(st, store.SettingsCacheOptions{TTL: time.Hour})
	b.ReportAllocs()
	for b.Loop() {
		if v, err := c.Setting(ctx, "validate_profiles"); err != nil || v != "us-core" {
			b.Fatal(v, err)
		}
	}
}
