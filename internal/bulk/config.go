package bulk

import (
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/gate"

	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/store"
)

// Config is what bulk export needs. Store, Gate, BaseURL and one of Files or
// Dir are required; zero values of the rest pick the defaults.
type Config struct {
	Store *store.Store
	Gate  *authz.Verifier

	// BaseURL is the absolute FHIR base without a trailing slash
	// (https://ehr.example.org/fhir/r4); status and file URLs are built
	// from it.
	BaseURL string

	// Files keeps the export files; when nil, a DirStore over Dir.
	Files FileStore
	Dir   string

	Logger *slog.Logger
	Now    func() time.Time
	Rand   io.Reader // runner ids and job ids

	// FileLimit is how many resources one file holds before the next is
	// started (default 100000).
	FileLimit int
	// MaxActivePerClient is how many exports one client may have queued or
	// running at once for one owner (token subject and patient in context;
	// default 1); the owner's next kick-off is answered 429.
	MaxActivePerClient int
	// FileTTL is how long the files of a finished export are kept
	// (default 1 hour).
	FileTTL time.Duration
	// RetryAfter is what the status URL tells a client to wait between
	// polls (default 2 seconds); polling sooner than MinPoll is answered
	// 429 (default 1 second; negative: never).
	RetryAfter time.Duration
	MinPoll    time.Duration
	// Lease is how long a worker holds a job without renewing it (default
	// 30 seconds): after a node dies, its jobs wait this long at most.
	Lease time.Duration
	// Idle is how often an idle runner looks for jobs queued on other
	// nodes (default 2 seconds); kick-offs on this node wake it at once.
	Idle time.Duration
	// Workers is how many jobs a runner works on at once (default 1).
	Workers int
	// SweepEvery is how often expired and cancelled jobs are cleaned up
	// (default 1 minute).
	SweepEvery time.Duration
	// PageSize is how many rows one store query reads (default 1000).
	PageSize int
}

// Service serves the bulk export endpoints and makes runners for its jobs.
type Service struct {
	cfg  Config
	gate *gate.Gate
	wake chan struct{} // a kick-off on this node nudges an idle runner

	mu       sync.Mutex
	lastPoll map[string]time.Time // job → last status poll, for 429
	// orphanSince is when a sweep first found each folder of a job that
	// no longer exists (see deleteOrphanFolders).
	orphanSince map[string]time.Time
}

// New checks cfg and fills in the defaults.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Gate == nil || cfg.BaseURL == "" {
		return nil, errors.New("bulk: Config needs Store, Gate and BaseURL")
	}
	if cfg.Files == nil {
		if cfg.Dir == "" {
			return nil, errors.New("bulk: Config needs Files or Dir")
		}
		cfg.Files = DirStore{Dir: cfg.Dir}
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.FileLimit <= 0 {
		cfg.FileLimit = 100000
	}
	if cfg.MaxActivePerClient <= 0 {
		cfg.MaxActivePerClient = 1
	}
	if cfg.FileTTL <= 0 {
		cfg.FileTTL = time.Hour
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 2 * time.Second
	}
	if cfg.MinPoll == 0 {
		cfg.MinPoll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 2 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	s := &Service{cfg: cfg, wake: make(chan struct{}, 1), lastPoll: map[string]time.Time{}}
	// The FHIR face's gate and OperationOutcome: bulk export is part of it.
	s.gate = gate.New(gate.Config{Verifier: cfg.Gate, Audit: cfg.Store, Realm: "fhir",
		WriteError: func(w http.ResponseWriter, r *http.Request, err error) { outcome.WriteError(w, r, cfg.Logger, err) }})
	return s, nil
}

// Paths of the endpoints under the FHIR base.
const (
	StatusPath = "/$bulkdata-status"
	FilePath   = "/$bulkdata-file"
)

// Routes registers the endpoints on mux under prefix, the path of the FHIR
// base ("/fhir/r4"). Registered on the server's top-level mux next to the
// FHIR face's "/fhir/r4/" prefix, these more specific patterns win.
func (s *Service) Routes(mux *http.ServeMux, prefix string) {
	prefix = strings.TrimSuffix(prefix, "/")
	handle := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.plainText(h)) }
	for _, m := range []string{"GET ", "POST "} {
		handle(m+prefix+"/$export", s.kickoff(levelSystem))
		handle(m+prefix+"/Patient/$export", s.kickoff(levelPatient))
		handle(m+prefix+"/Group/{id}/$export", s.kickoff(levelGroup))
	}
	handle("GET "+prefix+StatusPath, s.gate.Serve(s.status))
	handle("DELETE "+prefix+StatusPath, s.gate.Serve(s.cancel))
	handle("GET "+prefix+FilePath+"/{job}/{name}", s.gate.Serve(s.download))
}

// Operation is an operation to declare in the CapabilityStatement: at
// system level when Type is empty.
type Operation struct{ Type, Name, Definition string }

// Operations are the three export operations with their canonical
// definitions, for the FHIR face's CapabilityStatement.
func Operations() []Operation {
	return []Operation{
		{Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
		{Type: "Patient", Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
		{Type: "Group", Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"},
	}
}

// Instantiates is the bulk data CapabilityStatement the server's own
// CapabilityStatement should list in instantiates.
const Instantiates = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
