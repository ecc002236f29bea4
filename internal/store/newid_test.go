package store_test

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestNewIDOrderedByTime: ids are version 7 UUIDs that sort in the order of
// the clock, with random bits that differ within one millisecond.
func TestNewIDOrderedByTime(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "ids.db"), store.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 200; i++ {
		if i%20 == 0 {
			clock = clock.Add(time.Millisecond)
		}
		id, err := st.NewID()
		if err != nil {
			t.Fatal(err)
		}
		if !uuidV7.MatchString(id) || seen[id] {
			t.Fatalf("id %q: not a v7 UUID, or repeated", id)
		}
		seen[id] = true
		// A new millisecond every 20 ids.
		if i%20 == 0 && id <= prev {
			t.Errorf("id %s of a later millisecond sorts before %s", id, prev)
		}
		prev = max(prev, id)
	}
	first, _ := st.NewID()
	// 2026-03-01T12:00:00.010Z is 0x019ca9450a0a ms after the epoch.
	if first[:13] != "019ca945-0a0a" {
		t.Errorf("time field of %s: want the clock's milliseconds, 019ca945-0a0a", first)
	}
}
