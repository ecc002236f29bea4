package store_test

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestFusedClausesAnswerAsGiven checks that a search whose code and value
// clauses fuse into a composite (Observation?code=x&value-quantity=gt1 asks
// code-value-quantity's rows) finds exactly what the two clauses find
// when searched as given, over Observations with every kind of value,
// several codings, components, and none.
func TestFusedClausesAnswerAsGiven(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		values := []string{
			`"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}`,
			`"valueQuantity":{"value":160,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}`,
			`"valueQuantity":{"value":150}`,
			`"valueQuantity":{"unit":"/min"}`,
			`"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"8517006"}],"text":"Ex-smoker"}`,
			`"valueCodeableConcept":{"text":"Never smoked"}`,
			`"valueDateTime":"2021-06-01"`,
			`"valuePeriod":{"start":"2019-01-01","end":"2021-12-31"}`,
			`"valueSampledData":{"origin":{"value":0},"period":10,"dimensions":1,"lowerLimit":100,"upperLimit":200,"data":"1 2 3"}`,
			`"valueString":"high"`,
			`"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":170}}]`,
			``,
		}
		codes := []string{
			`{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}`,
			`{"coding":[{"system":"http://loinc.org","code":"8867-4"},{"system":"http://example.org/local","code":"HR"}]}`,
			`{"coding":[{"system":"http://loinc.org","code":"72166-2"}],"text":"Tobacco smoking status"}`,
			`{"text":"Pulse"}`,
		}
		var items []store.ImportItem
		for i, v := range values {
			for j, c := range codes {
				body := fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":%s`, c)
				if v != "" {
					body += "," + v
				}
				items = append(items, store.ImportItem{Type: "Observation", ID: fmt.Sprintf("o%02d-%d", i, j), Resource: obj(t, body+"}")})
			}
		}
		if err := s.Import(ctx, items); err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, query := range []string{
			"code=8867-4&value-quantity=gt150",
			"code=8867-4&value-quantity=150",
			"code=8867-4&value-quantity=ne72",
			"code=http://loinc.org|8867-4&value-quantity=lt100|http://unitsofmeasure.org|/min",
			"code=HR&value-quantity=ge72",
			"code=http://loinc.org|&value-quantity=gt0",
			"code=8867-4,72166-2&value-quantity=gt100,lt80",
			"code=8480-6&value-quantity=gt100",
			"code=72166-2&value-concept=8517006",
			"code=72166-2&value-concept=http://snomed.info/sct|8517006",
			"code=8867-4&value-date=2021",
			"code=8867-4&value-date=ge2020-06",
			"code=8867-4&value-date=ap2021-06-01",
			"code=8867-4&code=HR&value-quantity=gt150",
			"code=8867-4&value-quantity=gt150&value-concept=8517006",
		} {
			fused := sortedIDs(mustSearch(t, s, "Observation", query+"&_count=100"))
			if given := searchUnfused(t, s, query); fused != given {
				t.Errorf("%s: fused %q, as given %q", query, fused, given)
			}
			if fused != "" {
				found++
			}
		}
		if found < 12 {
			t.Errorf("only %d of the searches found anything", found)
		}
		// The fused query is the composite's: both find the one heart
		// rate above 150 under each code shape that has the LOINC code.
		if got := ids(mustSearch(t, s, "Observation", "code=8867-4&value-quantity=gt150")); got != "o01-0,o01-1" {
			t.Errorf("code=8867-4&value-quantity=gt150 = %q", got)
		}
	})
}

// searchUnfused searches query with each parameter parsed alone, so no two
// of its clauses fuse, and returns the ids in id order.
func searchUnfused(t *testing.T, s *store.Store, query string) string {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q := &search.Query{Type: "Observation", Count: 100}
	for name, values := range v {
		for _, value := range values {
			pq, err := search.Parse("Observation", url.Values{name: {value}}, search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			q.Clauses = append(q.Clauses, pq.Clauses...)
		}
	}
	res, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %s: %v", query, err)
	}
	return sortedIDs(res)
}

func sortedIDs(res *store.SearchResult) string {
	got := strings.Split(ids(res), ",")
	sort.Strings(got)
	return strings.Join(got, ",")
}
