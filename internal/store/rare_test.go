package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestRareAndCommonConditions pages through searches whose only conditions
// are weak by their kind: a code used by more resources than a rare one
// may have (so the search walks the type and probes) and a rare code (so it
// drives), alone and together, and checks that both plans find every match
// once, in order.
func TestRareAndCommonConditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		const common = 1100
		var items []store.ImportItem
		addValue := func(id, code string, value int) {
			items = append(items, store.ImportItem{Type: "Observation", ID: id, Resource: obj(t, fmt.Sprintf(
				`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":%q}]},"effectiveDateTime":"2020-01-01",
				"valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`, code, value))})
		}
		add := func(id, code string) { addValue(id, code, 60) }
		for i := 0; i < common; i++ {
			// Every 300th common one is high; "other" ones all are: a
			// common code and a common value that rarely meet.
			value := 60
			if i%300 == 7 {
				value = 200
			}
			addValue(fmt.Sprintf("c%04d", i), "common", value)
			addValue(fmt.Sprintf("o%04d", i), "other", 190)
			if i%400 == 0 {
				add(fmt.Sprintf("r%04d", i), "rare")
			}
		}
		if err := s.Import(ctx, items); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			query string
			want  int
			first string
		}{
			{"code=rare&_count=2", 3, "r0000"},
			{"code=common&_count=500", common, "c0000"},
			{"code=common,rare&_count=500", common + 3, "c0000"},
			{"code=rare&date=2020-01-01&_count=1", 3, "r0000"},
			{"code=nothing", 0, ""},
			{"code=common&value-quantity=gt150&_count=2", 4, "c0007"},
			{"code=common&value-quantity=gt150&status=final", 4, "c0007"},
			// code and value-quantity fuse into code-value-quantity;
			// combo-code does not, so two common conditions meet here.
			{"combo-code=common&value-quantity=gt150&_count=2", 4, "c0007"},
			{"code=other&value-quantity=gt150&_count=700", common, "o0000"},
		} {
			got := allPages(t, s, "Observation", tt.query, 10)
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("%s: %s listed twice", tt.query, id)
				}
				seen[id] = true
			}
			if len(got) != tt.want || (tt.want > 0 && got[0] != tt.first) {
				t.Fatalf("%s: %d matches starting %q, want %d starting %q (%s…)", tt.query, len(got), first(got), tt.want, tt.first, strings.Join(got[:min(5, len(got))], ","))
			}
		}
	})
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
