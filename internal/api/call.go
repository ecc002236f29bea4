package api

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// call is one request being served: the route, and what the audit row
// needs to know once the answer is written.
type call struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	route *Route
	// g is the gate's request; nil on the public routes.
	g *gate.Request
	// patient is the patient whose records the call touched, for the audit.
	patient string
	resID   string
	m       *mapper
	// bodyTypes are the JSON types of the body's non-string members.
	bodyTypes map[string]string
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

// serve wraps a route's handler: behind the gate (package gate) when the
// route needs a scope, plain for the public ones (/version), which are
// neither authenticated nor audited.
func (h *Handler) serve(rt *Route) http.HandlerFunc {
	if rt.Resource == "" {
		return func(w http.ResponseWriter, r *http.Request) {
			c := h.newCall(w, r, rt)
			if err := refuseControls(r); err != nil {
				writeError(w, r, h.cfg.Logger, err)
				return
			}
			rep, err := rt.handle(c)
			if err != nil {
				writeError(w, r, h.cfg.Logger, err)
				return
			}
			c.write(rep)
		}
	}
	return h.gate.Serve(func(g *gate.Request) error {
		if err := g.Caller.CanAPI(rt.Resource, rt.Interaction); err != nil {
			g.Audit = store.AuditEvent{Action: auditAction(g.R, rt), Type: "api:" + rt.Resource}
			return err
		}
		c := h.newCall(g.W, g.R, rt)
		c.g = g
		if err := refuseControls(g.R); err != nil {
			g.Audit = store.AuditEvent{Action: auditAction(g.R, rt), Type: "api:" + rt.Resource}
			return err
		}
		rep, err := rt.handle(c)
		g.Audit = store.AuditEvent{Patient: c.patient, Action: auditAction(g.R, rt), Type: "api:" + rt.Resource, ResID: c.resID}
		if err != nil {
			return err
		}
		c.write(rep)
		return nil
	})
}

func (h *Handler) newCall(w http.ResponseWriter, r *http.Request, rt *Route) *call {
	return &call{h: h, w: w, r: r, ctx: r.Context(), route: rt,
		m: &mapper{ctx: r.Context(), s: h.cfg.Store, now: h.cfg.Now, cache: h.cache}}
}

func (c *call) write(rep *reply) {
	status := rep.status
	if status == 0 {
		status = c.route.Status
	}
	if rep.file != nil {
		h := c.w.Header()
		h.Set("Content-Type", rep.contentType)
		if rep.filename != "" {
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rep.filename}))
		}
		h.Set("Cache-Control", "no-store")
		c.w.WriteHeader(status)
		c.w.Write(rep.file)
		return
	}
	WriteJSON(c.w, status, Envelope{Data: rep.data, Links: rep.links})
}

// auditAction names what a call did, for the audit log.
func auditAction(r *http.Request, rt *Route) string {
	switch r.Method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodDelete:
		return "delete"
	}
	if rt.List {
		return "search"
	}
	return "read"
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
	if c.g != nil {
		c.g.LogRequestBody(b)
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
	f, types, err := readFields(b)
	c.bodyTypes = types
	return f, err
}
