package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestCORS checks SMART requirements 16-17 over the whole server: the
// discovery documents and the CapabilityStatement allow any origin; the
// token endpoint and the data faces allow only the origins of approved
// clients' redirect URIs, preflights included.
func TestCORS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		ts.publicApp(appScopes)
		disabled := ts.register(auth.ClientMetadata{ClientName: "Old app", RedirectURIs: []string{"https://old.example/cb"},
			TokenEndpointAuthMethod: auth.AuthNone, Scope: appScopes})
		if err := ts.app.Store.SetClientStatus(context.Background(), disabled.ClientID, auth.ClientDisabled); err != nil {
			t.Fatal(err)
		}
		tok := ts.token("patient/*.rs", "pat-a")
		const evil = "https://evil.example"
		const (
			plain     = "plain"
			preflight = "preflight"
		)
		tests := []struct {
			name, kind, method, path, origin string
			token                            bool
			status                           int  // 0: any
			allowed                          bool // the origin echoed in Access-Control-Allow-Origin
		}{
			{"smart configuration, any origin", plain, "GET", "/.well-known/smart-configuration", evil, false, 200, true},
			{"smart configuration under the FHIR base, any origin", plain, "GET", "/fhir/r4/.well-known/smart-configuration", evil, false, 200, true},
			{"openid configuration, any origin", plain, "GET", "/.well-known/openid-configuration", evil, false, 200, true},
			{"metadata at the root, any origin", plain, "GET", "/metadata", evil, false, 200, true},
			{"metadata under the FHIR base, any origin", plain, "GET", "/fhir/r4/metadata", evil, false, 200, true},
			{"metadata preflight, any origin", preflight, "GET", "/fhir/r4/metadata", evil, false, 204, true},
			{"server JWKS, any origin", plain, "GET", "/.well-known/jwks.json", evil, false, 200, true},

			{"token preflight, registered origin", preflight, "POST", "/connect/token", appOrigin, false, 204, true},
			{"token preflight, unknown origin", preflight, "POST", "/connect/token", evil, false, 403, false},
			{"token preflight, disabled client's origin", preflight, "POST", "/connect/token", "https://old.example", false, 403, false},
			{"token answer, registered origin", plain, "POST", "/connect/token", appOrigin, false, 400, true},
			{"token answer, unknown origin", plain, "POST", "/connect/token", evil, false, 400, false},

			{"FHIR preflight, registered origin", preflight, "GET", "/fhir/r4/Patient/pat-a", appOrigin, false, 204, true},
			{"FHIR preflight, unknown origin", preflight, "GET", "/fhir/r4/Patient/pat-a", evil, false, 403, false},
			{"FHIR preflight, disabled client's origin", preflight, "GET", "/fhir/r4/Patient", "https://old.example", false, 403, false},
			{"FHIR read, registered origin", plain, "GET", "/fhir/r4/Patient/pat-a", appOrigin, true, 200, true},
			{"FHIR read without a token, registered origin sees the 401", plain, "GET", "/fhir/r4/Patient/pat-a", appOrigin, false, 401, true},
			{"FHIR read, unknown origin", plain, "GET", "/fhir/r4/Patient/pat-a", evil, true, 200, false},
			{"FHIR search, registered origin", plain, "GET", "/fhir/r4/Patient?_id=pat-a", appOrigin, true, 200, true},
			{"FHIR read, same-origin request without Origin", plain, "GET", "/fhir/r4/Patient/pat-a", "", true, 200, false},
			{"bulk kick-off preflight, registered origin", preflight, "GET", "/fhir/r4/$export", appOrigin, false, 204, true},
			{"JSON API preflight, registered origin", preflight, "GET", "/api/patient", appOrigin, false, 204, true},
			{"JSON API preflight, unknown origin", preflight, "GET", "/api/patient", evil, false, 403, false},
			{"portal API preflight, registered origin", preflight, "GET", "/portal/patient", appOrigin, false, 204, true},
			{"login page, no CORS for any origin", plain, "GET", "/connect/login", appOrigin, false, 0, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				method := tt.method
				if tt.kind == preflight {
					method = http.MethodOptions
				}
				var body *strings.Reader
				if tt.method == "POST" && tt.kind == plain {
					body = strings.NewReader("grant_type=refresh_token&refresh_token=nonsense")
				} else {
					body = strings.NewReader("")
				}
				req, _ := http.NewRequest(method, ts.srv.URL+tt.path, body)
				if tt.method == "POST" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if tt.origin != "" {
					req.Header.Set("Origin", tt.origin)
				}
				if tt.kind == preflight {
					req.Header.Set("Access-Control-Request-Method", tt.method)
					req.Header.Set("Access-Control-Request-Headers", "authorization")
				}
				if tt.token {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if tt.status != 0 && resp.StatusCode != tt.status {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
				}
				acao := resp.Header.Get("Access-Control-Allow-Origin")
				if tt.allowed && acao != tt.origin && acao != "*" {
					t.Errorf("Access-Control-Allow-Origin %q, want %q", acao, tt.origin)
				}
				if !tt.allowed && acao != "" {
					t.Errorf("Access-Control-Allow-Origin %q on a refused origin", acao)
				}
				if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
					t.Error("credentials must never be allowed cross-origin")
				}
				if tt.kind == preflight && tt.allowed {
					if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, tt.method) {
						t.Errorf("Access-Control-Allow-Methods %q lacks %s", m, tt.method)
					}
					if h := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(h), "authorization") {
						t.Errorf("Access-Control-Allow-Headers %q lacks Authorization", h)
					}
				}
				if tt.kind == plain && tt.allowed && strings.HasPrefix(tt.path, "/fhir/r4/Patient") {
					if e := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(e, "ETag") || !strings.Contains(e, "Location") {
						t.Errorf("Access-Control-Expose-Headers %q", e)
					}
				}
				if strings.HasPrefix(tt.path, "/fhir/r4/Patient") && !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
					t.Errorf("Vary %q lacks Origin", resp.Header.Values("Vary"))
				}
			})
		}
	})
}
