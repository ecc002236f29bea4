package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// openApp opens a server on the dialect without listening; adjust changes
// its configuration first.
func openApp(t *testing.T, dialect string, adjust func(*server.Config)) *server.App {
	t.Helper()
	cfg := server.Config{DB: storetest.DSN(t, dialect), BaseURL: "http://emp.test"}
	if adjust != nil {
		adjust(&cfg)
	}
	app, err := server.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

func mint(t *testing.T, app *server.App, req server.TokenRequest) string {
	t.Helper()
	if req.Subject == "" {
		req.Subject, req.ClientID = "tester", "test-client"
	}
	if req.TTL == 0 {
		req.TTL = time.Hour
	}
	tok, err := app.MintToken(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// serve answers one request through the whole handler, in this goroutine;
// headers are name, value pairs.
func serve(app *server.App, method, path, token string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	app.Handler.ServeHTTP(w, r)
	return w
}

// TestRefusalsAreAudited: a 401 (no token) and a 403 (a token without the
// scope) on every face leave an audit row with the path and the status,
// which `emp audit` and the API log page list.
func TestRefusalsAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		app := openApp(t, dialect, nil)
		ctx := context.Background()
		for _, k := range []string{server.SettingStandardAPI, server.SettingPortalAPI} {
			if err := app.Store.SetSetting(ctx, k, "on"); err != nil {
				t.Fatal(err)
			}
		}
		obsOnly := mint(t, app, server.TokenRequest{Scope: "api:fhir api:oemr user/Observation.rs user/allergy.read"})
		patient := mint(t, app, server.TokenRequest{Scope: "api:port patient/patient.read", Patient: "p1"})
		tests := []struct {
			name, method, path, token string
			status                    int
		}{
			{"fhir, no token", "GET", "/fhir/r4/Patient", "", 401},
			{"fhir, no scope", "GET", "/fhir/r4/Patient", obsOnly, 403},
			{"api, no token", "GET", "/api/patient", "", 401},
			{"api, no scope", "GET", "/api/patient", obsOnly, 403},
			{"portal, no token", "GET", "/portal/patient", "", 401},
			{"portal, staff token", "GET", "/portal/patient", obsOnly, 403},
			{"bulk status, no token", "GET", "/fhir/r4/$bulkdata-status?job=nosuch", "", 401},
			{"bulk kick-off, no scope", "GET", "/fhir/r4/Patient/$export", obsOnly, 403},
			{"bulk status, another's job", "GET", "/fhir/r4/$bulkdata-status?job=", obsOnly, 404},
			{"bulk file, no token", "GET", "/fhir/r4/$bulkdata-file/nosuch/output-Patient-0.ndjson", "", 401},
			{"metrics, no token", "GET", "/metrics", "", 401},
			{"metrics, not an administrator", "GET", "/metrics", patient, 403},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				w := serve(app, tc.method, tc.path, tc.token, "Prefer", "respond-async", "Accept", "application/fhir+json")
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
				}
				app.Store.FlushAudit()
				path, _, _ := strings.Cut(tc.path, "?")
				rows, err := app.Store.ListAudit(ctx, store.AuditFilter{PathPrefix: path, Status: tc.status})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, ev := range rows {
					got = append(got, ev.Method+" "+ev.Path)
					if ev.Path == path && ev.Method == tc.method && ev.RequestID != "" {
						return
					}
				}
				t.Fatalf("no audit row for %s %s with status %d; rows: %v", tc.method, path, tc.status, got)
			})
		}
	})
}

