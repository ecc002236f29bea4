package httpx

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecorder(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantBytes  int64
		wantWrote  bool
	}{
		{"nothing", func(http.ResponseWriter) {}, 200, 0, false},
		{"write", func(w http.ResponseWriter) { w.Write([]byte("abc")) }, 200, 3, true},
		{"status", func(w http.ResponseWriter) { w.WriteHeader(404) }, 404, 0, true},
		{"early hints then 201", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(201)
			w.Write([]byte("x"))
		}, 201, 1, true},
		{"second status ignored", func(w http.ResponseWriter) { w.WriteHeader(202); w.WriteHeader(500) }, 202, 0, true},
		{"io.Copy", func(w http.ResponseWriter) { io.Copy(w, strings.NewReader("hello world")) }, 200, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var under sinkWriter
			rec := record(&under)
			tt.handler(rec)
			if rec.status != tt.wantStatus || rec.bytes != tt.wantBytes || rec.wrote != tt.wantWrote {
				t.Errorf("status %d bytes %d wrote %v", rec.status, rec.bytes, rec.wrote)
			}
			if int64(under.body.Len()) != tt.wantBytes {
				t.Errorf("underlying writer got %d bytes, want %d", under.body.Len(), tt.wantBytes)
			}
		})
	}
}

func TestRecorderPassesThrough(t *testing.T) {
	under := httptest.NewRecorder()
	rec := record(under)
	if record(rec) != rec {
		t.Fatal("record wrapped a recorder again")
	}
	var w http.ResponseWriter = rec
	w.(http.Flusher).Flush()
	if !under.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
	if err := http.NewResponseController(rec).Flush(); err != nil {
		t.Errorf("ResponseController through the recorder: %v", err)
	}
}

// Over a real connection io.Copy from a file goes through the server's
// ReadFrom, and the recorder still counts the bytes.
func TestRecorderReadFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.ndjson")
	content := strings.Repeat(`{"resourceType":"Patient"}`+"\n", 1000)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	counted := make(chan int64, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record(w)
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		io.Copy(rec, f)
		counted <- rec.bytes
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != content {
		t.Fatalf("body of %d bytes, want %d", len(body), len(content))
	}
	if n := <-counted; n != int64(len(content)) {
		t.Fatalf("recorder counted %d bytes, want %d", n, len(content))
	}
}

// sinkWriter is a ResponseWriter that, unlike httptest.ResponseRecorder,
// accepts interim 1xx statuses.
type sinkWriter struct {
	h    http.Header
	body bytes.Buffer
}

func (w *sinkWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *sinkWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *sinkWriter) WriteHeader(int)             {}
