package fhirapi

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// readEntries reads and validates the entries of a Bundle (parseEntry,
// then validate_profiles) on up to GOMAXPROCS goroutines: validation is a
// CPU cost that one request would otherwise pay on one core, before its
// write transaction starts. Each entry is read on its own (it touches
// nothing the others do), and the caller looks at the errors in Bundle
// order, so the error chosen when several entries fail is the first
// failing entry's, whatever the scheduling. stopAt tells which errors end
// the reading of the Bundle: no entry after the first of them is read,
// since no answer will use it.
func (h *Handler) readEntries(ctx context.Context, raw []any, stopAt func(obj map[string]any, err error) bool) ([]*entry, []map[string]any, []error) {
	entries := make([]*entry, len(raw))
	objs := make([]map[string]any, len(raw))
	errList := make([]error, len(raw))
	var first atomic.Int64 // the lowest index that stops the reading
	first.Store(int64(len(raw)))
	read := func(i int) {
		if int64(i) > first.Load() {
			return
		}
		e := &entry{index: i}
		entries[i] = e
		obj, _ := raw[i].(map[string]any)
		objs[i] = obj
		var err error
		if obj != nil {
			err = h.parseEntry(e, obj)
			if err == nil && e.res != nil {
				// validate_profiles, exactly as a create or update of the
				// resource alone would apply it.
				err = h.enforceProfiles(ctx, e.rtype, e.res)
			}
		}
		errList[i] = err
		if stopAt(obj, err) {
			for {
				cur := first.Load()
				if int64(i) >= cur || first.CompareAndSwap(cur, int64(i)) {
					break
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(raw))
	if workers <= 1 {
		for i := range raw {
			read(i)
		}
		return entries, objs, errList
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(raw) {
					return
				}
				read(i)
			}
		})
	}
	wg.Wait()
	return entries, objs, errList
}
