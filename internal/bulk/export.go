package bulk

import (
	"github.com/emedpractice/emp/internal/fhir/outcome"

	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/fhir/redact"
	"github.com/emedpractice/emp/internal/store"
)

// checkpoint is where a job resumes: the task (an output or deleted pass
// over one type), the last row id written into a finished file, and the
// sequence number of the next file of that task.
type checkpoint struct {
	Task  int   `json:"task"`
	After int64 `json:"after"`
	Seq   int   `json:"seq"`
	// Done counts the resources in finished files, for progress.
	Done int64 `json:"done"`
}

// task is one pass of an export.
type task struct {
	section string // store.BulkOutput or store.BulkDeleted
	plan    typePlan
}

func (js *jobSpec) tasks() []task {
	var out []task
	for _, t := range js.Types {
		out = append(out, task{section: store.BulkOutput, plan: t})
	}
	for _, t := range js.Types {
		if t.Deleted {
			out = append(out, task{section: store.BulkDeleted, plan: t})
		}
	}
	return out
}

// commitFunc records a finished file (nil at the end of a task without
// one) with the checkpoint after it. An error stops the export; the file
// just written is then removed.
type commitFunc func(ctx context.Context, f *store.BulkFile, cp checkpoint, progress string) error

// exporter writes the files of one export.
type exporter struct {
	store  *store.Store
	files  FileStore
	prefix string // key prefix: the job id
	// tag sets apart the files of different workers on the same job: a
	// worker that lost its lease without knowing it yet must not overwrite,
	// or remove, a file its successor wrote under the same sequence number.
	tag       string
	spec      *jobSpec
	until     time.Time
	fileLimit int
	pageSize  int
	commit    commitFunc
}

// run does the tasks from cp on.
func (e *exporter) run(ctx context.Context, cp checkpoint) error {
	tasks := e.spec.tasks()
	for cp.Task < len(tasks) {
		t := tasks[cp.Task]
		var err error
		cp, err = e.runTask(ctx, t, cp, len(tasks))
		if err != nil {
			return err
		}
	}
	return nil
}

// openFile is the file being filled.
type openFile struct {
	w       FileWriter
	key     string
	count   int64
	bytes   int64
	lastRID int64
}

// runTask writes one task's files from cp and returns the checkpoint of
// the next task.
func (e *exporter) runTask(ctx context.Context, t task, cp checkpoint, ntasks int) (checkpoint, error) {
	var cur *openFile
	progress := func(done int64) string {
		return fmt.Sprintf("%d%% (%s %s, %d resources written)", cp.Task*100/ntasks, t.section, t.plan.Type, done)
	}
	// finish commits the open file with the checkpoint after it.
	finish := func(next checkpoint) error {
		var f *store.BulkFile
		next.Done = cp.Done
		if cur != nil {
			if err := cur.w.Commit(); err != nil {
				return err
			}
			f = &store.BulkFile{Section: t.section, Type: t.plan.Type, Seq: cp.Seq, Key: cur.key, Count: cur.count, Bytes: cur.bytes}
			next.Done += cur.count
		}
		if err := e.commit(ctx, f, next, progress(next.Done)); err != nil {
			if f != nil {
				e.files.Delete(context.WithoutCancel(ctx), f.Key)
			}
			return err
		}
		cp, cur = next, nil
		return nil
	}
	write := func(rid int64, line []byte) error {
		if cur == nil {
			key := fmt.Sprintf("%s%s-%s-%d%s.ndjson", e.prefix, t.section, t.plan.Type, cp.Seq, e.tag)
			w, err := e.files.Create(ctx, key)
			if err != nil {
				return err
			}
			cur = &openFile{w: w, key: key}
		}
		n, err := cur.w.Write(line)
		if err != nil {
			return err
		}
		cur.count++
		cur.bytes += int64(n)
		cur.lastRID = rid
		if cur.count >= int64(e.fileLimit) {
			return finish(checkpoint{Task: cp.Task, After: rid, Seq: cp.Seq + 1})
		}
		return nil
	}
	var err error
	if t.section == store.BulkDeleted {
		err = e.scanDeleted(ctx, t, cp.After, write)
	} else {
		err = e.scanOutput(ctx, t, cp.After, write)
	}
	if err == nil {
		err = finish(checkpoint{Task: cp.Task + 1})
	}
	if err != nil && cur != nil {
		cur.w.Abort()
	}
	return cp, err
}

func (e *exporter) scanOutput(ctx context.Context, t task, after int64, write func(int64, []byte) error) error {
	q := store.ExportScan{Type: t.plan.Type, Confined: t.plan.Confined, Via: t.plan.Via, Patients: e.spec.Patients,
		Since: e.spec.Since, Until: e.until, After: after, PageSize: e.pageSize}
	for _, queries := range [][]string{t.plan.TypeFilters, t.plan.ScopeFilters} {
		groups, err := compileFilters(t.plan.Type, queries)
		if err != nil {
			return err
		}
		if groups != nil {
			q.Filters = append(q.Filters, groups)
		}
	}
	elements := elementsFor(e.spec.Elements, t.plan.Type)
	var line []byte
	return e.store.ScanExport(ctx, q, func(r store.ExportRow) error {
		line = line[:0]
		body := r.Body
		if t.plan.Confined {
			// An export confined to some patients shows a Group's
			// other members to none of them. Absolute member
			// references are not recognised here, so they are left
			// out too.
			var err error
			if body, err = redact.ForPatients(t.plan.Type, body, e.spec.Patients, nil); err != nil {
				return fmt.Errorf("bulk: %s/%s: %w", t.plan.Type, r.ID, err)
			}
		}
		if len(elements) > 0 {
			var err error
			if line, err = subset(line, body, elements); err != nil {
				return fmt.Errorf("bulk: subset %s/%s: %w", t.plan.Type, r.ID, err)
			}
		} else {
			line = append(line, body...)
		}
		line = append(line, '\n')
		return write(r.RID, line)
	})
}

// scanDeleted writes one transaction Bundle per deleted resource, as the
// manifest's deleted files hold.
func (e *exporter) scanDeleted(ctx context.Context, t task, after int64, write func(int64, []byte) error) error {
	var line []byte
	return e.store.ScanDeleted(ctx, t.plan.Type, e.spec.Since, e.until, after, e.pageSize, func(d store.DeletedRow) error {
		line = append(line[:0], `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":`...)
		line = strconv.AppendQuote(line, t.plan.Type+"/"+d.ID)
		line = append(line, `}}]}`+"\n"...)
		return write(d.RID, line)
	})
}

// errorFile writes the warnings of a lenient request as OperationOutcomes,
// the manifest's error file.
func (e *exporter) errorFile(ctx context.Context) ([]store.BulkFile, error) {
	if len(e.spec.Warnings) == 0 {
		return nil, nil
	}
	key := e.prefix + "error-OperationOutcome-0.ndjson"
	w, err := e.files.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	var n int64
	for _, msg := range e.spec.Warnings {
		b := append(outcome.Marshal(outcome.Issue{Severity: "warning", Code: "not-supported", Diagnostics: "ignored: " + msg}), '\n')
		m, err := w.Write(b)
		if err != nil {
			w.Abort()
			return nil, err
		}
		n += int64(m)
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	return []store.BulkFile{{Section: store.BulkError, Type: "OperationOutcome", Key: key, Count: int64(len(e.spec.Warnings)), Bytes: n}}, nil
}
