package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// bodyReader reads the whole body and reports what happened.
func bodyReader(read *bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*read = true
		b, err := io.ReadAll(r.Body)
		switch {
		case IsTooLarge(err):
			http.Error(w, "too large while reading", http.StatusRequestEntityTooLarge)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			w.Write(b)
		}
	})
}

func TestLimitBody(t *testing.T) {
	onTooLarge := func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "declared too large", http.StatusRequestEntityTooLarge)
	}
	tests := []struct {
		name        string
		body        string
		chunked     bool // no Content-Length: the limit must bite while streaming
		wantStatus  int
		wantBody    string
		wantHandler bool
	}{
		{"under", "12345", false, 200, "12345", true},
		{"exactly max", "1234567890", false, 200, "1234567890", true},
		{"declared over", "12345678901", false, 413, "declared too large\n", false},
		{"streamed under", "12345", true, 200, "12345", true},
		{"streamed over", strings.Repeat("x", 100), true, 413, "too large while reading\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called bool
			h := LimitBody(10, onTooLarge)(bodyReader(&called))
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.chunked {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if called != tt.wantHandler {
				t.Errorf("handler called = %v, want %v", called, tt.wantHandler)
			}
		})
	}
}

// Over a real connection the declared-length check answers without the
// body ever being read.
func TestLimitBodyOverTheWire(t *testing.T) {
	var called bool
	srv := httptest.NewServer(LimitBody(1<<10, nil)(bodyReader(&called)))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("x", 4<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || called {
		t.Fatalf("status %d, handler called %v; want 413 without the handler", resp.StatusCode, called)
	}
}

func TestIsTooLarge(t *testing.T) {
	if IsTooLarge(io.ErrUnexpectedEOF) || IsTooLarge(nil) {
		t.Fatal("IsTooLarge true for an unrelated error")
	}
	_, err := io.ReadAll(http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("abc")), 1))
	if !IsTooLarge(err) {
		t.Fatalf("IsTooLarge(%v) = false", err)
	}
}
