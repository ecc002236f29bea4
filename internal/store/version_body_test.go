package store_test

import (
	"context"
	"fmt"
	"strings"
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
