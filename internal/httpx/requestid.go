package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
)

// RequestIDHeader carries the request id both ways.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestIDFrom returns the request id RequestID put in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id, for work started outside an HTTP
// request (bulk jobs) that should log under the id of the request that
// asked for it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID gives every request an id: the caller's X-Request-Id when it is
// a short URL-safe token (so a proxy or client can correlate its own logs
// with ours), else a fresh random one drawn from rnd (crypto/rand when nil).
// The id is echoed in the response header and stored in the context. A
// caller's id is checked strictly because it lands in logs and the audit
// trail: nothing in it can break a log line or smuggle markup.
func RequestID(rnd io.Reader) func(http.Handler) http.Handler {
	gen := newIDSource(rnd)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(RequestIDHeader)
			if !validRequestID(id) {
				id = gen.next()
			}
			w.Header().Set(RequestIDHeader, id)
			next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
		})
	}
}

// maxRequestIDLen bounds a caller's id: long enough for a UUID or a
// trace id with a prefix, short enough to keep log lines small.
const maxRequestIDLen = 64

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// idSource draws ids from a reader. An injected reader (a seeded one in
// tests) need not be safe for concurrent use, so it is read under a lock;
// crypto/rand is.
type idSource struct {
	mu  sync.Mutex
	rnd io.Reader // nil: crypto/rand
}

func newIDSource(rnd io.Reader) *idSource { return &idSource{rnd: rnd} }

func (s *idSource) next() string {
	var b [16]byte
	if s.rnd == nil {
		rand.Read(b[:]) // never fails: the runtime aborts instead
	} else {
		s.mu.Lock()
		_, err := io.ReadFull(s.rnd, b[:])
		s.mu.Unlock()
		if err != nil {
			// A broken injected source must not leave requests without an
			// id (or all sharing one): fall back to the system source.
			rand.Read(b[:])
		}
	}
	return hex.EncodeToString(b[:])
}
