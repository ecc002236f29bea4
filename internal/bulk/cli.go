package bulk

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/store"
)

// ExportOptions choose what RunExport writes.
type ExportOptions struct {
	Types       []string  // resource types; empty: every type
	Since       time.Time // only resources changed after it; zero: all
	Elements    []string  // _elements
	TypeFilters []string  // _typeFilter queries, "Type?search"
	FileLimit   int       // resources per file (default 100000)
	Now         func() time.Time
}

// Progress reports how far RunExport is.
type Progress struct {
	Task, Tasks int    // the pass running (one per type, and per type's deletions), of how many
	Type        string // its resource type
	Resources   int64  // resources written so far in finished files
}

// RunExport runs a system-level export straight into dir, without a job
// row or a server: the same passes and files as a job, for the command line
// (`emp export`). It writes manifest.json next to the files, with URLs
// relative to dir, and returns the manifest. progress, when not nil, is
// called after every file.
func RunExport(ctx context.Context, st *store.Store, opt ExportOptions, dir string, progress func(Progress)) (*Manifest, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.FileLimit <= 0 {
		opt.FileLimit = 100000
	}
	js, err := cliSpec(opt)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	until := opt.Now().UTC()
	tasks := js.tasks()
	var files []store.BulkFile
	e := &exporter{
		store: st, files: DirStore{Dir: dir}, spec: js, until: until, fileLimit: opt.FileLimit, pageSize: 1000,
		commit: func(ctx context.Context, f *store.BulkFile, cp checkpoint, _ string) error {
			if f != nil {
				files = append(files, *f)
			}
			if progress != nil && cp.Task < len(tasks) {
				progress(Progress{Task: cp.Task, Tasks: len(tasks), Type: tasks[cp.Task].plan.Type, Resources: cp.Done})
			} else if progress != nil {
				progress(Progress{Task: len(tasks), Tasks: len(tasks), Resources: cp.Done})
			}
			return nil
		},
	}
	if err := e.run(ctx, checkpoint{}); err != nil {
		return nil, err
	}
	m := &Manifest{TransactionTime: store.FormatInstant(until), Request: "emp export", RequiresAccessToken: false,
		Output: []ManifestFile{}, Error: []ManifestFile{}}
	for _, f := range files {
		mf := ManifestFile{Type: f.Type, URL: f.Key, Count: f.Count}
		if f.Section == store.BulkDeleted {
			mf.Type = "Bundle"
			m.Deleted = append(m.Deleted, mf)
		} else {
			m.Output = append(m.Output, mf)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return m, nil
}

// cliSpec checks the options as a kick-off checks its parameters.
func cliSpec(opt ExportOptions) (*jobSpec, error) {
	js := &jobSpec{Level: levelSystem, Since: opt.Since.UTC()}
	if opt.Since.IsZero() {
		js.Since = time.Time{}
	} else if opt.Since.After(opt.Now()) {
		return nil, errs.Field("since", "%s is in the future", opt.Since.Format(time.RFC3339))
	}
	types := opt.Types
	if len(types) == 0 {
		types = exportable(levelSystem)
	}
	filters := map[string][]string{}
	for _, f := range opt.TypeFilters {
		t, q, _, err := parseTypeFilter(f, false)
		if err != nil {
			return nil, err
		}
		filters[t] = append(filters[t], q)
	}
	for _, e := range opt.Elements {
		if !validElement(e) {
			return nil, errs.Field("elements", "%q is not an element name or Type.element", e)
		}
		js.Elements = append(js.Elements, e)
	}
	for _, t := range types {
		ct, ok := spec.CanonicalType(strings.TrimSpace(t))
		if !ok || !slices.Contains(exportable(levelSystem), ct) {
			return nil, errs.Field("type", "%q is not a resource type that can be exported", t)
		}
		js.Types = append(js.Types, typePlan{Type: ct, TypeFilters: filters[ct], Deleted: !js.Since.IsZero()})
	}
	return js, nil
}
