package fhirapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/fhir/profile"
	"github.com/emedpractice/emp/internal/fhir/redact"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Config is what the FHIR face needs.
type Config struct {
	Store *store.Store
	// Settings answers the site settings read on every write
	// (validate_profiles); one over Store with Now as its clock when nil.
	Settings *store.SettingsCache
	Gate     *authz.Verifier
	Logger   *slog.Logger
	Now      func() time.Time

	// BaseURL is the absolute URL of the FHIR base, without a trailing
	// slash (https://ehr.example.org/fhir/r4). Links, Location headers and
	// fullUrls are built from it.
	BaseURL string
	// BaseAliases are other absolute bases under which clients refer to
	// this server's resources (an older host name, the /apis/default/fhir/r4
	// path): references under them are local too.
	BaseAliases []string

	// MaxBody caps request bodies (default 8 MiB).
	MaxBody int64
	// MaxBundleEntries caps the entries of a transaction or batch
	// (default DefaultMaxBundleEntries).
	MaxBundleEntries int

	// Software names the server in the CapabilityStatement.
	Software, Version string

	// Security describes the OAuth endpoints for the CapabilityStatement's
	// SMART extension; empty fields are left out.
	Security SecurityURLs

	// Operations are extra operations (bulk export) served by other
	// packages, declared in the CapabilityStatement.
	Operations []Operation
	// Instantiates lists the canonical CapabilityStatements this server
	// also conforms to (the bulk data one).
	Instantiates []string
}

// SecurityURLs are the authorization server's endpoints.
type SecurityURLs struct {
	Authorize, Token, Register, Manage, Introspect, Revoke string
}

// Operation is an operation declared in the CapabilityStatement, at system
// level (Type empty) or on a type.
type Operation struct {
	Type, Name, Definition string
}

// Handler serves the FHIR face. Mount it at "/fhir/r4/".
type Handler struct {
	cfg   Config
	local search.LocalBases // BaseURL and BaseAliases
	mux   *http.ServeMux
	gate  *gate.Gate
	caps  []byte // the CapabilityStatement, built once
	// profiles are the US Core profiles $validate and validate_profiles check.
	profiles *profile.Set
}

// New builds the face.
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.MaxBundleEntries <= 0 {
		cfg.MaxBundleEntries = DefaultMaxBundleEntries
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Settings == nil {
		cfg.Settings = store.NewSettingsCache(cfg.Store, store.SettingsCacheOptions{Now: cfg.Now})
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), local: search.NewLocalBases(append([]string{cfg.BaseURL}, cfg.BaseAliases...)...)}
	h.gate = gate.New(gate.Config{Verifier: cfg.Gate, Audit: cfg.Store, Realm: "fhir", WriteError: h.writeError})
	caps, err := h.capabilityStatement()
	if err != nil {
		return nil, err
	}
	h.caps = caps
	if h.profiles, err = profile.Load(); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// Prefix is where the face is mounted.
const Prefix = "/fhir/r4"

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET "+Prefix+"/metadata", h.metadata)
	m.HandleFunc("POST "+Prefix, h.system(h.bundle))
	m.HandleFunc("POST "+Prefix+"/{$}", h.system(h.bundle))
	m.HandleFunc("GET "+Prefix+"/{type}", h.gated(h.search))
	m.HandleFunc("PUT "+Prefix+"/{type}", h.gated(h.conditionalUpdate))
	m.HandleFunc("DELETE "+Prefix+"/{type}", h.gated(h.conditionalDelete))
	m.HandleFunc("POST "+Prefix+"/{type}", h.gated(h.create))
	m.HandleFunc("POST "+Prefix+"/{type}/_search", h.gated(h.search))
	m.HandleFunc("GET "+Prefix+"/{type}/_history", h.gated(h.typeHistory))
	m.HandleFunc("GET "+Prefix+"/{type}/$docref", h.gated(h.docref))
	m.HandleFunc("POST "+Prefix+"/{type}/$docref", h.gated(h.docref))
	m.HandleFunc("POST "+Prefix+"/{type}/$validate", h.gated(h.validateOp))
	m.HandleFunc("POST "+Prefix+"/{type}/{id}/$validate", h.gated(h.validateOp))
	m.HandleFunc("GET "+Prefix+"/{type}/{id}", h.gated(h.read))
	m.HandleFunc("PUT "+Prefix+"/{type}/{id}", h.gated(h.update))
	m.HandleFunc("DELETE "+Prefix+"/{type}/{id}", h.gated(h.delete))
	m.HandleFunc("PATCH "+Prefix+"/{type}/{id}", h.gated(h.patchByID))
	m.HandleFunc("PATCH "+Prefix+"/{type}", h.gated(h.patchBySearch))
	m.HandleFunc("GET "+Prefix+"/{type}/{id}/_history", h.gated(h.instanceHistory))
	m.HandleFunc("GET "+Prefix+"/{type}/{id}/{ctype}", h.gated(h.compartmentSearch))
	m.HandleFunc("GET "+Prefix+"/{type}/{id}/$everything", h.gated(h.everythingInstance))
	m.HandleFunc("GET "+Prefix+"/{type}/$everything", h.gated(h.everythingType))
	m.HandleFunc("GET "+Prefix+"/_history", h.systemGated(h.systemHistory))
	for _, op := range []struct {
		path string
		fn   func(*request) error
	}{{"/{type}/$expand", h.expandOp}, {"/{type}/{id}/$expand", h.expandOp}, {"/{type}/$validate-code", h.validateCodeOp},
		{"/{type}/{id}/$validate-code", h.validateCodeOp}, {"/{type}/$lookup", h.lookupOp}} {
		m.HandleFunc("GET "+Prefix+op.path, h.gated(op.fn))
		m.HandleFunc("POST "+Prefix+op.path, h.gated(op.fn))
	}
	m.HandleFunc("GET "+Prefix+"/{type}/{id}/_history/{vid}", h.gated(h.vread))
	h.notAllowedRoutes(m)
	m.HandleFunc(Prefix+"/", h.notFound)
}