// TestRefusedTokenChallenge: a refused token's 401 carries RFC 6750's
// error="invalid_token" and an error_description naming the cause, on each
// face, and the cause is on the access-log line and in the audit row; a
// request without a token gets the bare realm.
func TestRefusedTokenChallenge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		var logs storetest.SyncBuffer
		clock := storetest.NewClock(time.Now())
		app := openApp(t, dialect, func(c *server.Config) {
			c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			c.Now = clock.Now
		})
		ctx := context.Background()
		if err := app.Store.SetSetting(ctx, server.SettingStandardAPI, "on"); err != nil {
			t.Fatal(err)
		}
		// Minted for an hour, then two hours pass.
		expired := mint(t, app, server.TokenRequest{Scope: "api:fhir api:oemr user/*.cruds", TTL: time.Hour})
		clock.Advance(2 * time.Hour)
		now := clock.Now()
		otherAudience, err := app.Keys.SignAccessToken(ctx, authz.Claims{
			Issuer: app.BaseURL, Audience: "https://other.example/fhir/r4", Subject: "tester", ClientID: "test-client",
			Scope: "user/*.cruds", Role: authz.RoleClinician, ID: "jti-other-aud", IssuedAt: now, Expiry: now.Add(time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, path, token, want, cause string
		}{
			{"fhir, expired", "/fhir/r4/Patient", expired,
				`Bearer realm="fhir", error="invalid_token", error_description="access token expired"`, "access token expired"},
			{"fhir, other audience", "/fhir/r4/Patient", otherAudience,
				`Bearer realm="fhir", error="invalid_token", error_description="access token for another audience"`, "access token for another audience"},
			{"api, expired", "/api/patient", expired,
				`Bearer realm="api", error="invalid_token", error_description="access token expired"`, "access token expired"},
			{"bulk, other audience", "/fhir/r4/$bulkdata-status?job=x", otherAudience,
				`Bearer realm="fhir", error="invalid_token", error_description="access token for another audience"`, "access token for another audience"},
			{"metrics, expired", "/metrics", expired,
				`Bearer realm="metrics", error="invalid_token", error_description="access token expired"`, "access token expired"},
			{"fhir, no token", "/fhir/r4/Patient", "", `Bearer realm="fhir"`, "missing bearer token"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := len(logs.String())
				w := serve(app, "GET", tc.path, tc.token)
				if w.Code != 401 || w.Header().Get("WWW-Authenticate") != tc.want {
					t.Fatalf("%d WWW-Authenticate %q, want 401 %q", w.Code, w.Header().Get("WWW-Authenticate"), tc.want)
				}
				line := logs.String()[before:]
				if !strings.Contains(line, `"msg":"http request"`) || !strings.Contains(line, `"auth_error":"`+tc.cause+`"`) {
					t.Fatalf("access-log line without the cause %q: %s", tc.cause, line)
				}
				app.Store.FlushAudit()
				path, _, _ := strings.Cut(tc.path, "?")
				rows, err := app.Store.ListAudit(ctx, store.AuditFilter{PathPrefix: path, Status: 401, Limit: 1})
				if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0].Detail, tc.cause) {
					t.Fatalf("audit row: %+v %v", rows, err)
				}
			})
		}
	})
}

// TestMetricsNeedAnAdministrator: /metrics on the main listener answers
// 401 without a token, 403 to anyone but an administrator, 200 to one.
func TestMetricsNeedAnAdministrator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		app := openApp(t, dialect, nil)
		tests := []struct {
			name, token string
			status      int
		}{
			{"no token", "", 401},
			{"clinician", mint(t, app, server.TokenRequest{Scope: "user/*.cruds", Role: authz.RoleClinician}), 403},
			{"backend", mint(t, app, server.TokenRequest{Scope: "system/*.rs"}), 403},
			{"patient", mint(t, app, server.TokenRequest{Scope: "patient/*.rs", Patient: "p1"}), 403},
			{"administrator", mint(t, app, server.TokenRequest{Scope: "user/*.rs", Role: authz.RoleAdmin}), 200},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				w := serve(app, "GET", "/metrics", tc.token)
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
				}
				if tc.status == 200 && !strings.Contains(w.Body.String(), "# TYPE ") {
					t.Fatalf("not the metrics: %s", w.Body)
				}
				if tc.status != 200 && strings.Contains(w.Body.String(), "# TYPE ") {
					t.Fatalf("metrics leaked with %d", w.Code)
				}
			})
		}
	})
}

// TestMetricsAddr: with a metrics address, /metrics is served there
// without a token, and the main listener has none.
func TestMetricsAddr(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		app := openApp(t, dialect, func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0" })
		ln, err := app.ListenMetrics()
		if err != nil || ln == nil {
			t.Fatalf("listen: %v %v", ln, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- app.ServeMetrics(ctx, ln) }()
		t.Cleanup(func() { cancel(); <-done })

		resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "# TYPE ") {
			t.Fatalf("metrics address: %d %.200s", resp.StatusCode, body)
		}
		admin := mint(t, app, server.TokenRequest{Scope: "user/*.rs", Role: authz.RoleAdmin})
		if w := serve(app, "GET", "/metrics", admin); w.Code != 404 {
			t.Fatalf("main listener's /metrics with a metrics address: %d %.200s", w.Code, w.Body)
		}
	})
}
