package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecover(t *testing.T) {
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	outcome := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"resourceType":"OperationOutcome"}`))
	}
	boom := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `W/"3"`)
		w.Header().Set("Content-Type", "text/csv")
		panic("kaboom")
	})
	tests := []struct {
		name     string
		onPanic  func(http.ResponseWriter, *http.Request)
		wantType string
		wantBody string
	}{
		{"face decides", outcome, "application/fhir+json", `{"resourceType":"OperationOutcome"}`},
		{"default", nil, "text/plain; charset=utf-8", "internal server error (request id rid-9)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logBuf.Reset()
			h := RequestID(nil)(Recover(logger, tt.onPanic)(boom))
			r := httptest.NewRequest("GET", "/p", nil)
			r.Header.Set(RequestIDHeader, "rid-9")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 500 || w.Header().Get("Content-Type") != tt.wantType || w.Body.String() != tt.wantBody {
				t.Fatalf("got %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
			}
			if w.Header().Get("ETag") != "" {
				t.Errorf("the handler's ETag survived the panic")
			}
			var entry map[string]any
			if err := json.Unmarshal(logBuf.Bytes(), &entry); err != nil {
				t.Fatalf("log: %q: %v", logBuf.String(), err)
			}
			if entry["level"] != "ERROR" || entry["panic"] != "kaboom" || entry["request_id"] != "rid-9" {
				t.Errorf("log entry %v", entry)
			}
			if stack, _ := entry["stack"].(string); !strings.Contains(stack, "recover_test.go") {
				t.Errorf("stack does not show the panicking handler: %q", stack)
			}
		})
	}
}

// After the first byte has gone out, a 500 is no longer possible: the
// connection must be aborted so the client does not take the truncated
// body as complete.
func TestRecoverAfterResponseStarted(t *testing.T) {
	h := Recover(nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic("late")
	}))
	srv := httptest.NewServer(h)
	srv.Config.ErrorLog = nil
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err == nil {
		_, err = bytes.NewBuffer(nil).ReadFrom(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("reading a response whose handler panicked mid-way succeeded; want a broken connection")
	}
}

func TestRecoverLetsAbortThrough(t *testing.T) {
	h := Recover(nil, nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler passed through", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
