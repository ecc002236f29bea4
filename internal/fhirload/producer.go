package fhirload

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/store"
)

// producer turns files into prepared units. Its work on a Bundle is in
// four stages (see pipeline.go): parse and check run on any of a few
// goroutines, link and finish run one file at a time in file order, since
// they read and write what the files before have left:
//   - parse reads and decodes the file and takes each entry's type and id;
//   - link gives the entries without an id a new one, records the fullUrls
//     and rewrites the references that name them (names);
//   - check validates every resource as a create would;
//   - finish drops the shared resources loaded before (shared), prepares
//     the rows and sends the unit to the writer.
type producer struct {
	ctx  context.Context
	st   *store.Store
	send func(unit) bool
	// names holds every fullUrl linked so far and the Type/id it stands
	// for; link's, in file order.
	names map[string]string
	// shared holds the content hash of every shared resource (Organization,
	// Practitioner, Location, Medication…) of this load, by Type/id;
	// finish's, in file order.
	shared map[string][32]byte
	kept   int
}

// job is one file on its way through the stages.
type job struct {
	file    int
	f       file
	final   bool // the last round: a reference to no entry fails the file
	single  bool // the file is one resource, not a Bundle
	entries []entry
	items   []store.ImportItem
	hashes  [][32]byte // of the shared items, by position in items
	wait    bool       // refers to entries of files not read yet
	// ids are the ids link gave the entries in the first round, for the
	// final one: the fullUrls recorded then, which files read since may
	// have used, keep naming the same resources.
	ids []string
	err error
}

// entry is a resource of a file with the id it is given, if any yet.
type entry struct {
	res      map[string]any
	typ, id  string
	fullURL  string
	position string // where the entry is, for errors
}

// errWait marks a file that refers to entries of files not read yet.
var errWait = errors.New("refers to entries not loaded yet")

// parse reads a Bundle (or a single resource) into entries.
func (p *producer) parse(j *job) {
	body, err := os.ReadFile(j.f.path)
	if err != nil {
		j.err = err
		return
	}
	obj, err := fhirjson.Decode(body)
	if err != nil {
		j.err = err
		return
	}
	if rt, _ := obj["resourceType"].(string); rt != "Bundle" {
		e, err := entryOf(obj, "", "entry")
		j.single, j.entries, j.err = true, []entry{e}, err
		return
	}
	switch t, _ := obj["type"].(string); t {
	case "transaction", "batch", "collection":
	default:
		j.err = errs.Field("Bundle.type", "a %q Bundle is not loaded: transaction, batch or collection", t)
		return
	}
	list, _ := obj["entry"].([]any)
	j.entries = make([]entry, 0, len(list))
	for n, e := range list {
		where := fmt.Sprintf("Bundle.entry[%d]", n)
		em, _ := e.(map[string]any)
		res, _ := em["resource"].(map[string]any)
		if res == nil {
			j.err = errs.Field(where, "the entry has no resource")
			return
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
				j.err = errs.Field(where+".request.method", "only POST and PUT entries are loaded, not %s", method)
				return
			}
		}
		ent, err := entryOf(res, putID, where)
		if err != nil {
			j.err = err
			return
		}
		ent.fullURL, _ = em["fullUrl"].(string)
		j.entries = append(j.entries, ent)
	}
}

// entryOf checks a resource's type and the id given it (by a PUT's URL,
// or its own); one without an id gets a new one in link.
func entryOf(res map[string]any, id, where string) (entry, error) {
	rtype, _ := res["resourceType"].(string)
	if _, ok := spec.CanonicalType(rtype); !ok || rtype == "" {
		return entry{}, errs.Field(where, "unknown resource type %q", rtype)
	}
	if id == "" {
		id, _ = res["id"].(string)
	}
	if id != "" {
		if !search.ValidID(id) {
			return entry{}, errs.Field(where, "not a valid resource id: %q", id)
		}
		res["id"] = id
	}
	return entry{res: res, typ: rtype, id: id, position: where}, nil
}

