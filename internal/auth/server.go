package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/auth/pages"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/loginthrottle"
)

// Config configures the authorization server.
type Config struct {
	Storage Storage
	Keys    *authz.KeyRing
	// Revocation is the gate's revocation check of the tokens this server
	// issues. The server passes authz.NewRevocationCache over the store, so
	// the gate asks the store directly and only after a revocation; when
	// nil, Storage is asked for every token.
	Revocation authz.RevocationChecker
	// Issuer is the server's public base URL (the site address), without a
	// trailing slash: the iss of every token, and the base of the endpoints.
	Issuer string
	// FHIRBase is the FHIR base URL: the aud every access token carries and
	// an authorize request must name.
	FHIRBase string

	// Patients finds patients for the clinician's patient picker and checks
	// the patients a launch names. Without it, a clinician cannot pick a
	// patient (launch/patient by staff fails with access_denied).
	Patients PatientDirectory
	// Passwords hashes and checks user passwords; PBKDF2 with the default
	// cost when nil.
	Passwords PasswordHasher
	// HTTPClient fetches the JWKS of clients registered by jwks_uri. The
	// default refuses non-public addresses (see publicHTTPClient); tests
	// inject their TLS server's.
	HTTPClient *http.Client

	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger

	// Lifetimes; the defaults are the spec's and SMART's.
	AccessTokenTTL       time.Duration // user tokens: 1 hour
	ClientCredentialsTTL time.Duration // backend tokens: 1 minute
	RefreshTokenTTL      time.Duration // 92 days (no three calendar months are longer), renewed on rotation
	CodeTTL              time.Duration // 1 minute
	InteractionTTL       time.Duration // a browser flow: 30 minutes
	LaunchTTL            time.Duration // an EHR launch value: 1 hour
	// SessionIdle ends this server's sign-in session unused this long (1
	// hour); SessionMax ends it this long after the sign-in (12 hours).
	// An online_access grant lives no longer than the session.
	SessionIdle, SessionMax time.Duration

	// Audit records sign-ins, failed sign-ins and sign-outs of the login
	// page; nothing is recorded when nil. The server wires the store.
	Audit Auditor

	// Throttle slows password and client-secret guessing. The server
	// passes one over the store, so that every node shares the counts; nil
	// keeps them in this process (tests, tools).
	Throttle *loginthrottle.Throttle

	// ClientAddr names the client of a request for login throttling; the
	// host of RemoteAddr when nil. Behind a proxy the server wires one that
	// reads the proxy's header.
	ClientAddr func(r *http.Request) string
}

// PatientDirectory is the view of the patient records the pages need. The
// server wires it to the FHIR store.
type PatientDirectory interface {
	// SearchPatients finds at most limit patients whose name matches the
	// query (any part of a given or family name).
	SearchPatients(ctx context.Context, query string, limit int) ([]PatientSummary, error)
	// Patient returns one patient; NotFound when there is none.
	Patient(ctx context.Context, id string) (PatientSummary, error)
}

// PatientSummary is what the picker shows of a patient.
type PatientSummary struct {
	ID        string
	Name      string
	BirthDate string
	Gender    string
}

// Server is the authorization server. It is an http.Handler serving every
// path of Patterns.
type Server struct {
	store     Storage
	keys      *authz.KeyRing
	patients  PatientDirectory
	passwords PasswordHasher
	http      *http.Client
	now       func() time.Time
	rand      *randSource
	logger    *slog.Logger
	clientIP  func(*http.Request) string

	issuer, fhirBase string
	// paths and absolute URLs of the endpoints
	p endpoints

	accessTTL, clientCredsTTL, refreshTTL, codeTTL, interactionTTL, launchTTL time.Duration
	sessionIdle, sessionMax                                                   time.Duration
	auditor                                                                   Auditor

	verifier  *authz.Verifier
	jwksCache *jwksCache
	throttle  *loginthrottle.Throttle
	pages     *pages.Renderer
	csrf      *http.CrossOriginProtection
	dummyHash dummyHash
	secure    bool // cookies Secure: the issuer is https

	handler http.Handler
}

// New builds the server. Storage, Keys, Issuer and FHIRBase are required.
func New(cfg Config) (*Server, error) {
	if cfg.Storage == nil || cfg.Keys == nil {
		return nil, errors.New("auth: Storage and Keys are required")
	}
	iss, err := parseBase(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: Issuer: %w", err)
	}
	fb, err := parseBase(cfg.FHIRBase)
	if err != nil {
		return nil, fmt.Errorf("auth: FHIRBase: %w", err)
	}
	s := &Server{
		store: cfg.Storage, keys: cfg.Keys, patients: cfg.Patients, passwords: cfg.Passwords,
		http: cfg.HTTPClient, now: cfg.Now, logger: cfg.Logger, clientIP: cfg.ClientAddr,
		issuer: iss.String(), fhirBase: fb.String(),
		accessTTL: orDefault(cfg.AccessTokenTTL, time.Hour), clientCredsTTL: orDefault(cfg.ClientCredentialsTTL, time.Minute),
		refreshTTL: orDefault(cfg.RefreshTokenTTL, 92*24*time.Hour), codeTTL: orDefault(cfg.CodeTTL, time.Minute),
		interactionTTL: orDefault(cfg.InteractionTTL, 30*time.Minute), launchTTL: orDefault(cfg.LaunchTTL, time.Hour),
		sessionIdle: orDefault(cfg.SessionIdle, time.Hour), sessionMax: orDefault(cfg.SessionMax, 12*time.Hour),
		auditor: cfg.Audit, secure: iss.Scheme == "https",
	}
	if s.passwords == nil {
		s.passwords = PBKDF2{Rand: cfg.Rand}
	}
	if s.http == nil {
		s.http = publicHTTPClient()
	}
	if s.now == nil {
		s.now = time.Now
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	s.rand = &randSource{r: r}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.clientIP == nil {
		s.clientIP = remoteHost
	}
	if s.accessTTL > authz.MaxTokenLifetime || s.clientCredsTTL > authz.MaxTokenLifetime {
		return nil, fmt.Errorf("auth: access tokens may live at most %v", authz.MaxTokenLifetime)
	}
	s.p = newEndpoints(iss, fb)
	revocation := cfg.Revocation
	if revocation == nil {
		revocation = storageRevocations{s.store}
	}
	s.verifier = authz.NewVerifier(authz.VerifierConfig{
		Keys: s.keys, Issuer: s.issuer, Audience: s.fhirBase, Revocation: revocation, Now: s.now,
	})
	s.jwksCache = newJWKSCache()
	s.throttle = cfg.Throttle
	if s.throttle == nil {
		s.throttle = loginthrottle.New(loginthrottle.NewMem(), s.now, nil)
	}
	s.pages, err = pages.New(s.brand)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s.csrf = http.NewCrossOriginProtection()
	s.dummyHash = dummyHash{hasher: s.passwords}
	s.routes()
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// parseBase checks an absolute http(s) base URL and drops a trailing slash.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) base URL", s)
	}
	return u, nil
}

func remoteHost(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Patterns are the paths the server answers (without methods): mount each
// on the site's mux with the server as its handler, or use Mount.
func (s *Server) Patterns() []string { return s.p.all() }

// Mount registers the server on mux for each of its paths.
func (s *Server) Mount(mux *http.ServeMux) {
	for _, p := range s.Patterns() {
		mux.Handle(p, s)
	}
}

// Verifier is the access-token verifier matching the tokens this server
// issues, with revocation answered by the store.
func (s *Server) Verifier() *authz.Verifier { return s.verifier }
