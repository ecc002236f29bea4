package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/store"
)

// Storage is what the pages need of the authorization server's storage
// (auth.Storage without the flows); *store.Store satisfies it.
type Storage interface {
	auth.ClientStore
	auth.UserStore
	auth.GrantStore
	auth.SettingStore
	auth.SessionStore
}

// Config configures the pages.
type Config struct {
	// Auth is the authorization server: registration, users and launches go
	// through it so its rules apply to the pages too.
	Auth *auth.Server
	// Storage is the authorization server's storage (the same one Auth uses).
	Storage Storage
	// Store holds the patients' records the portal shows and the audit log.
	Store *store.Store
	// BaseURL is the site's public base URL without a trailing slash; the
	// FHIR base is BaseURL + FHIRPath.
	BaseURL string
	// FHIRPath is the FHIR base path under BaseURL, "/fhir/r4" when empty.
	FHIRPath string
	// Demo serves the demo SMART app at /demo-app/.
	Demo bool
	// Passwords checks the sign-in passwords: pass the authorization
	// server's hasher. When nil, Argon2id, which verifies both the Argon2id
	// and the PBKDF2 hashes the authorization server makes.
	Passwords auth.PasswordHasher

	Logger *slog.Logger
	Now    func() time.Time
	Rand   io.Reader

	// AuditWarning, when set, says what keeps the audit log's retention
	// from running on this server ("" when nothing does); the API log
	// page shows it to the administrators.
	AuditWarning func(ctx context.Context) string

	// IdleTimeout ends a session unused this long (30 minutes);
	// MaxSession ends any session this long after sign-in (12 hours).
	IdleTimeout, MaxSession time.Duration
}

// Site is the pages' handler set.
type Site struct {
	auth      *auth.Server
	st        Storage
	store     *store.Store
	base      string
	fhirBase  string
	secure    bool
	demo      bool
	passwords auth.PasswordHasher
	logger    *slog.Logger
	now       func() time.Time
	rand      io.Reader
	idle, max time.Duration
	// auditWarning: see Config.AuditWarning.
	auditWarning func(ctx context.Context) string

	tmpl     *template.Template
	csrf     *http.CrossOriginProtection
	throttle *loginthrottle.Throttle

	mu    sync.Mutex
	key   []byte // the session signing key, loaded from the settings once
	dummy string // a password hash to spend time on for unknown users

	demoMu     sync.Mutex
	demoClient string
}

// New builds the pages. Auth, Storage, Store and BaseURL are required.
func New(cfg Config) (*Site, error) {
	if cfg.Auth == nil || cfg.Storage == nil || cfg.Store == nil {
		return nil, errors.New("web: Auth, Storage and Store are required")
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	fhirPath := cfg.FHIRPath
	if fhirPath == "" {
		fhirPath = "/fhir/r4"
	}
	s := &Site{
		auth: cfg.Auth, st: cfg.Storage, store: cfg.Store, base: u.String(), fhirBase: u.String() + fhirPath,
		secure: u.Scheme == "https", demo: cfg.Demo, passwords: cfg.Passwords, logger: cfg.Logger,
		now: cfg.Now, rand: cfg.Rand, idle: cfg.IdleTimeout, max: cfg.MaxSession, auditWarning: cfg.AuditWarning,
	}
	if s.passwords == nil {
		s.passwords = auth.Argon2id{Rand: cfg.Rand}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.idle <= 0 {
		s.idle = 30 * time.Minute
	}
	if s.max <= 0 {
		s.max = 12 * time.Hour
	}
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	s.csrf = http.NewCrossOriginProtection()
	s.throttle = cfg.Auth.LoginThrottle()
	return s, nil
}

// Mount registers every page on mux. The portal API's JSON routes live
// under /portal/patient…; the pages use other /portal/ paths.
func (s *Site) Mount(mux *http.ServeMux) {
	for pattern, h := range s.routes() {
		mux.Handle(pattern, h)
	}
}

// internal answers a fault: the details go to the log with the request id,
// the person sees only that something went wrong. A database that cannot
// be reached is a 503 with Retry-After, as every face answers an outage:
// the page says to try again shortly, and the node recovers by itself.
func (s *Site) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.ErrorContext(r.Context(), "web: page failed", "request_id", httpx.RequestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
	if k := errs.KindOf(err); k == errs.Unavailable {
		w.Header().Set("Retry-After", errs.RetryAfter(k))
		s.render(w, r, http.StatusServiceUnavailable, "message", messageView{
			Frame: s.frame(r, "Unavailable for a moment"), Message: "The site cannot reach its records right now. Please try again in a moment.",
		})
		return
	}
	s.render(w, r, http.StatusInternalServerError, "message", messageView{
		Frame: s.frame(r, "Something went wrong"), Message: "Something went wrong on our side. Please try again in a moment.",
	})
}
