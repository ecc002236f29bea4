// Package server wires emp together: the store, the gate, the faces and
// the HTTP plumbing. cmd/emp only parses flags and calls it; tests start the
// real server through the same code.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhirapi"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/web"
)

// Config is everything the server is told by its operator.
type Config struct {
	DB      string // SQLite path or postgres:// URL
	Addr    string // listen address
	BaseURL string // public base URL (the site address); derived from Addr when empty
	// BaseAliases are other FHIR base URLs under which clients refer to
	// this server's resources (https://old-name.example.org/fhir/r4): an
	// absolute reference under one of them, or under BaseURL's
	// /fhir/r4 and /apis/default/fhir/r4, is to a local resource; any
	// other absolute reference is to another server's.
	BaseAliases []string
	// ServedBase: when BaseURL is empty, take the base URL the server
	// last recorded (see RecordServedBase) before the site address, so a
	// command beside the server (emp token, emp launch) acts for it.
	ServedBase bool

	TLSCert, TLSKey string
	TLSSelfSigned   bool

	MaxBody int64
	// MaxBundleEntries caps the entries of a transaction or batch Bundle.
	MaxBundleEntries int
	Version          string
	// Demo serves the demo SMART app (see SetupDemo for the accounts).
	Demo bool

	// ExportStore is where bulk export files are kept: ExportStoreDB (in
	// the database, so any node serves and deletes them) or ExportStoreDir
	// (ExportDir). Empty: the database on PostgreSQL, the directory on
	// SQLite. On PostgreSQL, ExportStoreDir declares ExportDir shared by
	// every node, and an ExportDir without it is refused.
	ExportStore string
	// ExportDir holds bulk export files with ExportStoreDir; "exports"
	// beside a SQLite database when empty. ExportTTL is how long a
	// finished export's files are kept (1 hour when zero).
	ExportDir string
	ExportTTL time.Duration
	// ExportPerClient is how many exports one client may have queued or
	// running at once (1 when zero).
	ExportPerClient int

	// MetricsAddr, when set, is where /metrics is served without a token
	// (the operator's network); the main listener then has no /metrics.
	// Without it, /metrics on the main listener needs an administrator's
	// token.
	MetricsAddr string
	// SearchTimeout bounds the database work of one search (10 s when
	// zero); a search stopped by it is answered 503.
	SearchTimeout time.Duration
	// DBMaxConns caps this node's PostgreSQL connections (the SQLite
	// readers); store.DefaultPostgresConns (8 readers) when zero. Every
	// node's share must fit PostgreSQL's max_connections.
	DBMaxConns int
	// AuditSpool is this node's local file for audit events written while
	// the database is unreachable (see store.Options.AuditSpool; emp serve
	// gives DefaultAuditSpool). Each serving node needs its own; commands
	// that run beside a server leave it empty and keep a failed batch in
	// memory.
	AuditSpool string
	// DBReplicas are PostgreSQL streaming standbys for the reads that may
	// be a little behind (store.Options.Replicas); DBReplicaMaxLag bounds
	// how far (store.DefaultReplicaMaxLag when zero).
	DBReplicas      []string
	DBReplicaMaxLag time.Duration
	// ReadCacheMB bounds, in MiB, this node's cache of current resource
	// versions, which answers reads by id without the database
	// (PostgreSQL only; store.Options.ReadCacheBytes); zero turns it off.
	// emp serve gives DefaultReadCacheMB.
	ReadCacheMB int
	// AuditArchiveDir is where the audit retention (the
	// audit_retention_months setting) writes the months it moves out of
	// the database. Without it the retention refuses to run: no audit row
	// is removed without its archive.
	AuditArchiveDir string

	// Passwords hashes user passwords; Argon2id with OWASP's parameters
	// when nil. Tests pass a cheaper one.
	Passwords auth.PasswordHasher

	Logger *slog.Logger
	Now    func() time.Time
	Rand   io.Reader
}

