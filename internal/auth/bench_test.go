package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkClientCredentials measures the token endpoint's cost for a
// backend client: parsing and verifying an RS384 assertion, recording its
// jti, and signing the ES256 access token (in-memory store, no network).
// Assertions are signed before the timer: signing is the client's cost.
// Requests run in parallel on GOMAXPROCS goroutines, so tokens/s is the
// server's throughput. Run with a fixed count, e.g. -benchtime=4000x.
func BenchmarkClientCredentials(b *testing.B) {
	for _, alg := range []struct {
		name string
		key  any
		alg  jose.SignatureAlgorithm
		kid  string
	}{{"RS384", rsaKey(), jose.RS384, "rs-1"}, {"ES384", ecKey(), jose.ES384, "ec-1"}} {
		b.Run(alg.name, func(b *testing.B) {
			e := newEnv(b)
			id := e.backendClient(backendScopes)
			bodies := make([]string, b.N)
			for i := range bodies {
				bodies[i] = ccForm("system/*.rs", assertion(b, alg.key, alg.alg, alg.kid, e.assertionClaims(id), nil)).Encode()
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body := bodies[next.Add(1)-1]
					req := httptest.NewRequest(http.MethodPost, e.tokenURL, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					w := httptest.NewRecorder()
					e.srv.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Errorf("%d %s", w.Code, w.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
