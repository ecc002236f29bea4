package store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// resourceStatements is a fragment of every statement that reads resources.
const resourceStatements = "FROM resources"

// TestReadReplica runs a store against a primary and a real streaming
// standby: reads go to the standby, a caller's own writes are read back
// even while the standby lags, a standby beyond the lag bound or down is
// passed over for the primary.
func TestReadReplica(t *testing.T) {
	sb := storetest.NewStandby(t)
	ctx := context.Background()
	open := func(t *testing.T, maxLag time.Duration) (*store.Store, *storetest.Clock) {
		clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		st, err := store.Open(ctx, sb.PrimaryURL, store.Options{Replicas: []string{sb.StandbyURL}, ReplicaMaxLag: maxLag, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sb.WaitReplayed(t)
		return st, clock
	}
	su, err := url.Parse(sb.StandbyURL)
	if err != nil {
		t.Fatal(err)
	}
	standbyHost := su.Host
	patient := func(t *testing.T, st *store.Store, ctx context.Context, family string) string {
		t.Helper()
		r, err := st.Create(ctx, "Patient", obj(t, `{"resourceType":"Patient","name":[{"family":"`+family+`"}]}`), none)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}

	t.Run("reads and searches go to the standby", func(t *testing.T) {
		st, _ := open(t, time.Hour)
		id := patient(t, st, ctx, "Replicated")
		sb.WaitReplayed(t)
		before, stats := sb.StandbyStatements(t, resourceStatements), st.ReplicaStats()
		if _, err := st.Read(ctx, "Patient", id, none); err != nil {
			t.Fatal(err)
		}
		if got := ids(mustSearch(t, st, "Patient", "family=Replicated")); got != id {
			t.Fatalf("search = %q, want %s", got, id)
		}
		if got := sb.StandbyStatements(t, resourceStatements) - before; got < 2 {
			t.Fatalf("the standby ran %d statements on resources for a read and a search, want at least 2", got)
		}
		if after := st.ReplicaStats(); after.Replicas[standbyHost] < stats.Replicas[standbyHost]+2 || after.Primary != stats.Primary {
			t.Fatalf("reads by pool: before %+v, after %+v", stats, after)
		}
	})

	t.Run("a caller reads its own writes while the standby lags", func(t *testing.T) {
		st, _ := open(t, time.Hour)
		sb.PauseReplay(t)
		defer sb.ResumeReplay(t)
		alice := store.WithCaller(ctx, "client-a|alice")
		id := patient(t, st, alice, "Written")

		// Another request by the same caller, and the request that wrote,
		// both see the write: the primary answers them.
		before := sb.StandbyStatements(t, resourceStatements)
		for name, c := range map[string]context.Context{"same request": alice, "next request": store.WithCaller(ctx, "client-a|alice")} {
			if _, err := st.Read(c, "Patient", id, none); err != nil {
				t.Fatalf("%s: read own write: %v", name, err)
			}
		}
		if got := sb.StandbyStatements(t, resourceStatements) - before; got != 0 {
			t.Fatalf("the lagging standby answered %d of the caller's reads", got)
		}
		// Another caller, who wrote nothing, is answered by the standby,
		// which has not applied the write yet: the routing is real.
		bob := store.WithCaller(ctx, "client-b|bob")
		if _, err := st.Read(bob, "Patient", id, none); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("another caller's read from the paused standby: err = %v, want NotFound", err)
		}
		if got := sb.StandbyStatements(t, resourceStatements) - before; got != 1 {
			t.Fatalf("the standby answered %d reads, want 1 (the other caller's)", got)
		}

		// Once the standby has applied the write, the caller is answered by it.
		sb.ResumeReplay(t)
		sb.WaitReplayed(t)
		if _, err := st.Read(store.WithCaller(ctx, "client-a|alice"), "Patient", id, none); err != nil {
			t.Fatal(err)
		}
		if got := sb.StandbyStatements(t, resourceStatements) - before; got != 2 {
			t.Fatalf("after catching up the standby answered %d reads, want 2", got)
		}
	})

	t.Run("an export scan sees everything written before it", func(t *testing.T) {
		st, _ := open(t, time.Hour)
		sb.PauseReplay(t)
		defer sb.ResumeReplay(t)
		id := patient(t, st, ctx, "Exported")
		var found bool
		err := st.ScanExport(ctx, store.ExportScan{Type: "Patient"}, func(r store.ExportRow) error {
			found = found || r.ID == id
			return nil
		})
		if err != nil || !found {
			t.Fatalf("export scan while the standby lags: found %v, err %v", found, err)
		}
	})

	t.Run("a standby beyond the lag bound is passed over", func(t *testing.T) {
		st, clock := open(t, time.Millisecond)
		sb.PauseReplay(t)
		defer sb.ResumeReplay(t)
		id := patient(t, st, ctx, "Lagging")
		sb.WaitReceived(t)
		clock.Advance(2 * time.Second) // the standby's state is looked at again
		before := sb.StandbyStatements(t, resourceStatements)
		if _, err := st.Read(ctx, "Patient", id, none); err != nil {
			t.Fatalf("read while the standby lags beyond the bound: %v (the primary should answer)", err)
		}
		if got := sb.StandbyStatements(t, resourceStatements) - before; got != 0 {
			t.Fatalf("the lagging standby answered %d reads", got)
		}
		// Caught up, it answers again. The primary may write a record of its
		// own (a snapshot of running transactions) at any moment, which
		// counts as lag until applied: look again until it answers.
		sb.ResumeReplay(t)
		deadline := time.Now().Add(30 * time.Second)
		for sb.StandbyStatements(t, resourceStatements) == before {
			if time.Now().After(deadline) {
				t.Fatal("the standby, caught up, answered no read within 30 s")
			}
			sb.WaitReplayed(t)
			clock.Advance(2 * time.Second)
			if _, err := st.Read(ctx, "Patient", id, none); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("a standby that is down is passed over", func(t *testing.T) {
		st, clock := open(t, time.Hour)
		id := patient(t, st, ctx, "Survivor")
		sb.WaitReplayed(t)
		if _, err := st.Read(ctx, "Patient", id, none); err != nil {
			t.Fatal(err)
		}
		sb.StopStandby(t)
		defer sb.StartStandby(t)
		primary := st.ReplicaStats().Primary
		for i := 0; i < 3; i++ {
			if _, err := st.Read(ctx, "Patient", id, none); err != nil {
				t.Fatalf("read %d with the standby down: %v", i, err)
			}
			if got := ids(mustSearch(t, st, "Patient", "family=Survivor")); got != id {
				t.Fatalf("search with the standby down = %q", got)
			}
			clock.Advance(2 * time.Second)
		}
		if got := st.ReplicaStats().Primary - primary; got < 6 {
			t.Fatalf("the primary answered %d of 6 reads with the standby down", got)
		}
	})
}

// TestReadOnlyOpen opens a hot standby read-only: nothing is migrated, the
// data is there to read, and a database whose schema is behind is refused.
func TestReadOnlyOpen(t *testing.T) {
	sb := storetest.NewStandby(t)
	ctx := context.Background()
	st, err := store.Open(ctx, sb.PrimaryURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Create(ctx, "Patient", obj(t, `{"resourceType":"Patient","name":[{"family":"Standby"}]}`), none)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	sb.WaitReplayed(t)

	if _, err := store.Open(ctx, sb.StandbyURL, store.Options{}); err == nil {
		t.Fatal("a migrating open of a hot standby succeeded")
	}
	ro, err := store.Open(ctx, sb.StandbyURL, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of the standby: %v", err)
	}
	if _, err := ro.Read(ctx, "Patient", r.ID, none); err != nil {
		t.Fatalf("read on the standby: %v", err)
	}
	if _, err := ro.ListAudit(ctx, store.AuditFilter{Limit: 10}); err != nil {
		t.Fatalf("audit listing on the standby: %v", err)
	}
	ro.Close()

	// A schema behind this build is refused, naming what to do.
	openRaw(t, sb.PrimaryURL).exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`)
	sb.WaitReplayed(t)
	_, err = store.Open(ctx, sb.StandbyURL, store.Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "schema is behind") {
		t.Fatalf("read-only open of a schema behind: err = %v", err)
	}
}
