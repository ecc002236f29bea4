package loginthrottle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// audits collects the lockout events.
type audits struct {
	mu  sync.Mutex
	evs []store.AuditEvent
}

func (a *audits) record(ctx context.Context, ev store.AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, ev)
}

func (a *audits) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.evs)
}

// stores runs fn on every store: in memory, and the SQL store on
// each database.
func stores(t *testing.T, fn func(t *testing.T, st loginthrottle.Store)) {
	t.Run("mem", func(t *testing.T) { fn(t, loginthrottle.NewMem()) })
	storetest.Each(t, func(t *testing.T, dialect string) {
		fn(t, storetest.Open(t, dialect, store.Options{}))
	})
}

func TestPolicyDelays(t *testing.T) {
	p := loginthrottle.Policy{Free: 5, Cap: time.Minute}
	cases := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {5, 0}, {6, time.Second}, {7, 2 * time.Second}, {8, 4 * time.Second},
		{11, 32 * time.Second}, {12, time.Minute}, {40, time.Minute}, {1 << 20, time.Minute},
	}
	for _, c := range cases {
		if got := p.Delay(c.failures); got != c.want {
			t.Errorf("Delay(%d) = %v, want %v", c.failures, got, c.want)
		}
	}
}

// TestGrowingDelaysNotLockout: past the free failures each further failure
// doubles the wait, up to the cap; the real user who waits and then gives
// the right password gets in, which resets the account; the address keeps
// its count; entering the delayed state is audited once.
func TestGrowingDelaysNotLockout(t *testing.T) {
	stores(t, func(t *testing.T, st loginthrottle.Store) {
		ctx := context.Background()
		clk := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		var au audits
		th := loginthrottle.New(st, clk.Now, au.record)
		acct, addr := loginthrottle.Account("users", "alice"), loginthrottle.Address("192.0.2.7")
		pol := loginthrottle.PolicyOf(loginthrottle.ClassAccount)

		for i := 1; i <= pol.Free; i++ {
			if w, err := th.Wait(ctx, acct, addr); err != nil || w != 0 {
				t.Fatalf("attempt %d: wait %v %v", i, w, err)
			}
			if w, err := th.Failed(ctx, acct, addr); err != nil || w != 0 {
				t.Fatalf("free failure %d: wait %v %v", i, w, err)
			}
		}
		if au.count() != 0 {
			t.Fatalf("lockout audited before any delay: %d", au.count())
		}
		want := time.Second
		for i := 0; i < 12; i++ {
			w, err := th.Failed(ctx, acct, addr)
			if err != nil {
				t.Fatal(err)
			}
			if w != min(want, pol.Cap) {
				t.Fatalf("failure %d past the free ones: wait %v, want %v", i+1, w, min(want, pol.Cap))
			}
			if got, _ := th.Wait(ctx, acct, addr); got != w {
				t.Fatalf("Wait after failure %d = %v, want %v", i+1, got, w)
			}
			clk.Advance(w - time.Millisecond)
			if got, _ := th.Wait(ctx, acct); got != time.Millisecond {
				t.Fatalf("just before the delay ends: %v", got)
			}
			clk.Advance(time.Millisecond)
			if got, _ := th.Wait(ctx, acct, addr); got != 0 {
				t.Fatalf("after the delay: still %v", got)
			}
			want *= 2
		}
		if au.count() != 1 {
			t.Errorf("lockout audited %d times, want once", au.count())
		} else if ev := au.evs[0]; ev.Action != "lockout" || ev.Type != loginthrottle.ClassAccount || ev.ResID != "users:alice" {
			t.Errorf("lockout event %+v", ev)
		}

		// The real user, after the delay, signs in: the account starts over.
		if err := th.Succeeded(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if w, _ := th.Failed(ctx, acct); w != 0 {
			t.Errorf("a failure after a success: wait %v", w)
		}
		// The address kept its count (5 free + 12 + the one just now).
		list, err := th.List(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		byKey := map[loginthrottle.Key]loginthrottle.Entry{}
		for _, e := range list {
			byKey[e.Key] = e
		}
		if byKey[addr].Failures != pol.Free+12 || byKey[acct].Failures != 1 {
			t.Errorf("list after success: %+v", list)
		}

		// A quiet hour starts the count again.
		clk.Advance(loginthrottle.ResetAfter + time.Second)
		if w, _ := th.Failed(ctx, addr); w != 0 {
			t.Errorf("after a quiet hour: wait %v", w)
		}
	})
}

// TestSprayFromManyAddressesMeetsTheAccount: guesses at one account from
// many addresses, none of which reaches its own limit, still make the
// account's delay grow.
func TestSprayFromManyAddressesMeetsTheAccount(t *testing.T) {
	stores(t, func(t *testing.T, st loginthrottle.Store) {
		ctx := context.Background()
		clk := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		th := loginthrottle.New(st, clk.Now, nil)
		acct := loginthrottle.Account("patient", "bob")
		var last time.Duration
		for i := range 10 {
			addr := loginthrottle.Address("198.51.100." + string(rune('0'+i)))
			w, err := th.Wait(ctx, acct, addr)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(w)
			if last, err = th.Failed(ctx, acct, addr); err != nil {
				t.Fatal(err)
			}
		}
		if last != 16*time.Second {
			t.Errorf("after 10 failures from 10 addresses the account waits %v, want 16s", last)
		}
		if w, _ := th.Wait(ctx, acct, loginthrottle.Address("203.0.113.1")); w != 16*time.Second {
			t.Errorf("a fresh address meets the account's delay: %v", w)
		}
		if w, _ := th.Wait(ctx, loginthrottle.Account("patient", "carol"), loginthrottle.Address("198.51.100.0")); w != 0 {
			t.Errorf("another account from one of the addresses: %v", w)
		}
	})
}

// TestClearReleases: an administrator's clear ends the delay at once.
func TestClearReleases(t *testing.T) {
	stores(t, func(t *testing.T, st loginthrottle.Store) {
		ctx := context.Background()
		clk := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		th := loginthrottle.New(st, clk.Now, nil)
		acct := loginthrottle.Account("users", "dave")
		for range 9 {
			if _, err := th.Failed(ctx, acct); err != nil {
				t.Fatal(err)
			}
		}
		list, _ := th.List(ctx, 10)
		if len(list) != 1 || !list[0].Delayed() || list[0].Key != acct || list[0].Key.Name() != "users:dave" {
			t.Fatalf("list: %+v", list)
		}
		if err := th.Clear(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if w, _ := th.Wait(ctx, acct); w != 0 {
			t.Errorf("after clear: wait %v", w)
		}
		if list, _ := th.List(ctx, 10); len(list) != 0 {
			t.Errorf("after clear: list %+v", list)
		}
	})
}

// TestSharedByNodes: two stores over one database (two nodes) count into
// the same rows, concurrent failures included, and see each other's
// delays.
func TestSharedByNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		var nodes []*loginthrottle.Throttle
		clk := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		for range 2 {
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			nodes = append(nodes, loginthrottle.New(st, clk.Now, nil))
		}
		acct := loginthrottle.Account("users", "erin")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := nodes[i%2].Failed(ctx, acct); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		// 8 failures: 3 past the 5 free ones, so 4 s.
		for i, n := range nodes {
			if w, err := n.Wait(ctx, acct); err != nil || w != 4*time.Second {
				t.Errorf("node %d: wait %v %v, want 4s", i+1, w, err)
			}
		}
		if err := nodes[1].Clear(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if w, _ := nodes[0].Wait(ctx, acct); w != 0 {
			t.Errorf("node 1 after node 2 cleared: %v", w)
		}
	})
}
