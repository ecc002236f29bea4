package server

import (
	"context"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/fhirapi"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/openapi"
	"github.com/emedpractice/emp/internal/portalapi"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/web"
)

// fhirAltRoot is where the FHIR face answers a second time:
// /apis/default/fhir/r4, beside fhirapi.Prefix.
const fhirAltRoot = "/apis/default"

// build creates the gate and the faces and maps the whole HTTP surface.
func (a *App) build() error {
	a.Keys = authz.NewKeyRing(a.Store, a.cfg.Now, a.cfg.Rand)
	a.Settings = store.NewSettingsCache(a.Store, store.SettingsCacheOptions{Now: a.cfg.Now})
	passwords := a.cfg.Passwords
	if passwords == nil {
		passwords = auth.Argon2id{Rand: a.cfg.Rand}
	}
	as, err := auth.New(auth.Config{
		Storage: a.Store, Keys: a.Keys, Issuer: a.BaseURL, FHIRBase: a.FHIRBase,
		Revocation: authz.NewRevocationCache(a.Store, authz.RevocationCacheOptions{Now: a.cfg.Now}),
		Patients:   patientDirectory{a.Store}, Passwords: passwords, Audit: a.Store,
		Now: a.cfg.Now, Rand: a.cfg.Rand, Logger: a.cfg.Logger,
		// Sign-in and client-authentication failures are counted in the
		// database, so every node slows the same guesses.
		Throttle: loginthrottle.New(a.Store, a.cfg.Now, a.Store.RecordAccess),
	})
	if err != nil {
		return err
	}
	a.Auth = as
	// One verifier for every face: the authorization server's, which also
	// answers whether a token or its grant was revoked. Each face puts it
	// behind the one gate (package gate), which audits and logs each
	// refusal.
	a.Gate = as.Verifier()
	urls := as.URLs()
	bs, err := bulk.New(bulk.Config{
		Store: a.Store, Gate: a.Gate, BaseURL: a.FHIRBase, Files: a.exportFiles(), FileTTL: a.cfg.ExportTTL,
		MaxActivePerClient: a.cfg.ExportPerClient,
		Logger:             a.cfg.Logger, Now: a.cfg.Now, Rand: a.cfg.Rand,
	})
	if err != nil {
		return err
	}
	a.Bulk = bs
	var ops []fhirapi.Operation
	for _, o := range bulk.Operations() {
		ops = append(ops, fhirapi.Operation{Type: o.Type, Name: o.Name, Definition: o.Definition})
	}
	fh, err := fhirapi.New(fhirapi.Config{
		Operations: ops, Instantiates: []string{bulk.Instantiates},
		Store: a.Store, Settings: a.Settings, Gate: a.Gate, Logger: a.cfg.Logger, Now: a.cfg.Now,
		BaseURL: a.FHIRBase, BaseAliases: a.localBases()[1:], MaxBody: a.cfg.MaxBody, MaxBundleEntries: a.cfg.MaxBundleEntries, Version: a.cfg.Version,
		Security: fhirapi.SecurityURLs{
			Authorize: urls.Authorize, Token: urls.Token, Register: urls.Register,
			Introspect: urls.Introspect, Revoke: urls.Revoke,
		},
	})
	if err != nil {
		return err
	}
	apiH := api.New(api.Config{
		Store: a.Store, Gate: a.Gate, Logger: a.cfg.Logger, Now: a.cfg.Now, Rand: a.cfg.Rand,
		BaseURL: a.BaseURL, MaxBody: a.cfg.MaxBody, Version: a.cfg.Version,
		Enabled:   func(ctx context.Context) (bool, error) { return a.SettingSwitch(ctx, SettingStandardAPI) },
		LogBodies: func(ctx context.Context) bool { return a.SettingOn(ctx, SettingAPILog) },
	})
	portalH := portalapi.New(portalapi.Config{
		Store: a.Store, Gate: a.Gate, Logger: a.cfg.Logger, Now: a.cfg.Now, BaseURL: a.BaseURL,
		Enabled:   func(ctx context.Context) (bool, error) { return a.SettingSwitch(ctx, SettingPortalAPI) },
		LogBodies: func(ctx context.Context) bool { return a.SettingOn(ctx, SettingAPILog) },
	})
	site, err := web.New(web.Config{
		Auth: as, Storage: a.Store, Store: a.Store, BaseURL: a.BaseURL, FHIRPath: fhirapi.Prefix,
		Demo: a.cfg.Demo, Passwords: passwords, Logger: a.cfg.Logger, Now: a.cfg.Now, Rand: a.cfg.Rand,
		AuditWarning: a.AuditRetentionProblem,
	})
	if err != nil {
		return err
	}
	a.Site = site

	if a.cfg.Demo {
		// The demo's Swagger UI comes with its client filled in; its secret
		// is printed with the other demo sign-ins.
		a.SwaggerClient, a.SwaggerSecret, err = a.EnsureSwaggerClient(context.Background())
		if err != nil {
			return err
		}
	}
	docs, err := openapi.New(openapi.Config{
		BaseURL: a.BaseURL, AuthorizeURL: urls.Authorize, TokenURL: urls.Token,
		ClientID: a.SwaggerClient, Version: a.cfg.Version,
	})
	if err != nil {
		return err
	}

	a.Metrics = httpx.NewMetrics(
		httpx.Gauge{Name: "emp_audit_spool_events", Help: "Audit events in this node's local spool, waiting for the database.",
			Read: func() float64 { n, _ := a.Store.AuditSpooled(); return float64(n) }},
		httpx.Gauge{Name: "emp_audit_spool_dropped", Help: "Audit events dropped since start because the local spool was full.",
			Read: func() float64 { _, n := a.Store.AuditSpooled(); return float64(n) }},
		httpx.Gauge{Name: "emp_db_reads_primary", Help: "Reads a replica could have answered that the primary answered since start (no replica usable, or the caller's own writes not yet replayed).",
			Read: func() float64 { return float64(a.Store.ReplicaStats().Primary) }},
		httpx.Gauge{Name: "emp_db_reads_replica", Help: "Reads the streaming replicas answered since start.",
			Read: func() float64 { return float64(a.Store.ReplicaStats().ReplicaReads()) }},
		a.readCacheGauge("hits", "Reads by id the read cache answered since start.", func(s store.ReadCacheStats) float64 { return float64(s.Hits) }),
		a.readCacheGauge("misses", "Reads by id the read cache did not hold, since start.", func(s store.ReadCacheStats) float64 { return float64(s.Misses) }),
		a.readCacheGauge("fills", "Resources read from the database and kept by the read cache since start.", func(s store.ReadCacheStats) float64 { return float64(s.Fills) }),
		a.readCacheGauge("invalidations", "Resources the read cache dropped because they changed, since start.", func(s store.ReadCacheStats) float64 { return float64(s.Invalidations) }),
		a.readCacheGauge("flushes", "Times the read cache was emptied (its listener connected, or a change too large to name), since start.", func(s store.ReadCacheStats) float64 { return float64(s.Flushes) }),
		a.readCacheGauge("bytes", "Bytes the read cache holds.", func(s store.ReadCacheStats) float64 { return float64(s.Bytes) }),
		a.readCacheGauge("answering", "1 while the read cache may answer (its heartbeat is fresh), else 0.", func(s store.ReadCacheStats) float64 {
			if s.Answering {
				return 1
			}
			return 0
		}),
	)
	mux := http.NewServeMux()
	as.Mount(mux)
	mux.Handle(fhirapi.Prefix+"/", fh)
	// The base itself, without the trailing slash: POST of a transaction
	// or batch Bundle, and the face's 405 for the other methods (never the
	// mux's redirect to the slashed path, which a client would follow
	// with a GET or not at all).
	mux.Handle(fhirapi.Prefix, fh)
	// Bulk export's patterns are more specific than the FHIR face's prefix,
	// so they win for $export, $bulkdata-status and the files.
	bs.Routes(mux, fhirapi.Prefix)
	// The FHIR face (bulk export with it) also answers under the path the
	// product's documentation gives, as /api/ does; links and fullUrls stay
	// on the canonical base, which is also the tokens' audience.
	mux.Handle(fhirAltRoot+fhirapi.Prefix+"/", http.StripPrefix(fhirAltRoot, mux))
	mux.Handle(fhirAltRoot+fhirapi.Prefix, http.StripPrefix(fhirAltRoot, mux))
	for _, prefix := range []string{api.Prefix, api.AltPrefix} {
		mux.Handle(prefix+"/", apiH)
	}
	for _, prefix := range []string{portalapi.Prefix, portalapi.AltPrefix} {
		// The portal API is /portal/patient…; the portal's pages are other
		// /portal/ paths.
		mux.Handle(prefix+"/patient", portalH)
		mux.Handle(prefix+"/patient/", portalH)
	}
	site.Mount(mux)
	docs.Mount(mux)
	mux.HandleFunc("GET /metadata", fh.Metadata)
	mux.HandleFunc("GET /.well-known/jwks.json", a.jwks)
	mux.HandleFunc("GET /healthz", httpx.Healthz)
	mux.Handle("GET /readyz", httpx.Readyz(a.Store.Ping))
	if a.cfg.MetricsAddr == "" {
		// With a metrics address, /metrics is served there only (ServeMetrics).
		mux.Handle("GET /metrics", a.adminMetrics(a.Metrics.Handler()))
	}
	mux.HandleFunc("GET /{$}", a.home)

	var h http.Handler = a.cors(site.StyledNotFound(mux))
	h = httpx.SecurityHeaders(h)
	h = a.Metrics.Middleware(h)
	h = httpx.AccessLog(a.cfg.Logger)(h)
	h = httpx.Recover(a.cfg.Logger, nil)(h)
	h = httpx.RequestID(a.cfg.Rand)(h)
	a.Handler = h
	return nil
}

