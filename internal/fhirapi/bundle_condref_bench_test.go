package fhirapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// BenchmarkTransactionConditionalRefs: one transaction of 300 Observation
// creates, each naming its patient by a conditional reference
// (Patient?identifier=…) to one of three patients, as Bundles written
// without the server's ids are (Synthea's newer releases name practitioners
// and organizations so). Each distinct reference is resolved once per
// transaction, under the conditional-create lock.
func BenchmarkTransactionConditionalRefs(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) { benchConditionalRefs(b, dialect) })
	}
}

func benchConditionalRefs(b *testing.B, dialect string) {
	ts := testenv.Start(b, dialect, nil)
	admin := ts.Token("user/*.cruds", "")
	for i := range 3 {
		ts.PutAll(b, admin, fmt.Sprintf(`{"resourceType":"Patient","id":"bp%d","identifier":[{"system":"urn:bench:mrn","value":"m%d"}]}`, i, i))
	}
	entries := make([]string, 300)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Observation","status":"final",`+
			`"code":{"text":"weight"},"subject":{"reference":"Patient?identifier=urn:bench:mrn%%7Cm%d"}},"request":{"method":"POST","url":"Observation"}}`, i, i%3)
	}
	bundle := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
	b.ResetTimer()
	for range b.N {
		if r := ts.Do("POST", "/fhir/r4", admin, bundle, "Prefer", "return=minimal"); r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	b.ReportMetric(float64(300*b.N)/b.Elapsed().Seconds(), "resources/s")
}
