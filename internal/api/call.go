package api

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// call is one request being served: the caller, the route, and what the
// audit row needs to know once the answer is written.
type call struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	caller *authz.Principal
	route  *Route
	status int
	// patient is the patient whose records the call touched, for the audit.
	patient string
	resID   string
	m       *mapper
	// reqBody and resBody are kept for the audit when bodies are logged.
	reqBody []byte
	resBody *bodyCapture
	// bodyKinds are the JSON kinds of the body's non-string members.
	bodyKinds map[string]string
}

// reply is a handler's answer: the envelope's data and links, or a file.
type reply struct {
	status int
	data   any
	links  *Links
	// file, when set, is sent as it is instead of an envelope.
	file        []byte
	contentType string
	filename    string
}

// serve wraps a route's handler with the gate and the audit.
func (h *Handler) serve(rt *Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{h: h, w: w, r: r, ctx: r.Context(), route: rt, status: http.StatusOK}
		if h.cfg.LogBodies != nil && h.cfg.LogBodies(r.Context()) {
			c.resBody = &bodyCapture{ResponseWriter: w}
			c.w, w = c.resBody, c.resBody
		}
		rep, err := c.run()
		if err != nil {
			c.status = errs.KindOf(err).Status()
			writeError(w, c.r, h.cfg.Logger, err)
		} else {
			c.status = rep.status
			if c.status == 0 {
				c.status = rt.Status
			}
			c.write(rep)
		}
		c.audit(err)
	}
}

func (c *call) run() (*reply, error) {
	rt := c.route
	if rt.Resource != "" {
		p, err := c.h.cfg.Gate.Authenticate(c.r)
		if err != nil {
			return nil, err
		}
		c.caller = p
		info := store.RequestInfo{
			RequestID: httpx.RequestIDFrom(c.r.Context()),
			Actor:     p.Subject, ClientID: p.ClientID, Role: p.Role,
			Method: c.r.Method, Path: c.r.URL.Path,
		}
		c.ctx = store.WithSearcher(store.WithRequest(c.r.Context(), info), p.Patient, p.Subject, p.ClientID)
		c.r = c.r.WithContext(c.ctx)
		if err := p.CanAPI(rt.Resource, rt.Interaction); err != nil {
			return nil, err
		}
	}
	if err := refuseControls(c.r); err != nil {
		return nil, err
	}
	c.m = &mapper{ctx: c.ctx, s: c.h.cfg.Store, now: c.h.cfg.Now, cache: c.h.cache}
	return rt.handle(c)
}

func (c *call) write(rep *reply) {
	if rep.file != nil {
		h := c.w.Header()
		h.Set("Content-Type", rep.contentType)
		if rep.filename != "" {
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rep.filename}))
		}
		h.Set("Cache-Control", "no-store")
		c.w.WriteHeader(c.status)
		c.w.Write(rep.file)
		return
	}
	WriteJSON(c.w, c.status, Envelope{Data: rep.data, Links: rep.links})
}

// audit records the call: who, which patient, what, and how it ended.
func (c *call) audit(err error) {
	if c.caller == nil {
		return
	}
	detail := ""
	if err != nil {
		detail = err.Error()
		if errs.KindOf(err) == errs.Internal {
			detail = "internal error"
		}
	}
	action := "read"
	switch c.r.Method {
	case http.MethodPost:
		action = "create"
	case http.MethodPut:
		action = "update"
	case http.MethodDelete:
		action = "delete"
	default:
		if c.route.List {
			action = "search"
		}
	}
	if c.resBody != nil {
		detail = bodiesDetail(detail, c.reqBody, c.resBody.buf.Bytes())
	}
	c.h.cfg.Store.RecordAccess(c.ctx, store.AuditEvent{
		Patient: c.patient, Action: action, Type: "api:" + c.route.Resource, ResID: c.resID,
		Status: c.status, Detail: detail,
	})
}

// body reads the request body up to the limit.
func (c *call) body() ([]byte, error) {
	if c.r.ContentLength > c.h.cfg.MaxBody {
		return nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", c.h.cfg.MaxBody)
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.h.cfg.MaxBody))
	if err != nil {
		if httpx.IsTooLarge(err) {
			return nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", c.h.cfg.MaxBody)
		}
		return nil, &errs.Error{Kind: errs.Invalid, Message: "could not read the body", Err: err}
	}
	if c.resBody != nil {
		c.reqBody = b
	}
	return b, nil
}

// jsonBody reads a JSON object body as fields (see readFields).
func (c *call) jsonBody() (fields, error) {
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return nil, errs.E(errs.Unsupported, "the body must be application/json, not %q", mt)
		}
	}
	b, err := c.body()
	if err != nil {
		return nil, err
	}
	f, kinds, err := readFields(b)
	c.bodyKinds = kinds
	return f, err
}
