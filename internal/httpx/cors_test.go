package httpx

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	policy := func(r *http.Request, origin string) bool { return origin == "https://app.example" }
	var reached bool
	h := CORS(policy)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.WriteHeader(http.StatusOK)
	}))
	tests := []struct {
		name        string
		method      string
		origin      string
		preflight   bool
		wantStatus  int
		wantAllow   string // Access-Control-Allow-Origin
		wantReached bool
	}{
		{"preflight allowed", "OPTIONS", "https://app.example", true, 204, "https://app.example", false},
		{"preflight refused", "OPTIONS", "https://evil.example", true, 403, "", false},
		{"request allowed", "GET", "https://app.example", false, 200, "https://app.example", true},
		{"request refused", "GET", "https://evil.example", false, 200, "", true},
		{"no origin", "GET", "", false, 200, "", true},
		{"plain OPTIONS passes", "OPTIONS", "https://app.example", false, 200, "https://app.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached = false
			r := httptest.NewRequest(tt.method, "/fhir/r4/Patient", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				r.Header.Set("Access-Control-Request-Method", "POST")
				r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			hd := w.Header()
			if w.Code != tt.wantStatus || reached != tt.wantReached {
				t.Fatalf("status %d reached %v, want %d %v", w.Code, reached, tt.wantStatus, tt.wantReached)
			}
			if got := hd.Get("Access-Control-Allow-Origin"); got != tt.wantAllow {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantAllow)
			}
			if !slices.Contains(hd.Values("Vary"), "Origin") {
				t.Errorf("Vary = %q, want Origin in it", hd.Values("Vary"))
			}
			if hd.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed")
			}
			switch {
			case tt.preflight && tt.wantAllow != "":
				for _, want := range []string{"Authorization", "Content-Type", "Prefer", "If-Match", "If-None-Match"} {
					if !strings.Contains(hd.Get("Access-Control-Allow-Headers"), want) {
						t.Errorf("Allow-Headers %q lacks %s", hd.Get("Access-Control-Allow-Headers"), want)
					}
				}
				if !strings.Contains(hd.Get("Access-Control-Allow-Methods"), "POST") || hd.Get("Access-Control-Max-Age") == "" {
					t.Errorf("preflight answer incomplete: %v", hd)
				}
			case tt.wantAllow != "":
				for _, want := range []string{"Location", "ETag", "Content-Location", "X-Progress", "Retry-After", "X-Request-Id"} {
					if !strings.Contains(hd.Get("Access-Control-Expose-Headers"), want) {
						t.Errorf("Expose-Headers %q lacks %s", hd.Get("Access-Control-Expose-Headers"), want)
					}
				}
			default:
				if hd.Get("Access-Control-Expose-Headers") != "" || hd.Get("Access-Control-Allow-Methods") != "" {
					t.Errorf("CORS headers on a refused or same-origin request: %v", hd)
				}
			}
		})
	}
}

func TestCORSNilPolicyRefuses(t *testing.T) {
	h := CORS(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("OPTIONS", "/", nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Access-Control-Request-Method", "GET")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Fatalf("nil policy preflight: %d, want 403", w.Code)
	}
}
