package store_test

import (
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestTokenText: :text matches a concept's text and its codings' displays
// from the start, ignoring case and accents, whether the text repeats a
// display (then it has no row of its own) or not.
func TestTokenText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		for _, body := range []string{
			`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p"},
				"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"Type 2 diabetes mellitus"}],"text":"Type 2 diabetes mellitus"}}`,
			`{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p"},
				"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003","display":"Hypertension"}],"text":"High blood pressure"}}`,
			`{"resourceType":"Condition","id":"c3","subject":{"reference":"Patient/p"},
				"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}],"text":"Asthma, mild"}}`,
			`{"resourceType":"Condition","id":"c4","subject":{"reference":"Patient/p"},
				"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001","display":"ASTHMA"}],"text":"asthma"}}`,
			`{"resourceType":"Condition","id":"c5","subject":{"reference":"Patient/p"},
				"code":{"text":"Ménière disease"}}`,
		} {
			put(t, s, body)
		}
		runSearches(t, s, []searchCase{
			{"Condition", "code:text=type 2", "c1"},
			{"Condition", "code:text=TYPE 2 DIABETES MELLITUS", "c1"},
			{"Condition", "code:text=high", "c2"},
			{"Condition", "code:text=hyper", "c2"},
			{"Condition", "code:text=asthma", "c3,c4"},
			{"Condition", "code:text=meniere", "c5"},
			{"Condition", "code:text=blood", ""},
			{"Condition", "code=195967001", "c3,c4"},
		})
	})
}
