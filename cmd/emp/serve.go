package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
)

// serverFlags are the flags every data command shares.
type serverFlags struct {
	fs                *flagSet
	db, addr, baseURL *string
}

func addServerFlags(fs *flagSet) serverFlags {
	return serverFlags{
		fs:      fs,
		db:      fs.String("db", defaultDB, "SQLite database file, or a postgres:// URL"),
		addr:    fs.String("addr", "127.0.0.1:8300", "listen address"),
		baseURL: fs.String("base-url", "", "public base URL of the server (the site address); default: the one emp serve last served under, else from --addr"),
	}
}

// config is the server configuration of a command that works on the
// database beside the server (token, launch, …): unless the operator gave
// --addr or --base-url, it acts for the base URL the server recorded, so a
// token minted here is accepted by a server on any port.
func (sf serverFlags) config() server.Config {
	return server.Config{DB: *sf.db, Addr: *sf.addr, BaseURL: *sf.baseURL,
		ServedBase: !sf.fs.given("addr") && !sf.fs.given("base-url")}
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", getenv, stderr)
	sf := addServerFlags(fs)
	demo := fs.Bool("demo", false, "seed synthetic patients on first start")
	demoPatients := fs.Int("demo-patients", 50, "how many patients --demo seeds")
	tlsMode := fs.String("tls", "", `"self-signed" to serve HTTPS with a generated certificate`)
	tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM)")
	tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
	maxBody := fs.Int("max-body", 8<<20, "largest request body in bytes")
	maxBundle := fs.Int("max-bundle-entries", 10000, "most entries in one transaction or batch Bundle")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	exportStore := fs.String("export-store", "", `where bulk export files are kept: "db" (in the database; the default on PostgreSQL, so every node serves them) or "dir" (--export-dir; the default on SQLite, and on PostgreSQL a directory every node shares)`)
	exportDir := fs.String("export-dir", "", "the directory of bulk export files with --export-store=dir (default on SQLite: exports beside the database file)")
	exportTTL := fs.String("export-ttl", "1h", "how long a finished bulk export's files are kept")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics without a token on this separate address (the operator's network) instead of to administrators' tokens on --addr")
	exportPerClient := fs.Int("export-per-client", 1, "how many bulk exports one client may have queued or running at once for each user or patient")
	baseAliases := fs.String("base-aliases", "", "other FHIR base URLs, comma-separated, under which clients refer to this server's resources")
	dbMaxConns := fs.Int("db-max-conns", 0, "most PostgreSQL connections this node opens (default 20; SQLite: readers, default 8); all nodes together must fit max_connections")
	auditSpool := fs.String("audit-spool", "", "this node's own file for audit events while the database is unreachable (default: audit-spool beside the SQLite file, or ./emp-data/audit-spool)")
	auditArchiveDir := addArchiveDirFlag(fs)
	searchTimeout := fs.String("search-timeout", "10s", "how long one search may run in the database before it is stopped and answered 503")
	var replicas stringList
	fs.Var(&replicas, "db-replica", "a postgres:// URL of a streaming standby for reads (repeatable; env "+envName("db-replica")+", comma-separated)")
	replicaLag := fs.String("db-replica-max-lag", "5s", "how far behind the primary a standby may be and still answer reads")
	readCacheMB := fs.Int("read-cache-mb", server.DefaultReadCacheMB, "MiB of current resource versions this node keeps to answer reads by id without the database (PostgreSQL only; 0 turns it off)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if len(replicas) == 0 {
		replicas = splitList(getenv(envName("db-replica")))
	}
	maxLag, err := time.ParseDuration(*replicaLag)
	if err != nil || maxLag <= 0 {
		return fmt.Errorf("--db-replica-max-lag must be a positive duration, got %q", *replicaLag)
	}
	if len(replicas) > 0 && !store.IsPostgres(*sf.db) {
		return errors.New("--db-replica needs a postgres:// --db: replicas are PostgreSQL standbys")
	}
	searchTO, err := time.ParseDuration(*searchTimeout)
	if err != nil || searchTO <= 0 {
		return fmt.Errorf("--search-timeout must be a positive duration, got %q", *searchTimeout)
	}
	ttl, err := time.ParseDuration(*exportTTL)
	if err != nil || ttl <= 0 {
		return fmt.Errorf("--export-ttl must be a positive duration, got %q", *exportTTL)
	}
	if *auditSpool == "" {
		*auditSpool = server.DefaultAuditSpool(*sf.db)
	}
	if *readCacheMB < 0 || *readCacheMB > maxReadCacheMB {
		return fmt.Errorf("--read-cache-mb must be between 0 (off) and %d, got %d", maxReadCacheMB, *readCacheMB)
	}
	if *dbMaxConns != 0 && *dbMaxConns < 2 {
		return fmt.Errorf("--db-max-conns must be at least 2")
	}
	if *exportPerClient < 1 {
		return fmt.Errorf("--export-per-client must be at least 1")
	}
	if *tlsMode != "" && *tlsMode != "self-signed" {
		return fmt.Errorf(`--tls takes "self-signed", got %q`, *tlsMode)
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		return err
	}
	if getenv("GOGC") == "" {
		// A request leaves little behind; the live heap is a few
		// megabytes, so letting it grow to three times that before a
		// collection costs little memory and takes a tenth or more off
		// the CPU time of a read.
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	app, err := server.Open(ctx, server.Config{
		DB: *sf.db, Addr: *sf.addr, BaseURL: *sf.baseURL, BaseAliases: splitList(*baseAliases),
		TLSCert: *tlsCert, TLSKey: *tlsKey, TLSSelfSigned: *tlsMode == "self-signed",
		MaxBody: int64(*maxBody), MaxBundleEntries: *maxBundle, Version: version, Logger: logger, Demo: *demo,
		ExportStore: *exportStore, ExportDir: *exportDir, ExportTTL: ttl, ExportPerClient: *exportPerClient,
		MetricsAddr:   *metricsAddr,
		SearchTimeout: searchTO,
		DBMaxConns:    *dbMaxConns, AuditSpool: *auditSpool, AuditArchiveDir: *auditArchiveDir,
		DBReplicas: replicas, DBReplicaMaxLag: maxLag, ReadCacheMB: *readCacheMB,
	})
	if err != nil {
		return err
	}
	defer app.Close()
	ln, tlsCfg, err := app.Listen()
	if err != nil {
		return err
	}
	if err := app.RecordServedBase(ctx); err != nil {
		ln.Close()
		return err
	}
	if *demo {
		if err := seedDemo(ctx, app, *demoPatients, stdout); err != nil {
			ln.Close()
			return err
		}
	}
	var accounts []server.DemoAccount
	if *demo {
		if accounts, err = app.SetupDemo(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "emp %s serving %s\n", version, app.BaseURL)
	fmt.Fprintf(stdout, "  FHIR base:  %s\n", app.FHIRBase)
	fmt.Fprintf(stdout, "  metadata:   %s/metadata\n", app.FHIRBase)
	if !*demo && !hasAdmin(ctx, app) {
		fmt.Fprintf(stdout, "  no administrator yet; add one to sign in at %s/admin/:\n    emp user add --role admin --username NAME --password PASSWORD --db %s\n", app.BaseURL, *sf.db)
	}
	if *demo {
		fmt.Fprintf(stdout, "  administration: %s/admin/   patient portal: %s/patientlogin.aspx   demo SMART app: %s/demo-app/\n", app.BaseURL, app.BaseURL, app.BaseURL)
		fmt.Fprintf(stdout, "  Swagger UI: %s/swagger/index.html (Authorize with client_id %s, client_secret %s)\n", app.BaseURL, app.SwaggerClient, app.SwaggerSecret)
		fmt.Fprintf(stdout, "  demo sign-ins (username / password):\n")
		for _, acc := range accounts {
			extra := ""
			if acc.Patient != "" {
				extra = " (Patient/" + acc.Patient + ")"
			}
			fmt.Fprintf(stdout, "    %-10s %s / %s%s\n", acc.Role, acc.Username, acc.Password, extra)
		}
		tok, err := app.MintToken(ctx, server.TokenRequest{Subject: "demo-operator", ClientID: "emp-cli", Scope: "api:fhir api:oemr user/*.cruds", Role: "admin", TTL: 12 * time.Hour})
		if err == nil {
			fmt.Fprintf(stdout, "  a 12-hour demo token (api:fhir api:oemr user/*.cruds):\n    export TOKEN=%s\n", tok)
			fmt.Fprintf(stdout, "    curl -H \"Authorization: Bearer $TOKEN\" %s/Patient?_count=5\n", app.FHIRBase)
			fmt.Fprintf(stdout, "    curl -H \"Authorization: Bearer $TOKEN\" %s/api/patient?_limit=5\n", app.BaseURL)
		}
	}
	if problem := app.AuditRetentionProblem(ctx); problem != "" {
		logger.Error("audit retention refused", "reason", problem)
	}
	logger.Info("serving", "addr", ln.Addr().String(), "base_url", app.BaseURL, "db", app.Store.Dialect())
	return app.Serve(ctx, ln, tlsCfg)
}

// seedDemo loads the demo data set once: a database that holds patients
// already is left as it is, and of nodes started together one seeds.
func seedDemo(ctx context.Context, app *server.App, patients int, stdout io.Writer) error {
	start := time.Now()
	stats, present, err := app.SeedDemo(ctx, patients, today())
	if err != nil {
		return err
	}
	if present > 0 {
		fmt.Fprintf(stdout, "demo data present (%d patients)\n", present)
		return nil
	}
	fmt.Fprintf(stdout, "seeded %d demo patients (%d resources) in %s\n", patients, stats.Resources, time.Since(start).Round(time.Millisecond))
	return nil
}

// today is the reference date of generated data: the start of the current
// UTC day, so a demo's upcoming appointments are in the future.
func today() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", getenv, stderr)
	sf := addServerFlags(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	app, err := server.Open(ctx, server.Config{DB: *sf.db, Addr: *sf.addr, BaseURL: *sf.baseURL})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s is up to date\n", app.Store.Dialect())
	return app.Close()
}

func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seed", getenv, stderr)
	sf := addServerFlags(fs)
	patients := fs.Int("patients", 50, "how many patients to generate")
	seedN := fs.Int("seed", 1, "random seed: the same seed gives the same data")
	date := fs.String("date", "", "the data set's 'today' (YYYY-MM-DD); default today")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *patients < 1 {
		return errors.New("--patients must be at least 1")
	}
	now := today()
	if *date != "" {
		t, err := time.Parse("2006-01-02", *date)
		if err != nil {
			return fmt.Errorf("--date: %w", err)
		}
		now = t
	}
	app, err := server.Open(ctx, server.Config{DB: *sf.db, Addr: *sf.addr, BaseURL: *sf.baseURL})
	if err != nil {
		return err
	}
	defer app.Close()
	if getenv("GOGC") == "" {
		// A load is a batch job that allocates a tree per resource and
		// keeps little: collecting garbage less often trades some memory
		// for a few percent of the time.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	start := time.Now()
	lastReport := start
	stats, err := server.Seed(ctx, app.Store, seed.Options{Patients: *patients, Seed: int64(*seedN), Now: now}, func(n int) {
		if time.Since(lastReport) > 2*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(stderr, "  %d resources (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "seeded %d resources for %d patients in %s (%.0f resources/s)\n", stats.Resources, *patients, el.Round(time.Millisecond), float64(stats.Resources)/el.Seconds())
	var types []string
	for t, n := range stats.ByType {
		types = append(types, fmt.Sprintf("%s=%d", t, n))
	}
	fmt.Fprintln(stdout, strings.Join(sortStrings(types), " "))
	return nil
}

// hasAdmin reports whether any enabled administrator exists, so that a
// fresh server can say how to create the first one.
func hasAdmin(ctx context.Context, app *server.App) bool {
	users, err := app.Store.Users(ctx)
	if err != nil {
		return true // say nothing rather than something wrong
	}
	for _, u := range users {
		if u.Role == authz.RoleAdmin && !u.Disabled {
			return true
		}
	}
	return false
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// maxReadCacheMB bounds --read-cache-mb (1 TiB): beyond it a figure is a
// typing error, not a size.
const maxReadCacheMB = 1 << 20
