package bulk

import (
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Manifest is the answer of a finished export.
type Manifest struct {
	TransactionTime     string         `json:"transactionTime"`
	Request             string         `json:"request"`
	RequiresAccessToken bool           `json:"requiresAccessToken"`
	Output              []ManifestFile `json:"output"`
	Error               []ManifestFile `json:"error"`
	Deleted             []ManifestFile `json:"deleted,omitempty"`
}

// ManifestFile is one file of a manifest.
type ManifestFile struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int64  `json:"count,omitempty"`
}

// ownedJob returns the job the request names, provided the caller
// started it: the same client, the same token subject and the same patient
// in context. Two patients signed in to one app share the client but not
// the job. Anyone else's job is NotFound rather than Forbidden, so that a
// job id's existence does not leak.
func (s *Service) ownedJob(req *gate.Request, id string) (*store.BulkJob, error) {
	if id == "" {
		return nil, errs.E(errs.NotFound, "the status URL names no export job")
	}
	job, err := s.cfg.Store.BulkJob(req.Context(), id)
	if err != nil {
		return nil, err
	}
	p := req.Caller
	if !job.SameOwner(clientOf(p), p.Subject, p.Patient) || job.Status == store.BulkCancelled {
		return nil, errs.E(errs.NotFound, "no export job %q", id)
	}
	return job, nil
}

// pollable is the caller's own job the request names, provided the token
// may poll it (mayPoll). A refusal is as much a fact for the audit trail as
// a download, so the request's audit row is set up first.
func (s *Service) pollable(req *gate.Request, action string) (*store.BulkJob, error) {
	id := req.R.URL.Query().Get("job")
	req.Audit = store.AuditEvent{Patient: req.Caller.Patient, Action: action, ResID: id}
	job, err := s.ownedJob(req, id)
	if err != nil {
		return nil, err
	}
	js, err := decodeSpec(job.Params)
	if err != nil {
		return nil, err
	}
	return job, mayPoll(req.Caller, js)
}

// mayPoll lets a client poll its jobs with the status operation scope or
// the export scope the job was started with.
func mayPoll(p *authz.Principal, js *jobSpec) error {
	if p.CanOperation("", "$bulkdata-status") == nil {
		return nil
	}
	return p.CanOperation(levelType(js.Level), "$export")
}

// status answers a poll: 202 with progress while the job runs, the manifest
// when it is done, an OperationOutcome when it failed. A poll that passes
// the checks is not audited: it reads nothing but the job's state, and a
// client polls many times.
func (s *Service) status(req *gate.Request) error {
	job, err := s.pollable(req, "export-status")
	if err != nil {
		return err
	}
	req.NoAudit = true
	w := req.W
	if !s.pollAllowed(job.ID, s.cfg.Now()) {
		w.Header().Set("Retry-After", seconds(s.cfg.RetryAfter))
		return errs.E(errs.TooMany, "polled too often; wait %s between polls", seconds(s.cfg.RetryAfter)+"s")
	}
	switch job.Status {
	case store.BulkQueued, store.BulkRunning:
		progress := job.Progress
		if progress == "" {
			progress = job.Status
		}
		w.Header().Set("X-Progress", progress)
		w.Header().Set("Retry-After", seconds(s.cfg.RetryAfter))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusAccepted)
	case store.BulkFailed:
		outcome.Write(w, http.StatusInternalServerError, outcome.Issue{Severity: "error", Code: "exception", Diagnostics: job.Error})
	case store.BulkDone:
		files, err := s.cfg.Store.BulkFiles(req.Context(), job.ID)
		if err != nil {
			return err
		}
		w.Header().Set("Expires", job.Expires.UTC().Format(http.TimeFormat))
		writeJSON(w, http.StatusOK, s.manifest(job, files))
	}
	return nil
}

