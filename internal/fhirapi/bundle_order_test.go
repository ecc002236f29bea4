package fhirapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// TestBundleEntryErrorsInOrder: the entries of a Bundle are read and
// validated side by side, yet the answer is the one reading them in order
// gives. A transaction fails with its first failing entry, however quickly
// the entries after it fail; a batch answers every entry in place; an
// entry that is not an object fails either, at its own position.
func TestBundleEntryErrorsInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		good := func(i int) string {
			return fmt.Sprintf(`{"resource":{"resourceType":"Patient","name":[{"family":"Ok%d"}],"telecom":[{"system":"phone","value":"555-%04d"}]},"request":{"method":"POST","url":"Patient"}}`, i, i)
		}
		// Found only by validating a whole resource.
		invalid := `{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72,"unit":"/min"},"component":[{"code":{"text":"a"},"valueString":"x"},{"code":{"text":"b"},"valueString":"y"}],"bogusElement":1},"request":{"method":"POST","url":"Observation"}}`
		// Found before any validation.
		badMethod := `{"resource":{"resourceType":"Patient"},"request":{"method":"TRACE","url":"Patient"}}`
		badGender := `{"resource":{"resourceType":"Patient","gender":"robot"},"request":{"method":"POST","url":"Patient"}}`
		notObject := `"an entry"`
		bundle := func(typ string, entries []string) string {
			return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		// many is 60 entries: goods, with the given ones at their indexes.
		many := func(at map[int]string) []string {
			out := make([]string, 60)
			for i := range out {
				if e, ok := at[i]; ok {
					out[i] = e
				} else {
					out[i] = good(i)
				}
			}
			return out
		}
		cheapAfter := map[int]string{7: invalid}
		for i := 8; i < 60; i++ {
			cheapAfter[i] = badMethod
		}
		for _, c := range []struct {
			name    string
			entries []string
			status  int
			expr    string
		}{
			{"a costly failure before cheap ones", many(cheapAfter), 400, "Bundle.entry[7].resource"},
			{"the first of two invalid resources", many(map[int]string{12: badGender, 40: invalid}), 400, "Bundle.entry[12].resource.gender"},
			{"an invalid resource before an entry not an object", many(map[int]string{5: invalid, 6: notObject}), 400, "Bundle.entry[5].resource"},
			{"an entry not an object before an invalid resource", many(map[int]string{30: notObject, 31: invalid}), 400, "Bundle.entry[30]"},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := ts.Count(t, "Patient")
				for round := range 3 {
					status, a := postBundle(t, ts, admin, bundle("transaction", c.entries))
					if status != c.status || len(a.Issue) == 0 || len(a.Issue[0].Expression) == 0 || a.Issue[0].Expression[0] != c.expr && !strings.HasPrefix(a.Issue[0].Expression[0], c.expr+".") {
						t.Fatalf("round %d: %d %+v, want %d naming %s", round, status, a.Issue, c.status, c.expr)
					}
				}
				if after := ts.Count(t, "Patient"); after != before {
					t.Fatalf("a failed transaction stored %d Patients", after-before)
				}
			})
		}
		t.Run("batch", func(t *testing.T) {
			entries := many(map[int]string{3: invalid, 9: badMethod, 10: badGender, 58: invalid})
			status, a := postBundle(t, ts, admin, bundle("batch", entries))
			if status != 200 || len(a.Entry) != len(entries) {
				t.Fatalf("%d, %d entries answered of %d", status, len(a.Entry), len(entries))
			}
			for i, e := range a.Entry {
				want := "201"
				switch i {
				case 3, 9, 10, 58:
					want = "400"
				}
				if !strings.HasPrefix(e.Response.Status, want) {
					t.Errorf("entry %d: %s, want %s", i, e.Response.Status, want)
				}
			}
			// Not an object: the batch as a whole is refused, naming it.
			status, a = postBundle(t, ts, admin, bundle("batch", many(map[int]string{3: invalid, 20: notObject, 21: notObject})))
			if status != 400 || len(a.Issue) == 0 || len(a.Issue[0].Expression) == 0 || a.Issue[0].Expression[0] != "Bundle.entry[20]" {
				t.Fatalf("%d %+v", status, a.Issue)
			}
		})
	})
}
