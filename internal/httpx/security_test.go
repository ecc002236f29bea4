package httpx

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
		}
	})
	h := SecurityHeaders(page)
	tests := []struct {
		name     string
		path     string
		tls      bool
		wantHSTS string
		wantCSP  string
	}{
		{"plain", "/", false, "", "default-src 'none'; frame-ancestors 'none'"},
		{"tls", "/", true, "max-age=31536000", "default-src 'none'; frame-ancestors 'none'"},
		{"page overrides csp", "/page", false, "", "default-src 'self'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			want := map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
				"X-Frame-Options":           "DENY",
				"Strict-Transport-Security": tt.wantHSTS,
				"Content-Security-Policy":   tt.wantCSP,
			}
			for k, v := range want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
