package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// openBenchApp opens the whole server on a fresh database of the dialect.
func openBenchApp(b *testing.B, dialect string) *server.App {
	b.Helper()
	app, err := server.Open(context.Background(), server.Config{DB: storetest.DSN(b, dialect), BaseURL: "http://127.0.0.1:8300"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { app.Close() })
	return app
}

// BenchmarkClientCredentialsToken is a backend service's token request
// through the whole handler stack on each database: form parsing, the
// client lookup, RS384 assertion verification, the jti written once
// (conditional insert), and the access token signed. The assertions are
// signed before the timer (that is the client's cost); requests run on
// 8×GOMAXPROCS goroutines (concurrent clients), so tokens/s is the
// server's throughput. Run with
// a fixed count, e.g. -benchtime=3000x, to bound the signing beforehand.
func BenchmarkClientCredentialsToken(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			app := openBenchApp(b, dialect)
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				b.Fatal(err)
			}
			jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS384", Use: "sig"}}})
			reg, err := app.Auth.Register(context.Background(), auth.ClientMetadata{ClientName: "bench", TokenEndpointAuthMethod: auth.AuthPrivateKeyJWT,
				GrantTypes: []string{auth.GrantClientCredentials}, Scope: "system/*.rs", JWKS: jwks}, true)
			if err != nil {
				b.Fatal(err)
			}
			tokenURL := app.BaseURL + "/connect/token"
			bodies := make([]string, b.N)
			for i := range bodies {
				bodies[i] = url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"},
					"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
					"client_assertion":      {signedAssertion(b, key, "k1", reg.ClientID, tokenURL)}}.Encode()
			}
			var next atomic.Int64
			b.ReportAllocs()
			// Many clients at once, as a loaded server sees them: a
			// request waiting on the database's commit leaves the CPU to
			// the others.
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodPost, tokenURL, stringsReader(bodies[next.Add(1)-1]))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					rec := httptest.NewRecorder()
					app.Handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("%d %s", rec.Code, rec.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkTokenCheck is what the gate costs a request before the face
// does any work: "cached" is the usual case (the token seen before: a
// cache hit and the revocation lookup in the database), "first use" adds
// parsing and the ES256 signature check of a token never seen. Compare
// with BenchmarkReadByID for the share of a read.
func BenchmarkTokenCheck(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			app := openBenchApp(b, dialect)
			mint := func() string {
				tok, err := app.MintToken(context.Background(), server.TokenRequest{Subject: "bench", ClientID: "bench", Scope: "user/*.cruds", TTL: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				return tok
			}
			check := func(b *testing.B, tok string) {
				req := httptest.NewRequest(http.MethodGet, "/fhir/r4/Observation/o1", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				if _, err := app.Gate.Authenticate(req); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("cached", func(b *testing.B) {
				tok := mint()
				check(b, tok)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						check(b, tok)
					}
				})
			})
			// The same without the revocation lookup: what the lookup
			// itself costs is the difference from "cached".
			b.Run("cached, no revocation lookup", func(b *testing.B) {
				v := authz.NewVerifier(authz.VerifierConfig{Keys: app.Keys, Issuer: app.BaseURL, Audience: app.FHIRBase})
				tok := mint()
				req := httptest.NewRequest(http.MethodGet, "/fhir/r4/Observation/o1", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				if _, err := v.Authenticate(req); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := v.Authenticate(req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("first use", func(b *testing.B) {
				toks := make([]string, b.N)
				for i := range toks {
					toks[i] = mint()
				}
				var next atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						check(b, toks[next.Add(1)-1])
					}
				})
			})
		})
	}
}

// BenchmarkReadOnEachDatabase is BenchmarkReadByID on each database, the
// denominator for BenchmarkTokenCheck's share of a read.
func BenchmarkReadOnEachDatabase(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			app := openBenchApp(b, dialect)
			tok, err := app.MintToken(context.Background(), server.TokenRequest{Subject: "bench", ClientID: "bench", Scope: "user/*.cruds", TTL: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			body := `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":72,"unit":"/min"}}`
			put := httptest.NewRequest("PUT", "/fhir/r4/Observation/o1", stringsReader(body))
			put.Header.Set("Authorization", "Bearer "+tok)
			put.Header.Set("Content-Type", "application/fhir+json")
			rec := httptest.NewRecorder()
			app.Handler.ServeHTTP(rec, put)
			if rec.Code != http.StatusCreated {
				b.Fatalf("PUT: %d %s", rec.Code, rec.Body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/fhir/r4/Observation/o1", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					rec := httptest.NewRecorder()
					app.Handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("GET: %d", rec.Code)
						return
					}
				}
			})
		})
	}
}
