package server_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// BenchmarkUpdateClients is BenchmarkCreateClients for updates: PUTs of
// existing resources, each client its own resource so that no update
// waits for another's lock. An update is a transaction of its own on both
// databases' paths that differ from a create: it locks the current
// version, and on PostgreSQL its statement fires the trigger that records
// the change for the nodes' read caches.
func BenchmarkUpdateClients(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/%d", d, clients), func(b *testing.B) {
				app, tok := benchAppOn(b, d)
				body := func(id string) string {
					return `{"resourceType":"Observation","id":"` + id + `",` + benchObservation[len(`{"resourceType":"Observation",`):]
				}
				for i := 0; i < clients; i++ {
					put(b, app, tok, fmt.Sprintf("/fhir/r4/Observation/u%d", i), body(fmt.Sprintf("u%d", i)))
				}
				var next atomic.Int64
				runClients(b, clients, "updates", func() func() {
					id := fmt.Sprintf("u%d", (next.Add(1)-1)%int64(clients))
					path, doc := "/fhir/r4/Observation/"+id, body(id)
					return func() { put(b, app, tok, path, doc) }
				})
			})
		}
	}
}
