package httpx

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	seeded := bytes.Repeat([]byte{0xab}, 64)
	generated := strings.Repeat("ab", 16)
	tests := []struct {
		name     string
		incoming string
		want     string
	}{
		{"none", "", generated},
		{"kept", "abc-123_X.y", "abc-123_X.y"},
		{"uuid kept", "0b0e7c62-5e2d-4d3c-9a8c-6f3f7f1b2e11", "0b0e7c62-5e2d-4d3c-9a8c-6f3f7f1b2e11"},
		{"64 kept", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"65 replaced", strings.Repeat("a", 65), generated},
		{"space replaced", "a b", generated},
		{"quote replaced", `a"b`, generated},
		{"slash replaced", "a/b", generated},
		{"non-ascii replaced", "é", generated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := RequestID(bytes.NewReader(seeded))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestIDFrom(r.Context())
			}))
			r := httptest.NewRequest("GET", "/", nil)
			if tt.incoming != "" {
				r.Header.Set(RequestIDHeader, tt.incoming)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if seen != tt.want {
				t.Errorf("context id = %q, want %q", seen, tt.want)
			}
			if got := w.Header().Get(RequestIDHeader); got != tt.want {
				t.Errorf("response header = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRequestIDFreshPerRequest(t *testing.T) {
	h := RequestID(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	seen := map[string]bool{}
	for range 100 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		id := w.Header().Get(RequestIDHeader)
		if len(id) != 32 || !validRequestID(id) {
			t.Fatalf("generated id %q is not 32 URL-safe characters", id)
		}
		if seen[id] {
			t.Fatalf("id %q generated twice", id)
		}
		seen[id] = true
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestRequestIDBrokenSource(t *testing.T) {
	h := RequestID(failingReader{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	a, b := httptest.NewRecorder(), httptest.NewRecorder()
	h.ServeHTTP(a, httptest.NewRequest("GET", "/", nil))
	h.ServeHTTP(b, httptest.NewRequest("GET", "/", nil))
	ida, idb := a.Header().Get(RequestIDHeader), b.Header().Get(RequestIDHeader)
	if ida == "" || ida == idb {
		t.Fatalf("ids from a broken source: %q and %q; want two distinct ids", ida, idb)
	}
}

func TestRequestIDFromEmptyContext(t *testing.T) {
	if id := RequestIDFrom(t.Context()); id != "" {
		t.Fatalf("RequestIDFrom(empty) = %q", id)
	}
}