// link gives the entries their ids, records the Bundle's fullUrls and
// rewrites the references to them. New ids are drawn here, in file order,
// so that a load's ids do not depend on how its goroutines ran.
func (p *producer) link(j *job) {
	if j.err != nil {
		return
	}
	j.items = make([]store.ImportItem, len(j.entries))
	for n, e := range j.entries {
		if e.id == "" && n < len(j.ids) {
			e.id, e.res["id"] = j.ids[n], j.ids[n]
		}
		if e.id == "" {
			id, err := p.st.NewID()
			if err != nil {
				j.err = err
				return
			}
			e.id, e.res["id"] = id, id
		}
		j.items[n] = store.ImportItem{Type: e.typ, ID: e.id, Resource: e.res}
	}
	if !j.single {
		for n, e := range j.entries {
			if e.fullURL != "" {
				p.names[e.fullURL] = j.items[n].Type + "/" + j.items[n].ID
			}
		}
	}
	for n, item := range j.items {
		where := j.entries[n].position
		if j.single {
			where = "the resource"
		}
		if err := p.resolve(item, j.final, where); err != nil {
			j.err = err
			if j.wait = errors.Is(err, errWait); j.wait {
				j.ids = make([]string, len(j.items))
				for n, it := range j.items {
					j.ids[n] = it.ID
				}
			}
			return
		}
	}
	j.entries = nil
}

// check validates the resources as a create would, and hashes the shared
// ones for finish.
func (p *producer) check(j *job) {
	if j.err != nil {
		return
	}
	for n, item := range j.items {
		if err := validate.Resource(item.Type, item.Resource); err != nil {
			if !j.single {
				err = fmt.Errorf("Bundle.entry[%d] (%s/%s): %w", n, item.Type, item.ID, err)
			}
			j.err = err
			return
		}
	}
	j.hashes, j.err = sharedHashes(j.items)
}

// sharedHashes hashes the content of the shared resources among items.
func sharedHashes(items []store.ImportItem) ([][32]byte, error) {
	hashes := make([][32]byte, len(items))
	for n, it := range items {
		if spec.ConfinementOf(it.Type) == spec.Shared {
			var err error
			if hashes[n], err = contentHash(it.Resource); err != nil {
				return nil, err
			}
		}
	}
	return hashes, nil
}

// finish sends the file's unit to the writer: its prepared rows, or why it
// failed. A file that waits sends nothing yet. It reports false when the
// load is canceled.
func (p *producer) finish(j *job) bool {
	if j.wait {
		return true
	}
	var b *store.ImportBatch
	if j.err == nil {
		var items []store.ImportItem
		if items, j.err = p.dedupe(j.items, j.hashes); j.err == nil && len(items) > 0 {
			b, j.err = p.st.PrepareImport(items)
		}
	}
	if j.err != nil {
		return p.send(unit{file: j.file, bytes: j.f.size, last: true, err: j.err})
	}
	return p.send(unit{file: j.file, batch: b, bytes: j.f.size, last: true})
}

// dedupe drops the shared resources that are here already: Synthea writes
// a patient's Organization and Practitioner into the patient's Bundle as
// well as into the hospital and practitioner Bundles, under the same ids
// (the latter with more elements, which is why those files are read
// first). A load never overwrites: the copy loaded first is kept, and a
// later copy with other content is counted in Summary.Kept. hashes are
// the items' from sharedHashes.
func (p *producer) dedupe(items []store.ImportItem, hashes [][32]byte) ([]store.ImportItem, error) {
	out := items[:0]
	for n, it := range items {
		if spec.ConfinementOf(it.Type) != spec.Shared {
			out = append(out, it)
			continue
		}
		key := it.Type + "/" + it.ID
		sum := hashes[n]
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

// ndjson loads a file of one resource a line, a chunk per transaction. It
// runs whole in the file's turn (see pipeline.go): a bulk export's file
// can be larger than memory, so it is read as it is written.
func (p *producer) ndjson(i int, f file) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer fh.Close()
	rd := bufio.NewReaderSize(fh, 1<<20)
	var items []store.ImportItem
	flush := func(last bool) error {
		var b *store.ImportBatch
		hashes, err := sharedHashes(items)
		if err != nil {
			return err
		}
		if items, err = p.dedupe(items, hashes); err != nil {
			return err
		}
		if len(items) > 0 {
			if b, err = p.st.PrepareImport(items); err != nil {
				return err
			}
		}
		items = nil
		if !p.send(unit{file: i, batch: b, bytes: f.size, last: last}) {
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
			e, ierr := entryOf(res, "", where)
			if ierr == nil && e.id == "" {
				e.id, ierr = p.st.NewID()
				res["id"] = e.id
			}
			if ierr != nil {
				return ierr
			}
			item := store.ImportItem{Type: e.typ, ID: e.id, Resource: res}
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
