package httpx

import (
	"io"
	"net/http"
)

// recorder remembers the status and size of a response for the access log,
// the metrics and panic recovery. The middlewares share one recorder per
// request (see record), so a response is wrapped once however many of them
// are stacked, and the status written by Recover is the status they see.
type recorder struct {
	http.ResponseWriter
	status int   // the final status, once wrote is set
	bytes  int64 // body bytes written
	wrote  bool  // the header is on its way: the status can no longer change
}

// record returns the recorder wrapping w, reusing w itself when an outer
// middleware already wrapped it.
func record(w http.ResponseWriter) *recorder {
	if rec, ok := w.(*recorder); ok {
		return rec
	}
	return &recorder{ResponseWriter: w, status: http.StatusOK}
}

func (r *recorder) WriteHeader(code int) {
	// 1xx answers other than 101 (103 Early Hints) are interim: the final
	// status is still to come.
	if !r.wrote && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.status = code
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom keeps io.Copy into the response on the server's fast path
// (sendfile for bulk export files served from disk).
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	r.wrote = true
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{r.ResponseWriter}, src)
	}
	r.bytes += n
	return n, err
}

// Flush lets streaming handlers (bulk NDJSON, $export status polling) push
// data through the wrapper with a plain w.(http.Flusher).
func (r *recorder) Flush() {
	r.wrote = true
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's own writer
// (deadlines, hijacking, full-duplex).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writerOnly hides ReadFrom so io.Copy does not call back into recorder.
type writerOnly struct{ io.Writer }