// App is an opened server: its store, its keys and gate, and the HTTP
// handler of every face.
type App struct {
	cfg   Config
	Store *store.Store
	// Settings answers the site settings read on every request from
	// memory while none changed (see store.SettingsCache).
	Settings *store.SettingsCache
	Keys     *authz.KeyRing
	Gate     *authz.Verifier
	// Auth is the authorization server; Store keeps its records.
	Auth *auth.Server
	// Site is the administration, registration and portal pages.
	Site *web.Site
	// Bulk is the bulk data export service; Serve runs its job runner.
	Bulk *bulk.Service
	// SwaggerClient and SwaggerSecret are the demo Swagger UI client's id
	// and its secret, fresh at each start of the demo; empty otherwise.
	SwaggerClient, SwaggerSecret string

	Handler  http.Handler
	BaseURL  string // public base, no trailing slash
	FHIRBase string // BaseURL + /fhir/r4
	Metrics  *httpx.Metrics
}

// Open opens the store (migrating it) and builds the handler.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := resolveExportStore(&cfg); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB, cfg.storeOptions(false))
	if err != nil {
		return nil, err
	}
	base, err := resolveBase(ctx, st, &cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &App{cfg: cfg, Store: st, BaseURL: base, FHIRBase: base + fhirapi.Prefix}
	st.SetLocalBases(a.localBases()...)
	if err := st.ReindexAbsoluteReferences(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.build(); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// ReadOnly is the server's database opened for a command that only reads
// (emp export, emp audit, emp token): nothing is migrated or written, so it
// runs against a hot standby too; a database whose schema is behind this
// build is refused.
type ReadOnly struct {
	Store             *store.Store
	BaseURL, FHIRBase string
	keys              *authz.KeyRing
	cfg               Config
}

// OpenReadOnly opens cfg's database read-only.
func OpenReadOnly(ctx context.Context, cfg Config) (*ReadOnly, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st, err := store.Open(ctx, cfg.DB, cfg.storeOptions(true))
	if err != nil {
		return nil, err
	}
	base, err := resolveBase(ctx, st, &cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SetLocalBases(localBases(base, cfg.BaseAliases)...)
	return &ReadOnly{Store: st, BaseURL: base, FHIRBase: base + fhirapi.Prefix,
		keys: authz.NewKeyRing(st, cfg.Now, cfg.Rand), cfg: cfg}, nil
}

// MintToken is App.MintToken with the signing key the database holds.
func (r *ReadOnly) MintToken(ctx context.Context, req TokenRequest) (string, error) {
	return mintToken(ctx, r.keys, r.cfg, r.BaseURL, r.FHIRBase, req)
}

// Close closes the database.
func (r *ReadOnly) Close() error { return r.Store.Close() }

// storeOptions are the store's options from cfg.
func (cfg Config) storeOptions(readOnly bool) store.Options {
	return store.Options{Now: cfg.Now, Rand: cfg.Rand, Logger: cfg.Logger, SearchTimeout: cfg.SearchTimeout,
		MaxReaders: cfg.DBMaxConns, AuditSpool: cfg.AuditSpool,
		Replicas: cfg.DBReplicas, ReplicaMaxLag: cfg.DBReplicaMaxLag, ReadOnly: readOnly,
		ReadCacheBytes: int64(cfg.ReadCacheMB) << 20}
}

// resolveBase finds the public base URL (cfg.BaseURL, else the settings
// the database keeps) and checks the aliases.
func resolveBase(ctx context.Context, st *store.Store, cfg *Config) (string, error) {
	// The site address an administrator set stands in for --base-url;
	// for a command beside the server, the base it last served under
	// goes first.
	keys := []string{SettingSiteAddress}
	if cfg.ServedBase {
		keys = []string{SettingServedBase, SettingSiteAddress}
	}
	for _, key := range keys {
		if cfg.BaseURL != "" {
			break
		}
		addr, err := st.Setting(ctx, key)
		switch {
		case err == nil:
			cfg.BaseURL = addr
		case errs.KindOf(err) != errs.NotFound:
			return "", err
		}
	}
	base, err := baseURL(*cfg)
	if err != nil {
		return "", err
	}
	for _, alias := range cfg.BaseAliases {
		if u, err := url.Parse(alias); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return "", fmt.Errorf("--base-aliases: %q is not an absolute http(s) URL without query", alias)
		}
	}
	return base, nil
}

// DefaultReadCacheMB is the read cache of emp serve on PostgreSQL when the
// operator does not size it (--read-cache-mb).
const DefaultReadCacheMB = 64

// DefaultAuditSpool is the audit spool's place when the operator names
// none: beside a SQLite database; for PostgreSQL emp-data/audit-spool, on
// the node's own disk (never beside a shared export directory, which every
// node would then claim).
func DefaultAuditSpool(db string) string {
	if !store.IsPostgres(db) {
		return filepath.Join(filepath.Dir(strings.TrimPrefix(db, "file:")), "audit-spool")
	}
	return filepath.Join("emp-data", "audit-spool")
}

// localBases are the FHIR bases this server's resources are known under.
func (a *App) localBases() []string { return localBases(a.BaseURL, a.cfg.BaseAliases) }

func localBases(base string, aliases []string) []string {
	return append([]string{base + fhirapi.Prefix, base + "/apis/default" + fhirapi.Prefix}, aliases...)
}

// Close closes the store, flushing the audit log.
func (a *App) Close() error { return a.Store.Close() }

// baseURL is the public base: the configured site address, or one made from
// the listen address.
func baseURL(cfg Config) (string, error) {
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("--base-url must be an absolute http(s) URL without query, got %q", cfg.BaseURL)
		}
		return strings.TrimSuffix(cfg.BaseURL, "/"), nil
	}
	scheme := "http"
	if cfg.TLSSelfSigned || cfg.TLSCert != "" {
		scheme = "https"
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:8300"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

// Listen binds the configured address and returns the TLS configuration to
// serve with (nil for plain HTTP, which is allowed on loopback only).
func (a *App) Listen() (net.Listener, *tls.Config, error) {
	addr := a.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:8300"
	}
	var tlsCfg *tls.Config
	switch {
	case a.cfg.TLSCert != "" || a.cfg.TLSKey != "":
		cert, err := httpx.LoadCert(a.cfg.TLSCert, a.cfg.TLSKey)
		if err != nil {
			return nil, nil, err
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case a.cfg.TLSSelfSigned:
		host, _, _ := net.SplitHostPort(addr)
		cert, err := httpx.SelfSignedCert([]string{host, hostOf(a.BaseURL)}, a.cfg.Now(), a.cfg.Rand)
		if err != nil {
			return nil, nil, err
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	default:
		if !httpx.IsLoopback(addr) {
			return nil, nil, errors.New("plain HTTP is allowed on a loopback address only: use --tls self-signed or --tls-cert/--tls-key")
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	return ln, tlsCfg, nil
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Serve serves on ln until ctx is done, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener, tlsCfg *tls.Config) error {
	stop, err := a.Start(ctx)
	if err != nil {
		return err
	}
	defer stop()
	mln, err := a.ListenMetrics()
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	if mln != nil {
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := a.ServeMetrics(ctx, mln); err != nil {
				a.cfg.Logger.Error("metrics listener stopped", "err", err)
			}
		}()
		// The metrics listener ends with the main one, whichever way that
		// ends.
		defer func() { cancel(); <-done }()
	}
	srv := httpx.NewServer(a.Handler, a.cfg.Logger)
	return httpx.Serve(ctx, srv, ln, tlsCfg, 20*time.Second)
}

// Start runs the background work of a serving node: the bulk export job
// runner and the purge of expired authorization state. stop ends both; call
// it before closing the store (a job in progress then gives its lease up
// and resumes from its checkpoint on the next start).
func (a *App) Start(ctx context.Context) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	runner, err := a.Bulk.NewRunner()
	if err != nil {
		cancel()
		return nil, err
	}
	runner.Start(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.purgeLoop(ctx)
	}()
	auditDone := make(chan struct{})
	go func() {
		defer close(auditDone)
		a.auditLoop(ctx)
	}()
	return func() {
		runner.Stop()
		cancel()
		<-done
		<-auditDone
	}, nil
}

// purgeEvery is how often expired authorization state is deleted.
const purgeEvery = 10 * time.Minute

// purgeLoop deletes expired codes, interactions, launches, assertion ids,
// revocations and refresh tokens. Every node runs it; the deletes are
// idempotent, so nodes sharing a database do not need to agree who does.
func (a *App) purgeLoop(ctx context.Context) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := a.Store.Purge(ctx, a.cfg.Now())
			if err != nil && ctx.Err() == nil {
				a.cfg.Logger.Error("purge expired authorization state", "err", err)
			} else if n > 0 {
				a.cfg.Logger.Info("purged expired authorization state", "rows", n)
			}
		}
	}
}
