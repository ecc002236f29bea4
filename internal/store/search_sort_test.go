package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSortByDatePages: a search sorted by a date with no selective
// condition, over more date rows than the first threshold looks at, pages
// through every match once in key order (latest date first, or earliest),
// ties by row, whether a page is found among the latest rows or not.
func TestSortByDatePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		type obs struct {
			id     string
			lo, hi string // the earliest and latest date of the resource
			cat    string
		}
		var all []obs
		var items []store.ImportItem
		for i := 0; i < 1500; i++ {
			day := fmt.Sprintf("2020-%02d-%02d", 1+i%12, 1+(i*7)%28)
			cat, body := "common", ""
			if i%50 == 3 {
				cat = "rare" // 30 of them, spread over the dates
			}
			o := obs{id: fmt.Sprintf("o%04d", i), lo: day, hi: day, cat: cat}
			if i%3 == 0 {
				// A period: its end is the latest date.
				end := fmt.Sprintf("2021-%02d-%02d", 1+i%12, 1+(i*5)%28)
				o.hi = end
				body = fmt.Sprintf(`"effectivePeriod":{"start":%q,"end":%q}`, day, end)
			} else {
				body = fmt.Sprintf(`"effectiveDateTime":%q`, day)
			}
			all = append(all, o)
			items = append(items, store.ImportItem{Type: "Observation", ID: o.id, Resource: obj(t, fmt.Sprintf(
				`{"resourceType":"Observation","status":"final","category":[{"coding":[{"code":%q}]}],"code":{"coding":[{"code":"x"}]},%s}`, cat, body))})
		}
		if err := s.Import(ctx, items); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			query string
			cat   string
			desc  bool
		}{
			{"category=common&_sort=-date&_count=70", "common", true},
			{"category=common&_sort=date&_count=90", "common", false},
			{"category=rare&_sort=-date&_count=4", "rare", true},
			{"category=rare&_sort=date&_count=4", "rare", false},
		} {
			var want []string
			var match []obs
			for _, o := range all {
				if o.cat == tt.cat {
					match = append(match, o)
				}
			}
			sort.SliceStable(match, func(i, j int) bool { // ids ascend with rows
				if tt.desc {
					return match[i].hi > match[j].hi
				}
				return match[i].lo < match[j].lo
			})
			for _, o := range match {
				want = append(want, o.id)
			}
			got := allPages(t, s, "Observation", tt.query, 400)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: got %d ids %v…, want %d %v…", tt.query, len(got), got[:min(8, len(got))], len(want), want[:min(8, len(want))])
			}
		}
	})
}
