package api

import (
	"github.com/emedpractice/emp/internal/gate"

	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
)

// Config is what the JSON API needs.
type Config struct {
	Store  *store.Store
	Gate   *authz.Verifier
	Logger *slog.Logger
	Now    func() time.Time
	// Rand is the source of randomness (unused by the mappings today; kept
	// so that ids the face may draw come from the injected source).
	Rand io.Reader

	// BaseURL is the public site address without a trailing slash
	// (https://ehr.example.org); links are built from it.
	BaseURL string

	// MaxBody caps JSON bodies (default 8 MiB); document uploads too.
	MaxBody int64

	// Enabled reports whether the face is switched on (the standard_api
	// site setting); when it says no, every path answers 404. nil means on.
	// An error (the database is away) is answered as itself: a 503 with
	// Retry-After during an outage, never the 404 of a face switched off.
	Enabled func(ctx context.Context) (bool, error)

	// LogBodies reports whether the audit rows also keep the request and
	// response bodies (the api_log site setting). nil means no.
	LogBodies func(ctx context.Context) bool

	// Version is what GET /api/version reports.
	Version string
}

// Prefix is where the face is mounted; AltPrefix serves the same routes for
// clients written for the original system's URL layout.
const (
	Prefix    = "/api"
	AltPrefix = "/apis/default/api"
)

// Handler serves the JSON API. Mount it at "/api/" and "/apis/default/api/".
type Handler struct {
	cfg    Config
	mux    *http.ServeMux
	gate   *gate.Gate
	routes []Route
	cache  *recordCache
}

// New builds the face.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), routes: routeTable(), cache: newRecordCache(20000)}
	h.gate = gate.New(gate.Config{Verifier: cfg.Gate, Audit: cfg.Store, Realm: "api", LogBodies: cfg.LogBodies,
		WriteError: func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, h.cfg.Logger, err) }})
	paths := map[string][]string{}
	for i := range h.routes {
		rt := &h.routes[i]
		h.mux.HandleFunc(rt.Method+" "+Prefix+rt.Path, h.serve(rt))
		paths[rt.Path] = append(paths[rt.Path], rt.Method)
	}
	// A known path asked with another method is a 405 in the envelope,
	// naming the methods it takes.
	for path, methods := range paths {
		allow := strings.Join(methods, ", ")
		h.handleOtherMethods(Prefix+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, r, h.cfg.Logger, errs.E(errs.MethodNotAllowed, "%s is not allowed here; use %s", r.Method, allow))
		})
	}
	h.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, h.cfg.Logger, errs.E(errs.NotFound, "no such API endpoint: %s %s", r.Method, r.URL.Path))
	})
	return h
}

// handleOtherMethods registers a method-less fallback for a path. Where the
// mux finds it ambiguous (a literal segment such as $swap-insurance beside a
// wildcard of a sibling route), the path keeps the mux's own 405; the mux
// checks before it registers, so a refused pattern leaves it unchanged.
func (h *Handler) handleOtherMethods(pattern string, fn http.HandlerFunc) {
	defer func() { recover() }()
	h.mux.HandleFunc(pattern, fn)
}

// ServeHTTP implements http.Handler. Paths under AltPrefix are served as
// the same paths under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Enabled != nil {
		on, err := h.cfg.Enabled(r.Context())
		if err == nil && !on {
			err = errs.E(errs.NotFound, "the standard API is switched off")
		}
		if err != nil {
			writeError(w, r, h.cfg.Logger, err)
			return
		}
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, AltPrefix); ok && (rest == "" || rest[0] == '/') {
		r2 := r.Clone(r.Context())
		r2.URL.Path = Prefix + rest
		r2.URL.RawPath = ""
		r = r2
	}
	h.mux.ServeHTTP(w, r)
}
