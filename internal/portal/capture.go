package portal

import (
	"bytes"
	"net/http"
)

// maxLoggedBody caps the response body kept in an audit row.
const maxLoggedBody = 16 << 10

// bodyCapture copies the answer for the audit row when the api_log setting
// asks for bodies.
type bodyCapture struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (b *bodyCapture) Write(p []byte) (int, error) {
	if room := maxLoggedBody - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return b.ResponseWriter.Write(p)
}
