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
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/fhir/validate"
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

// errWait marks a file that refers to entries of files not read yet.
var errWait = errors.New("refers to entries not loaded yet")

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
	// The producer reads, resolves, validates and prepares; the writer
	// (this goroutine) writes, so the single SQLite writer is never idle
	// waiting for the CPU work of the next file.
	// p belongs to the producer goroutine until it closes units.
	p := &producer{ctx: ctx, st: l.Store, names: map[string]string{}, shared: map[string][32]byte{}}
	go func() {
		defer close(units)
		var waiting []int
		send := func(u unit) bool {
			select {
			case units <- u:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for i, f := range files {
			if err := p.file(i, f, false, send); errors.Is(err, errWait) {
				waiting = append(waiting, i)
			} else if err != nil && !send(unit{file: i, bytes: f.size, last: true, err: err}) {
				return
			}
		}
		for _, i := range waiting {
			if err := p.file(i, files[i], true, send); err != nil && !send(unit{file: i, bytes: files[i].size, last: true, err: err}) {
				return
			}
		}
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

// producer turns files into prepared units. It owns names: every fullUrl
// read so far and the Type/id it stands for.
type producer struct {
	ctx   context.Context
	st    *store.Store
	names map[string]string
	// shared holds the content hash of every shared resource (Organization,
	// Practitioner, Location, Medication…) of this load, by Type/id.
	shared map[string][32]byte
	kept   int
}

// dedupe drops the shared resources that are here already: Synthea writes
// a patient's Organization and Practitioner into the patient's Bundle as
// well as into the hospital and practitioner Bundles, under the same ids
// (the latter with more elements, which is why those files are read
// first). A load never overwrites: the copy loaded first is kept, and a
// later copy with other content is counted in Summary.Kept.
func (p *producer) dedupe(items []store.ImportItem) ([]store.ImportItem, error) {
	out := items[:0]
	for _, it := range items {
		if spec.ConfinementOf(it.Type) != spec.Shared {
			out = append(out, it)
			continue
		}
		key := it.Type + "/" + it.ID
		sum, err := contentHash(it.Resource)
		if err != nil {
			return nil, err
		}
		prev, seen := p.shared[key]
		if !seen {
			cur, err := p.st.Read(p.ctx, it.Type, it.ID, search.Compartment{})
			switch {
			case err == nil:
				stored, derr := fhirjson.Decode(cur.Body)
				if derr != nil {
					return nil, derr
				}
				if prev, err = contentHash(stored); err != nil {
					return nil, err
				}
				seen = true
			case errs.KindOf(err) == errs.NotFound || errs.KindOf(err) == errs.Gone:
			default:
				return nil, err
			}
		}
		switch {
		case !seen:
			p.shared[key] = sum
			out = append(out, it)
		case prev != sum:
			p.kept++
		}
	}
	return out, nil
}

// contentHash hashes a resource without its meta, which the store sets.
func contentHash(res map[string]any) ([32]byte, error) {
	m := make(map[string]any, len(res))
	for k, v := range res {
		if k != "meta" {
			m[k] = v
		}
	}
	b, err := fhirjson.Encode(m)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

func (p *producer) file(i int, f file, final bool, send func(unit) bool) error {
	if strings.HasSuffix(f.path, ".ndjson") {
		return p.ndjson(i, f, send)
	}
	body, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	items, err := p.bundle(body, final)
	if err != nil {
		return err
	}
	var b *store.ImportBatch
	if len(items) > 0 {
		if b, err = p.st.PrepareImport(items); err != nil {
			return err
		}
	}
	send(unit{file: i, batch: b, bytes: f.size, last: true})
	return nil
}

// bundle reads a Bundle (or a single resource) into import items, with
// the Bundle's references to its entries resolved.
func (p *producer) bundle(body []byte, final bool) ([]store.ImportItem, error) {
	obj, err := fhirjson.Decode(body)
	if err != nil {
		return nil, err
	}
	if rt, _ := obj["resourceType"].(string); rt != "Bundle" {
		item, err := p.item(obj, "", "entry")
		if err != nil {
			return nil, err
		}
		if err := p.resolve(item, final, "the resource"); err != nil {
			return nil, err
		}
		if err := validate.Resource(item.Type, item.Resource); err != nil {
			return nil, err
		}
		return p.dedupe([]store.ImportItem{item})
	}
	switch t, _ := obj["type"].(string); t {
	case "transaction", "batch", "collection":
	default:
		return nil, errs.Field("Bundle.type", "a %q Bundle is not loaded: transaction, batch or collection", t)
	}
	entries, _ := obj["entry"].([]any)
	items := make([]store.ImportItem, 0, len(entries))
	fullURLs := make([]string, 0, len(entries))
	for n, e := range entries {
		where := fmt.Sprintf("Bundle.entry[%d]", n)
		em, _ := e.(map[string]any)
		res, _ := em["resource"].(map[string]any)
		if res == nil {
			return nil, errs.Field(where, "the entry has no resource")
		}
		putID := ""
		if req, _ := em["request"].(map[string]any); req != nil {
			method, _ := req["method"].(string)
			u, _ := req["url"].(string)
			switch method {
			case "POST", "":
			case "PUT":
				if _, id, ok := strings.Cut(strings.SplitN(u, "?", 2)[0], "/"); ok && !strings.Contains(u, "?") {
					putID = id
				}
			default:
				return nil, errs.Field(where+".request.method", "only POST and PUT entries are loaded, not %s", method)
			}
		}
		item, err := p.item(res, putID, where)
		if err != nil {
			return nil, err
		}
		full, _ := em["fullUrl"].(string)
		fullURLs = append(fullURLs, full)
		items = append(items, item)
	}
	for n, item := range items {
		if full := fullURLs[n]; full != "" {
			p.names[full] = item.Type + "/" + item.ID
		}
	}
	for n, item := range items {
		if err := p.resolve(item, final, fmt.Sprintf("Bundle.entry[%d]", n)); err != nil {
			return nil, err
		}
	}
	for n, item := range items {
		if err := validate.Resource(item.Type, item.Resource); err != nil {
			return nil, fmt.Errorf("Bundle.entry[%d] (%s/%s): %w", n, item.Type, item.ID, err)
		}
	}
	return p.dedupe(items)
}

// item gives a resource its id: the one given (by a PUT's URL, or its own),
// or a new one.
func (p *producer) item(res map[string]any, id, where string) (store.ImportItem, error) {
	rtype, _ := res["resourceType"].(string)
	if _, ok := spec.CanonicalType(rtype); !ok || rtype == "" {
		return store.ImportItem{}, errs.Field(where, "unknown resource type %q", rtype)
	}
	if id == "" {
		id, _ = res["id"].(string)
	}
	if id == "" {
		var err error
		if id, err = p.st.NewID(); err != nil {
			return store.ImportItem{}, err
		}
	}
	if !search.ValidID(id) {
		return store.ImportItem{}, errs.Field(where, "not a valid resource id: %q", id)
	}
	res["id"] = id
	return store.ImportItem{Type: rtype, ID: id, Resource: res}, nil
}

// resolve rewrites every reference that names a known fullUrl. A urn:
// reference that names none is an error in the final round, and makes the
// file wait for it before.
func (p *producer) resolve(item store.ImportItem, final bool, where string) error {
	var missing string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && k == "reference" {
					if to, ok := p.names[s]; ok {
						x[k] = to
					} else if strings.HasPrefix(s, "urn:") && missing == "" {
						missing = s
					}
					continue
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(item.Resource)
	switch {
	case missing == "":
		return nil
	case !final:
		return errWait
	default:
		return fmt.Errorf("%s (%s/%s): reference %s names no entry of the files loaded", where, item.Type, item.ID, missing)
	}
}

// ndjson loads a file of one resource a line, a chunk per transaction.
func (p *producer) ndjson(i int, f file, send func(unit) bool) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer fh.Close()
	rd := bufio.NewReaderSize(fh, 1<<20)
	var items []store.ImportItem
	flush := func(last bool) error {
		var b *store.ImportBatch
		var err error
		if items, err = p.dedupe(items); err != nil {
			return err
		}
		if len(items) > 0 {
			if b, err = p.st.PrepareImport(items); err != nil {
				return err
			}
		}
		items = nil
		if !send(unit{file: i, batch: b, bytes: f.size, last: last}) {
			return context.Canceled
		}
		return nil
	}
	for line := 1; ; line++ {
		raw, err := rd.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return err
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 {
			res, derr := fhirjson.Decode(t)
			if derr != nil {
				return fmt.Errorf("line %d: %w", line, derr)
			}
			where := fmt.Sprintf("line %d", line)
			item, ierr := p.item(res, "", where)
			if ierr != nil {
				return ierr
			}
			if rerr := p.resolve(item, true, where); rerr != nil {
				return rerr
			}
			if verr := validate.Resource(item.Type, item.Resource); verr != nil {
				return fmt.Errorf("line %d (%s/%s): %w", line, item.Type, item.ID, verr)
			}
			items = append(items, item)
			if len(items) == chunk {
				if ferr := flush(false); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return flush(true)
		}
	}
}
