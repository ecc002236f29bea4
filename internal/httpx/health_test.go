package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestHealthz(t *testing.T) {
	w := httptest.NewRecorder()
	Healthz(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || w.Body.String() != "ok\n" {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
}

func TestReadyz(t *testing.T) {
	secret := errors.New("open /var/lib/emp/emp.db: permission denied")
	tests := []struct {
		name       string
		check      func(context.Context) error
		wantStatus int
		wantBody   string
	}{
		{"ready", func(context.Context) error { return nil }, 200, `{"status":"ready"}` + "\n"},
		{"nil check", nil, 200, `{"status":"ready"}` + "\n"},
		{"failing", func(context.Context) error { return secret }, 503, `{"status":"unavailable"}` + "\n"},
		{"checks are bounded", func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("no deadline")
			}
			return nil
		}, 200, `{"status":"ready"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Readyz(tt.check).ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if strings.Contains(w.Body.String(), "/var/lib") {
				t.Fatal("the readiness error leaked into the body")
			}
		})
	}
}

func TestReadyzHungCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		w := httptest.NewRecorder()
		Readyz(func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}).ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		if w.Code != http.StatusServiceUnavailable || time.Since(start) != readyTimeout {
			t.Fatalf("hung check: %d after %s, want 503 after %s", w.Code, time.Since(start), readyTimeout)
		}
	})
}
