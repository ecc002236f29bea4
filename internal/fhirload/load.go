// Package fhirload loads files of FHIR resources into a store: transaction,
// batch and collection Bundles (what Synthea writes) and NDJSON (what a
// bulk export writes), through the store's bulk import path. It is what
// "emp import" runs.
//
// Every resource is validated as a create would be. A file is the unit of
// failure: a Bundle is written in one transaction (all of it or none), and
// a file that fails is reported with its reason while the load goes on.
// Resources keep the ids the files give them; a resource without one gets
// a new id, and every urn:uuid or other fullUrl that names an entry is
// rewritten to Type/id wherever a reference points at it, across files (a
// Synthea patient's Bundle refers to the Organizations of its hospital
// Bundle): a file that refers to an entry of a file not read yet waits
// until the end of the load and is tried again then.
package fhirload

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/store"
)

// chunk is how many NDJSON lines go into one transaction.
const chunk = 5000

// GCPercent is the garbage collector's target (GOGC) a loading process
// should run with when its environment sets none. A load allocates fast
// and keeps little (a file's decoded resources until their rows are
// written): collecting when the heap has grown by four times what is live
// rather than by as much again took 10–20 % less CPU in
// BenchmarkLoadSyntheaShaped, for memory a load can spare.
const GCPercent = 400

// Progress is reported after each write.
type Progress struct {
	Resources         int64 // written so far
	Bytes, TotalBytes int64 // of the files read so far, and of all
	Files, TotalFiles int   // done (written or failed), and all
}

// FileError is a file that could not be loaded, and why.
type FileError struct {
	Path string
	Err  error
}

// Summary is the outcome of a load.
type Summary struct {
	Resources int64
	Files     int // files loaded whole
	// Kept counts shared resources (Organization, Practitioner…) that a
	// file held with other content than the copy loaded before, which was
	// kept.
	Kept   int
	Failed []FileError
}

// Loader loads files into Store.
type Loader struct {
	Store    *store.Store
	Progress func(Progress) // called from the loading goroutine; may be nil
	// Workers is how many goroutines read, check and prepare files for the
	// writer; GOMAXPROCS when zero. The result does not depend on it.
	Workers int
}

type file struct {
	path string
	size int64
}

// Files expands the paths: a folder stands for every .json and .ndjson
// file under it (a bulk export's manifest.json aside), in name order.
func Files(paths []string) ([]file, error) {
	var out []file
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, file{p, st.Size()})
			continue
		}
		var found []file
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := d.Name()
			if name == "manifest.json" || !(strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".ndjson")) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			found = append(found, file{path, info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
		// Synthea's hospital and practitioner Bundles hold the complete
		// shared records that its patients' Bundles repeat in part: they go
		// first, the rest in name order.
		slices.SortFunc(found, func(a, b file) int {
			if sa, sb := sharedFirst(a.path), sharedFirst(b.path); sa != sb {
				return sb - sa
			}
			return strings.Compare(a.path, b.path)
		})
		out = append(out, found...)
	}
	return out, nil
}

func sharedFirst(path string) int {
	name := filepath.Base(path)
	if strings.HasPrefix(name, "hospitalInformation") || strings.HasPrefix(name, "practitionerInformation") {
		return 1
	}
	return 0
}

// unit is one transaction's worth of a file, prepared for writing.
type unit struct {
	file  int
	batch *store.ImportBatch
	bytes int64 // of the file, counted when its last unit is written
	last  bool
	err   error
}

// Load loads the files of paths. The error is for the load as a whole
// (the database failed); files that fail are in the summary.
func (l *Loader) Load(ctx context.Context, paths []string) (*Summary, error) {
	files, err := Files(paths)
	if err != nil {
		return nil, err
	}
	sum := &Summary{}
	var total int64
	for _, f := range files {
		total += f.size
	}
	err = l.Store.BulkLoad(ctx, func() error {
		return l.load(ctx, files, total, sum)
	})
	if err != nil {
		return nil, err
	}
	if sum.Resources > 0 {
		if err := l.Store.Analyze(ctx); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

func (l *Loader) load(ctx context.Context, files []file, total int64, sum *Summary) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	units := make(chan unit, 2)
	// The producer's goroutines read, resolve, validate and prepare; the
	// writer (this goroutine) writes, so the single SQLite writer is never
	// idle waiting for the CPU work of the next file.
	p := &producer{ctx: ctx, st: l.Store, names: map[string]string{}, shared: map[string][32]byte{},
		send: func(u unit) bool {
			select {
			case units <- u:
				return true
			case <-ctx.Done():
				return false
			}
		}}
	workers := l.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	go func() {
		defer close(units)
		p.run(files, workers)
	}()
	w := &writer{l: l, files: files, sum: sum, failed: map[int]bool{}}
	w.prog.TotalBytes, w.prog.TotalFiles = total, len(files)
	for u := range units {
		group := []unit{u}
		n := u.size()
	gather:
		for n < mergeMax {
			select {
			case v, ok := <-units:
				if !ok {
					break gather
				}
				group = append(group, v)
				n += v.size()
			default:
				break gather
			}
		}
		if err := w.write(ctx, group); err != nil {
			// The producer stops at its next step; none of it outlives
			// the load.
			cancel()
			for range units {
			}
			return err
		}
	}
	sum.Kept = p.kept
	return ctx.Err()
}

// mergeMax is how many resources at most go into one transaction when the
// writer joins the units that are ready (see writer.write).
const mergeMax = 20000

func (u unit) size() int {
	if u.batch == nil {
		return 0
	}
	return u.batch.Len()
}

// writer writes units and keeps the tally.
type writer struct {
	l      *Loader
	files  []file
	sum    *Summary
	failed map[int]bool
	prog   Progress
}

// write writes the units that are ready in one transaction: many small
// Bundles cost a commit each otherwise. When that transaction fails, each
// unit is written on its own, so that the failure is pinned on its file
// and the others still load.
func (w *writer) write(ctx context.Context, group []unit) error {
	var ok []unit
	for _, u := range group {
		switch {
		case w.failed[u.file]:
		case u.err != nil:
			w.fail(u.file, u.err)
		case u.batch != nil:
			ok = append(ok, u)
		}
	}
	written := map[int]bool{}
	if len(ok) > 1 {
		bs := make([]*store.ImportBatch, len(ok))
		for i, u := range ok {
			bs[i] = u.batch
		}
		if err := w.l.Store.WriteImport(ctx, store.MergeImport(bs...)); err == nil {
			for i := range ok {
				written[i] = true
			}
		} else if ctx.Err() != nil {
			return err
		}
	}
	for i, u := range ok {
		if written[i] {
			w.sum.Resources += int64(u.size())
			continue
		}
		if w.failed[u.file] {
			continue
		}
		if err := w.l.Store.WriteImport(ctx, u.batch); err != nil {
			if ctx.Err() != nil {
				return err
			}
			w.fail(u.file, err)
			continue
		}
		w.sum.Resources += int64(u.size())
	}
	w.prog.Resources = w.sum.Resources
	for _, u := range group {
		if u.last {
			w.prog.Files++
			w.prog.Bytes += u.bytes
			if !w.failed[u.file] {
				w.sum.Files++
			}
		}
	}
	if w.l.Progress != nil {
		w.l.Progress(w.prog)
	}
	return nil
}

func (w *writer) fail(file int, err error) {
	if !w.failed[file] {
		w.failed[file] = true
		w.sum.Failed = append(w.sum.Failed, FileError{w.files[file].path, err})
	}
}