// writeError answers err as an OperationOutcome (package outcome).
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	outcome.WriteError(w, r, h.cfg.Logger, err)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkAccept(r); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// Metadata serves the CapabilityStatement; it is public (clients discover
// the security endpoints from it before they hold a token).
func (h *Handler) Metadata(w http.ResponseWriter, r *http.Request) { h.metadata(w, r) }

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, errs.E(errs.NotFound, "no such FHIR endpoint: %s %s", r.Method, r.URL.Path))
}

// request is one authenticated FHIR request.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	caller *authz.Principal
	typ    string // canonical resource type
}

// gated serves fn behind the gate (package gate: authentication, the
// caller in the context, the audit row) once the resource type is
// resolved.
func (h *Handler) gated(fn func(*request) error) http.HandlerFunc {
	return h.gate.Serve(func(g *gate.Request) error {
		patient, _ := g.Caller.PatientRestriction()
		g.Audit = store.AuditEvent{Patient: patient, Action: auditAction(g.R), ResID: g.R.PathValue("id")}
		typ, ok := spec.CanonicalType(g.R.PathValue("type"))
		if !ok {
			return errs.E(errs.NotFound, "unknown resource type %q", g.R.PathValue("type"))
		}
		g.Audit.Type = typ
		if err := refuseControls(g.R); err != nil {
			return err
		}
		return fn(&request{w: g.W, r: g.R, ctx: g.Context(), caller: g.Caller, typ: typ})
	})
}

// auditAction names what a request did, for the audit log.
func auditAction(r *http.Request) string {
	switch {
	case strings.Contains(r.URL.Path, "/$"):
		return "operation"
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_search"):
		return "search"
	case r.Method == http.MethodPost:
		return "create"
	case r.Method == http.MethodPut, r.Method == http.MethodPatch:
		return "update"
	case r.Method == http.MethodDelete:
		return "delete"
	case r.Method == http.MethodGet && r.PathValue("id") == "":
		return "search"
	}
	return "read"
}

// readBody reads a request body up to the limit.
func (h *Handler) readBody(req *request) ([]byte, error) {
	if err := checkContentType(req.r); err != nil {
		return nil, err
	}
	if req.r.ContentLength > h.cfg.MaxBody {
		return nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", h.cfg.MaxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(req.w, req.r.Body, h.cfg.MaxBody))
	if err != nil {
		if httpx.IsTooLarge(err) {
			return nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", h.cfg.MaxBody)
		}
		return nil, &errs.Error{Kind: errs.Invalid, Message: "could not read the body", Err: err}
	}
	return body, nil
}

// shown is a stored body as the caller may see it: for a caller confined to
// a patient, a Group lists only that patient among its members (see
// package redact); everything else is served as stored.
func (h *Handler) shown(req *request, rtype string, body []byte) ([]byte, error) {
	if !redact.Needed(rtype) {
		return body, nil
	}
	patient, restricted := req.caller.PatientRestrictionFor(rtype, scope.Read)
	if !restricted {
		return body, nil
	}
	return redact.ForPatients(rtype, body, []string{patient}, h.local)
}
