package api

import (
	"bytes"
	"net/http"
	"unicode/utf8"
)

// maxLoggedBody caps each body kept in an audit row; documents and long
// lists are cut there.
const maxLoggedBody = 16 << 10

// bodyCapture copies what a handler writes, for the audit row, when the
// api_log setting asks for bodies.
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