func (a *App) jwks(w http.ResponseWriter, r *http.Request) {
	body, err := a.Keys.JWKS(r.Context())
	if err != nil {
		http.Error(w, "keys unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(body)
}

// TokenRequest asks for an access token minted by the server itself (the
// operator's `emp token`, the demo banner, tests).
type TokenRequest struct {
	Subject, ClientID, Scope, Patient, Role string
	TTL                                     time.Duration
}

// MintToken signs an access token with the server's key. The role defaults
// from the scopes: patient/ scopes make a patient-context token, system/
// scopes a system token, anything else a clinician's.
func (a *App) MintToken(ctx context.Context, req TokenRequest) (string, error) {
	return mintToken(ctx, a.Keys, a.cfg, a.BaseURL, a.FHIRBase, req)
}

func mintToken(ctx context.Context, keys *authz.KeyRing, cfg Config, base, fhirBase string, req TokenRequest) (string, error) {
	if req.Role == "" {
		req.Role = defaultRole(req.Scope)
	}
	// A token id, so that an operator's token can be revoked like any other.
	jti, err := newSecret(cfg.Rand)
	if err != nil {
		return "", err
	}
	now := cfg.Now()
	return keys.SignAccessToken(ctx, authz.Claims{
		Issuer: base, Audience: fhirBase, Subject: req.Subject, ClientID: req.ClientID,
		Scope: req.Scope, Patient: req.Patient, Role: req.Role, ID: jti[:22],
		IssuedAt: now, Expiry: now.Add(req.TTL),
	})
}

func defaultRole(scopes string) string {
	switch {
	case containsPrefix(scopes, "system/"):
		return "system"
	case containsPrefix(scopes, "patient/"):
		return "patient"
	}
	return "clinician"
}

func containsPrefix(list, prefix string) bool {
	for i := 0; i+len(prefix) <= len(list); i++ {
		if (i == 0 || list[i-1] == ' ') && list[i:i+len(prefix)] == prefix {
			return true
		}
	}
	return false
}
