package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestVersionBodies: the current version's row holds no copy of the bytes;
// every version still reads back whole through vread and history, across
// updates, a deletion, a resurrection and an import, and also from a row
// that holds a copy (as written before).
func TestVersionBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		s := openAt(t, dsn)
		family := func(v int) string { return fmt.Sprintf("Family%d", v) }
		write := func(v int) {
			t.Helper()
			put(t, s, `{"resourceType":"Patient","id":"p1","name":[{"family":"`+family(v)+`"}]}`)
		}
		write(1)
		write(2)
		if err := s.Delete(ctx, "Patient", "p1", none); err != nil {
			t.Fatal(err)
		}
		write(4) // back after the deletion
		write(5)
		if err := s.Import(ctx, []store.ImportItem{{Type: "Patient", ID: "imp", Resource: obj(t, `{"resourceType":"Patient","name":[{"family":"Imported"}]}`)}}); err != nil {
			t.Fatal(err)
		}

		check := func(when string) {
			t.Helper()
			for v := 1; v <= 5; v++ {
				r, err := s.ReadVersion(ctx, "Patient", "p1", int64(v), none)
				if v == 3 {
					if errs.KindOf(err) != errs.Gone {
						t.Errorf("%s: vread 3 (the deletion): %v, want Gone", when, err)
					}
					continue
				}
				if err != nil || !strings.Contains(string(r.Body), family(v)) || !strings.Contains(string(r.Body), `"versionId":"`+fmt.Sprint(v)+`"`) {
					t.Errorf("%s: vread %d: %v %s", when, v, err, r.Body)
				}
			}
			hist, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "p1"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range hist.Versions {
				switch {
				case r.Deleted:
					got = append(got, fmt.Sprintf("%d:deleted", r.Version))
				case strings.Contains(string(r.Body), family(int(r.Version))):
					got = append(got, fmt.Sprintf("%d:ok", r.Version))
				default:
					got = append(got, fmt.Sprintf("%d:%s", r.Version, r.Body))
				}
			}
			if strings.Join(got, ",") != "5:ok,4:ok,3:deleted,2:ok,1:ok" {
				t.Errorf("%s: history = %v", when, got)
			}
			imp, err := s.ReadVersion(ctx, "Patient", "imp", 1, none)
			if err != nil || !strings.Contains(string(imp.Body), "Imported") {
				t.Errorf("%s: vread of the import: %v %s", when, err, imp.Body)
			}
		}
		check("written")

		raw := openRaw(t, dsn)
		copies := raw.count(`SELECT COUNT(*) FROM resource_versions WHERE length(body) > 0`)
		current := raw.count(`SELECT COUNT(*) FROM resource_versions v JOIN resources r ON r.rid = v.rid
			WHERE v.version = r.version AND length(v.body) = 0`)
		// Versions 1, 2 and 4 of p1 keep their bytes; the current
		// versions of p1 and imp do not.
		if copies != 3 || current != 2 {
			t.Errorf("version rows with bytes = %d (want 3), current rows without = %d (want 2)", copies, current)
		}

		// Rows written before kept a copy of the current bytes too.
		raw.exec(`UPDATE resource_versions SET body = (SELECT body FROM resources r WHERE r.rid = resource_versions.rid)
			WHERE length(body) = 0 AND deleted = 0`)
		check("with copies")
		write(6)
		r, err := s.ReadVersion(ctx, "Patient", "p1", 5, none)
		if err != nil || !strings.Contains(string(r.Body), family(5)) {
			t.Errorf("vread 5 after an update over a copied row: %v %s", err, r.Body)
		}
	})
}

// TestVersionBodiesUnderConcurrentUpdates: writers racing on one resource
// each get a version of their own, and every version reads back with the
// bytes its writer stored, however the copies into history interleave.
func TestVersionBodiesUnderConcurrentUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		put(t, s, `{"resourceType":"Patient","id":"hot","name":[{"family":"start"}]}`)
		const writers, each = 4, 10
		errc := make(chan error, writers*each)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					o := obj(t, fmt.Sprintf(`{"resourceType":"Patient","id":"hot","name":[{"family":"w%d-%d"}]}`, w, i))
					_, _, err := s.Update(ctx, "Patient", "hot", o, 0, none)
					errc <- err
				}
			}(w)
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatalf("update: %v", err)
			}
		}
		seen := map[string]int64{}
		for v := int64(1); v <= writers*each+1; v++ {
			r, err := s.ReadVersion(ctx, "Patient", "hot", v, none)
			if err != nil {
				t.Fatalf("vread %d: %v", v, err)
			}
			body := string(r.Body)
			if !strings.Contains(body, fmt.Sprintf(`"versionId":"%d"`, v)) {
				t.Fatalf("vread %d holds another version's bytes: %s", v, body)
			}
			i := strings.Index(body, `"family":"`)
			if i < 0 {
				t.Fatalf("vread %d: %s", v, body)
			}
			family := body[i+10 : i+10+strings.IndexByte(body[i+10:], '"')]
			if prev, dup := seen[family]; dup {
				t.Fatalf("versions %d and %d both hold %q", prev, v, family)
			}
			seen[family] = v
		}
		if len(seen) != writers*each+1 {
			t.Fatalf("%d distinct versions, want %d", len(seen), writers*each+1)
		}

		// Deletions racing with each other and with an update: every one
		// succeeds, and the resource ends deleted once or updated after.
		delErrs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				delErrs <- s.Delete(ctx, "Patient", "hot", none)
			}()
		}
		wg.Wait()
		close(delErrs)
		for err := range delErrs {
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
		hist, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "hot", Count: 5})
		if err != nil {
			t.Fatal(err)
		}
		deletions := 0
		for _, v := range hist.Versions {
			if v.Deleted {
				deletions++
			}
		}
		if deletions != 1 || !hist.Versions[0].Deleted {
			t.Errorf("after racing deletions: %d deletion versions, newest deleted %v", deletions, hist.Versions[0].Deleted)
		}
	})
}