func (s *Service) manifest(job *store.BulkJob, files []store.BulkFile) *Manifest {
	m := &Manifest{
		TransactionTime:     store.FormatInstant(job.TransactionTime),
		Request:             job.RequestURL,
		RequiresAccessToken: true,
		Output:              []ManifestFile{},
		Error:               []ManifestFile{},
	}
	for _, f := range files {
		mf := ManifestFile{Type: f.Type, URL: s.fileURL(f.Key), Count: f.Count}
		switch f.Section {
		case store.BulkOutput:
			m.Output = append(m.Output, mf)
		case store.BulkError:
			m.Error = append(m.Error, mf)
		case store.BulkDeleted:
			mf.Type = "Bundle"
			m.Deleted = append(m.Deleted, mf)
		}
	}
	return m
}

// pollAllowed reports whether a poll of the job comes at least MinPoll
// after the last one, and records it.
func (s *Service) pollAllowed(job string, now time.Time) bool {
	if s.cfg.MinPoll < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.lastPoll[job]; ok && now.Sub(last) < s.cfg.MinPoll {
		return false
	}
	if len(s.lastPoll) > 4096 {
		for k, t := range s.lastPoll {
			if now.Sub(t) > time.Minute {
				delete(s.lastPoll, k)
			}
		}
	}
	s.lastPoll[job] = now
	return true
}

// cancel stops a job and removes its files; its status URL then answers 404.
func (s *Service) cancel(req *gate.Request) error {
	job, err := s.pollable(req, "export-cancel")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.CancelBulkJob(req.Context(), job.ID, s.cfg.Now()); err != nil {
		return err
	}
	// A worker still writing loses its lease at its next checkpoint and
	// removes what it wrote; the sweep removes the job row and anything
	// left. Removing the files can therefore race a worker creating one (a
	// directory that is not empty yet); the cancel has happened all the
	// same, so that is logged, not answered as a failure.
	if derr := s.cfg.Files.DeletePrefix(req.Context(), job.ID); derr != nil {
		s.cfg.Logger.Warn("bulk: remove files of cancelled export; the sweep will retry", "job", job.ID, "err", derr)
	}
	s.mu.Lock()
	delete(s.lastPoll, job.ID)
	s.mu.Unlock()
	outcome.WriteInfo(req.W, http.StatusAccepted, "export "+job.ID+" cancelled")
	return nil
}

// download serves one file to the client that started the job, provided
// its token may still search the file's type.
func (s *Service) download(req *gate.Request) error {
	jobID, name := req.R.PathValue("job"), req.R.PathValue("name")
	req.Audit = store.AuditEvent{Action: "export-download", ResID: jobID + "/" + name}
	job, err := s.ownedJob(req, jobID)
	if err != nil {
		return err
	}
	if job.Status != store.BulkDone || !s.cfg.Now().Before(job.Expires) {
		return errs.E(errs.NotFound, "export %s has no files (not finished, or expired)", jobID)
	}
	file, err := s.findFile(req.R, job, name)
	if err != nil {
		return err
	}
	req.Audit.Type = file.Type
	if file.Section != store.BulkError {
		if err := req.Caller.CanFHIR(file.Type, scope.Search); err != nil {
			return err
		}
	}
	body, _, err := s.cfg.Files.Open(req.Context(), file.Key)
	if err != nil {
		return err
	}
	defer body.Close()
	w := req.W
	w.Header().Set("Content-Type", fhirNDJSON)
	w.Header().Set("Cache-Control", "no-store")
	// ServeContent answers a Range request (a client resuming a large
	// file) from the offset asked for, and sets Content-Length. The
	// file's name is stable for the job's life and its contents never
	// change, so the name serves as the validator of If-Range.
	w.Header().Set("ETag", `"`+file.Key+`"`)
	http.ServeContent(w, req.R, "", time.Time{}, body)
	return nil
}

func (s *Service) findFile(r *http.Request, job *store.BulkJob, name string) (*store.BulkFile, error) {
	files, err := s.cfg.Store.BulkFiles(r.Context(), job.ID)
	if err != nil {
		return nil, err
	}
	for i := range files {
		if files[i].Key == job.ID+"/"+name && !strings.Contains(name, "/") {
			return &files[i], nil
		}
	}
	return nil, errs.E(errs.NotFound, "export %s has no file %q", job.ID, name)
}
