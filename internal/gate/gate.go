package gate

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// Auditor records accesses; the store is one.
type Auditor interface {
	RecordAccess(ctx context.Context, ev store.AuditEvent)
}

// Config is what one face's gate needs.
type Config struct {
	Verifier *authz.Verifier
	Audit    Auditor
	// Realm names the face in the WWW-Authenticate challenge of a 401.
	Realm string
	// WriteError answers an error in the face's own format (an
	// OperationOutcome, the API's envelope, plain text). The gate has
	// already set the challenge of a 401.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// LogBodies reports whether audit rows also keep the request and
	// response bodies (the api_log site setting); nil means never.
	LogBodies func(ctx context.Context) bool
}

// Gate wraps a face's handlers. It holds no per-request state; one Gate
// serves every request of its face.
type Gate struct{ cfg Config }

// New builds a gate. Verifier, Audit and WriteError are all used by
// every request it serves; a face built without them (to list its
// routes) must not serve.
func New(cfg Config) *Gate { return &Gate{cfg: cfg} }

// Request is one authenticated request as a face's handler sees it.
type Request struct {
	// W is the response; what is written to it is the answer the audit row
	// records the status of (and, with LogBodies, the body).
	W http.ResponseWriter
	// R is the request; its context carries the caller for the store
	// (store.WithRequest, store.WithSearcher).
	R      *http.Request
	Caller *authz.Principal
	// Audit is the row recorded once the answer is written. The handler
	// names what it touched (Patient, Action, Type, ResID); the gate adds
	// who asked, the status and the error.
	Audit store.AuditEvent
	// NoAudit, set by the handler, leaves no row for this request: a
	// status poll or /metrics that got past its checks reads nothing of a
	// patient, and is made many times.
	NoAudit bool

	ans *answer
}

// Context is the request's context (R.Context()).
func (req *Request) Context() context.Context { return req.R.Context() }

// LogRequestBody keeps the body read from the request for the audit row,
// when the face logs bodies; it is a no-op otherwise.
func (req *Request) LogRequestBody(b []byte) {
	if req.ans.body != nil {
		req.ans.reqBody = b
	}
}

// Serve wraps fn with the gate: authenticate, put the caller in the
// context, run fn, answer its error with the face's writer, audit.
func (g *Gate) Serve(fn func(*Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ans := &answer{ResponseWriter: w}
		if g.cfg.LogBodies != nil && g.cfg.LogBodies(r.Context()) {
			ans.body = newCapture()
		}
		p, err := g.authenticate(r)
		if err != nil {
			g.writeError(ans, r, err)
			return
		}
		req := &Request{W: ans, R: r.WithContext(withCaller(r.Context(), r, p)), Caller: p, ans: ans}
		err = fn(req)
		if err != nil {
			g.writeError(ans, req.R, err)
		}
		g.audit(req, err)
	}
}

// withCaller is ctx carrying the authenticated caller of r for the store:
// the audit rows' request information, the search share it counts
// against, and who must read back their own writes from a replica (the
// token's subject, the person or system acting, whichever app they use).
func withCaller(ctx context.Context, r *http.Request, p *authz.Principal) context.Context {
	info := store.RequestInfo{
		RequestID: httpx.RequestIDFrom(r.Context()),
		Actor:     p.Subject, ClientID: p.ClientID, Role: p.Role,
		Method: r.Method, Path: r.URL.Path,
	}
	ctx = store.WithCaller(ctx, "token:"+p.Subject)
	return store.WithSearcher(store.WithRequest(ctx, info), p.Patient, p.Subject, p.ClientID)
}

// authenticate verifies the request's bearer token. A refusal (401) is
// audited and its cause put on the request's access-log line: the row
// names no actor, since nothing in a refused token is trusted. Other
// failures (the revocation store down) are internal errors, not refusals.
func (g *Gate) authenticate(r *http.Request) (*authz.Principal, error) {
	p, err := g.cfg.Verifier.Authenticate(r)
	if err != nil && errs.KindOf(err) == errs.Unauthorized {
		g.refused(r, err)
	}
	return p, err
}

func (g *Gate) refused(r *http.Request, err error) {
	cause := authz.RefusalCause(err)
	if cause == "" {
		cause = "missing bearer token"
	}
	httpx.LogAttr(r.Context(), slog.String("auth_error", cause), slog.String("auth_detail", err.Error()))
	g.cfg.Audit.RecordAccess(r.Context(), store.AuditEvent{
		RequestInfo: store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()), Method: r.Method, Path: r.URL.Path},
		Action:      "authenticate", Status: http.StatusUnauthorized, Detail: err.Error(),
	})
}

// writeError answers err with the face's writer, after the challenge a
// 401 needs (RFC 6750 3).
func (g *Gate) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errs.KindOf(err) == errs.Unauthorized {
		w.Header().Set("WWW-Authenticate", authz.Challenge(g.cfg.Realm, err))
	}
	g.cfg.WriteError(w, r, err)
}

// audit records the request once answered: the status written (the
// error's, when the client went away before an answer), and the error, whose
// internal details stay in the log.
func (g *Gate) audit(req *Request, err error) {
	if req.NoAudit {
		return
	}
	ev := req.Audit
	ev.Status = req.ans.status
	if ev.Status == 0 {
		ev.Status = http.StatusOK // nothing written: net/http answers 200
	}
	if err != nil {
		ev.Status = errs.KindOf(err).Status()
		ev.Detail = err.Error()
		if errs.KindOf(err) == errs.Internal {
			ev.Detail = "internal error"
		}
	}
	if req.ans.body != nil {
		ev.Detail = bodiesDetail(ev.Detail, req.ans.reqBody, req.ans.body.Bytes())
	}
	g.cfg.Audit.RecordAccess(req.Context(), ev)
}
