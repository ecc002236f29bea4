package web

import (
	"net/http"
	"strings"
)

// HomeLinks are the addresses the root page points each audience to; the
// server fills them from its own configuration.
type HomeLinks struct {
	FHIRBase, Discovery, Metadata, API, Swagger, Register, Admin, Portal, JWKS string
}

type homeView struct {
	Frame
	Links HomeLinks
	Demo  bool
}

// Home writes the root page for a person's browser: what this server is
// and where each audience (patients, the practice, app developers) goes.
func (s *Site) Home(w http.ResponseWriter, r *http.Request, links HomeLinks) {
	v := homeView{Frame: s.frame(r, "Welcome"), Links: links, Demo: s.demo}
	v.Wide = true
	s.render(w, r, http.StatusOK, "home", v)
}

// StyledNotFound answers a browser's request for a page that does not
// exist with the site's own 404 page instead of the mux's plain text.
// Only a GET or HEAD that accepts HTML and got a plain-text 404 is
// replaced: the APIs' own 404 bodies (FHIR OperationOutcome, JSON) pass
// through untouched.
func (s *Site) StyledNotFound(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !strings.Contains(r.Header.Get("Accept"), "text/html") {
			next.ServeHTTP(w, r)
			return
		}
		nw := &notFoundWriter{ResponseWriter: w}
		next.ServeHTTP(nw, r)
		if nw.swallowed {
			s.notFound(w, r, Frame{})
		}
	})
}

// notFoundWriter holds back a plain-text 404 so it can be replaced; any
// other answer goes through as written.
type notFoundWriter struct {
	http.ResponseWriter
	decided, swallowed bool
}

func (n *notFoundWriter) WriteHeader(code int) {
	if n.decided {
		return
	}
	n.decided = true
	if code == http.StatusNotFound && strings.HasPrefix(n.Header().Get("Content-Type"), "text/plain") {
		n.swallowed = true
		// The replacement sets its own headers.
		n.Header().Del("Content-Type")
		n.Header().Del("X-Content-Type-Options")
		return
	}
	n.ResponseWriter.WriteHeader(code)
}

func (n *notFoundWriter) Write(p []byte) (int, error) {
	if !n.decided {
		n.WriteHeader(http.StatusOK)
	}
	if n.swallowed {
		return len(p), nil
	}
	return n.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the real writer (flushes,
// deadlines) of an answer that is not replaced.
func (n *notFoundWriter) Unwrap() http.ResponseWriter { return n.ResponseWriter }
