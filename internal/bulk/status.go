package bulk

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
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

// ownedJob authenticates the caller and returns the job the request names,
// provided the caller started it: the same client, the same token subject
// and the same patient in context. Two patients signed in to one app share
// the client but not the job. Anyone else's job is NotFound rather than
// Forbidden, so that a job id's existence does not leak.
func (s *Service) ownedJob(r *http.Request, id string) (*authz.Principal, *store.BulkJob, error) {
	p, err := s.cfg.Gate.Authenticate(r)
	if err != nil {
		return nil, nil, err
	}
	if id == "" {
		return p, nil, errs.E(errs.NotFound, "the status URL names no export job")
	}
	job, err := s.cfg.Store.BulkJob(r.Context(), id)
	if err != nil {
		return p, nil, err
	}
	if !job.SameOwner(clientOf(p), p.Subject, p.Patient) || job.Status == store.BulkCancelled {
		return p, nil, errs.E(errs.NotFound, "no export job %q", id)
	}
	return p, job, nil
}

// auditJob records a poll or cancel of a job by an authenticated caller
// (a refused token is recorded by the gate): a refused poll of someone
// else's job is as much a fact for the audit trail as a download. A
// successful poll is not recorded: it reads nothing but the job's state,
// and a client polls many times.
func (s *Service) auditJob(r *http.Request, p *authz.Principal, action, jobID string, err error) {
	if p == nil || (err == nil && action == "export-status") {
		return
	}
	status := http.StatusAccepted
	if err != nil {
		status = errs.KindOf(err).Status()
	}
	ctx := store.WithRequest(r.Context(), requestInfo(r, p))
	s.cfg.Store.RecordAccess(ctx, store.AuditEvent{Patient: p.Patient, Action: action, ResID: jobID, Status: status,
		Detail: auditDetail(err)})
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
// when it is done, an OperationOutcome when it failed.
func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("job")
	p, job, err := s.ownedJob(r, id)
	if err == nil {
		var js *jobSpec
		if js, err = decodeSpec(job.Params); err == nil {
			err = mayPoll(p, js)
		}
	}
	if err != nil {
		s.auditJob(r, p, "export-status", id, err)
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	now := s.cfg.Now()
	if !s.pollAllowed(job.ID, now) {
		w.Header().Set("Retry-After", seconds(s.cfg.RetryAfter))
		writeError(w, r, s.cfg.Logger, errs.E(errs.TooMany, "polled too often; wait %s between polls", seconds(s.cfg.RetryAfter)+"s"))
		return
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
		writeJSON(w, http.StatusInternalServerError, fhirJSON, outcome{ResourceType: "OperationOutcome",
			Issue: []issue{{Severity: "error", Code: "exception", Diagnostics: job.Error}}})
	case store.BulkDone:
		files, err := s.cfg.Store.BulkFiles(r.Context(), job.ID)
		if err != nil {
			writeError(w, r, s.cfg.Logger, err)
			return
		}
		w.Header().Set("Expires", job.Expires.UTC().Format(http.TimeFormat))
		writeJSON(w, http.StatusOK, "application/json", s.manifest(job, files))
	}
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
		switch f.Kind {
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
func (s *Service) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("job")
	p, job, err := s.ownedJob(r, id)
	if err == nil {
		var js *jobSpec
		if js, err = decodeSpec(job.Params); err == nil {
			err = mayPoll(p, js)
		}
	}
	if err == nil {
		err = s.cfg.Store.CancelBulkJob(r.Context(), job.ID, s.cfg.Now())
	}
	if err == nil {
		// A worker still writing loses its lease at its next checkpoint and
		// removes what it wrote; the sweep removes the job row and anything
		// left. Removing the files can therefore race a worker creating one
		// (a directory that is not empty yet); the cancel has happened all
		// the same, so that is logged, not answered as a failure.
		if derr := s.cfg.Files.DeletePrefix(r.Context(), job.ID); derr != nil {
			s.cfg.Logger.Warn("bulk: remove files of cancelled export; the sweep will retry", "job", job.ID, "err", derr)
		}
	}
	s.auditJob(r, p, "export-cancel", id, err)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	s.mu.Lock()
	delete(s.lastPoll, job.ID)
	s.mu.Unlock()
	writeInfo(w, http.StatusAccepted, "export "+job.ID+" cancelled")
}

// download serves one file to the client that started the job, provided
// its token may still search the file's type.
func (s *Service) download(w http.ResponseWriter, r *http.Request) {
	jobID, name := r.PathValue("job"), r.PathValue("name")
	p, job, err := s.ownedJob(r, jobID)
	var file *store.BulkFile
	if err == nil && (job.Status != store.BulkDone || !s.cfg.Now().Before(job.Expires)) {
		err = errs.E(errs.NotFound, "export %s has no files (not finished, or expired)", jobID)
	}
	if err == nil {
		file, err = s.findFile(r, job, name)
	}
	if err == nil && file.Kind != store.BulkError {
		err = p.CanFHIR(file.Type, scope.Search)
	}
	var body io.ReadCloser
	if err == nil {
		body, _, err = s.cfg.Files.Open(r.Context(), file.Key)
	}
	status := http.StatusOK
	if err != nil {
		status = errs.KindOf(err).Status()
	}
	if p != nil {
		typ := ""
		if file != nil {
			typ = file.Type
		}
		ctx := store.WithRequest(r.Context(), requestInfo(r, p))
		s.cfg.Store.RecordAccess(ctx, store.AuditEvent{Action: "export-download", Type: typ, ResID: jobID + "/" + name,
			Status: status, Detail: auditDetail(err)})
	}
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", fhirNDJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.Copy(w, body)
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
