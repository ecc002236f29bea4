package fhirload

import (
	"strings"
	"sync"
	"sync/atomic"
)

// run produces the units of files on workers goroutines: every file in
// order, then, in a final round, the files that referred to entries of
// files not read yet.
//
// Each goroutine takes the next file and carries it through the stages
// (see producer). Parsing and checking, most of the producer's CPU, run
// side by side on different files; link and finish wait for the file
// before to have passed them, so they happen in file order whatever the
// scheduling: the same fullUrls resolve to the same ids, the same shared
// copy is kept, and the writer receives the same units in the same order
// as with one goroutine. At most workers files are held in memory, plus
// the units queued for the writer.
func (p *producer) run(files []file, workers int) {
	first := make([]*job, len(files))
	for i := range first {
		first[i] = &job{file: i, f: files[i]}
	}
	waiting := p.round(first, workers)
	if p.ctx.Err() == nil && len(waiting) > 0 {
		for _, j := range waiting {
			j.final = true
		}
		p.round(waiting, workers)
	}
}

// round runs jobs through the stages and returns those that wait for the
// final round, in order, as new jobs: the file is read again then.
func (p *producer) round(jobs []*job, workers int) []*job {
	// linked[k] and finished[k] close when the k-th file has passed link
	// and finish.
	linked := make([]chan struct{}, len(jobs))
	finished := make([]chan struct{}, len(jobs))
	for k := range jobs {
		linked[k], finished[k] = make(chan struct{}), make(chan struct{})
	}
	after := func(turns []chan struct{}, k int) bool {
		if k == 0 {
			return true
		}
		select {
		case <-turns[k-1]:
			return true
		case <-p.ctx.Done():
			return false
		}
	}
	var waiting []*job // link's, in file order
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) {
					return
				}
				j := jobs[k]
				jobs[k] = nil // held by this goroutine only from here
				i := j.file
				if strings.HasSuffix(j.f.path, ".ndjson") {
					// Streamed in its turns, both held.
					if !after(linked, k) || !after(finished, k) {
						return
					}
					ok := true
					if err := p.ndjson(i, j.f); err != nil {
						ok = p.send(unit{file: i, bytes: j.f.size, last: true, err: err})
					}
					close(linked[k])
					close(finished[k])
					if !ok {
						return
					}
					continue
				}
				p.parse(j)
				if !after(linked, k) {
					return
				}
				p.link(j)
				if j.wait {
					waiting = append(waiting, &job{file: i, f: j.f, ids: j.ids})
				}
				close(linked[k])
				p.check(j)
				if !after(finished, k) {
					return
				}
				ok := p.finish(j)
				close(finished[k])
				if !ok {
					return
				}
			}
		})
	}
	wg.Wait()
	return waiting
}
