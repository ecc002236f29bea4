package gate

import (
	"bytes"
	"io"
	"net/http"
	"unicode/utf8"
)

// maxLoggedBody caps each body kept in an audit row; documents and long
// lists are cut there.
const maxLoggedBody = 16 << 10

// answer remembers the status a handler answered, for the audit row, and
// with LogBodies a copy of the body, cut at maxLoggedBody.
type answer struct {
	http.ResponseWriter
	status  int
	body    *bytes.Buffer // nil unless bodies are logged
	reqBody []byte
}

func newCapture() *bytes.Buffer { return &bytes.Buffer{} }

func (a *answer) WriteHeader(code int) {
	if a.status == 0 && code >= 200 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *answer) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	if a.body != nil {
		if room := maxLoggedBody - a.body.Len(); room > 0 {
			a.body.Write(p[:min(len(p), room)])
		}
	}
	return a.ResponseWriter.Write(p)
}

// ReadFrom keeps io.Copy into the response on the server's fast path
// (sendfile for bulk export files) when no copy is kept.
func (a *answer) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := a.ResponseWriter.(io.ReaderFrom); ok && a.body == nil {
		if a.status == 0 {
			a.status = http.StatusOK
		}
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{a}, src)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (a *answer) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// writerOnly hides ReadFrom so io.Copy does not call back into answer.
type writerOnly struct{ io.Writer }

// bodiesDetail appends the request and response bodies to an audit detail.
func bodiesDetail(detail string, req, res []byte) string {
	out := detail
	if len(req) > 0 {
		out += "\nrequest: " + clip(req)
	}
	if len(res) > 0 {
		out += "\nresponse: " + clip(res)
	}
	return out
}

// clip is a body as text, cut at the limit and with binary content named
// rather than copied.
func clip(b []byte) string {
	if len(b) > maxLoggedBody {
		b = b[:maxLoggedBody]
	}
	if !utf8.Valid(b) {
		return "(binary, not logged)"
	}
	return string(b)
}
