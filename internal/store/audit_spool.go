package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// DefaultAuditSpoolMax bounds the audit spool file when Options do not.
const DefaultAuditSpoolMax = 256 << 20

// auditSpool is a node's local, append-only file of audit events that could
// not be written to the database (an outage): one JSON line per event,
// fsynced before the append returns. While it holds events, every new access
// event is appended to it at once, before the request is answered, so an
// access acknowledged during an outage survives a kill -9; the buffer's
// loop replays the file in order when the database answers again, and the
// next start replays what a dead process left. Each event carries an id
// (audit_log.spool_id, unique), so a replay cut short and run again adds no
// row twice. The file is bounded; events past the bound are dropped,
// counted and logged.
type auditSpool struct {
	path string
	max  int64
	lock *os.File // the flock that keeps a second process off the file

	mu       sync.Mutex
	f        *os.File
	size     int64 // bytes of complete lines in the file
	replayed int64 // bytes already in the database
	events   atomic.Int64
	dropped  atomic.Int64
}

// spooled is one line of the spool.
type spooled struct {
	ID string `json:"id"`
	AuditEvent
}

// openAuditSpool opens (creating) the spool at path, taking its lock, and
// finds the events a previous process left. A torn last line (the process
// died in the middle of an append, which was therefore never acknowledged)
// is cut off.
func openAuditSpool(path string, max int64) (*auditSpool, error) {
	if max <= 0 {
		max = DefaultAuditSpoolMax
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: audit spool: %w", err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: audit spool: %w", err)
	}
	if err := tryLock(lock); err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: the audit spool %s is in use by another process; give each node its own (--audit-spool)", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: audit spool: %w", err)
	}
	sp := &auditSpool{path: path, max: max, lock: lock, f: f}
	var n, good int64
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // a partial line, if any, is dropped below
		}
		if err != nil {
			sp.close()
			return nil, fmt.Errorf("store: audit spool: %w", err)
		}
		good += int64(len(line))
		n++
	}
	if err := f.Truncate(good); err != nil {
		sp.close()
		return nil, fmt.Errorf("store: audit spool: %w", err)
	}
	sp.size = good
	sp.events.Store(n)
	return sp, nil
}

// active reports whether the spool holds events not yet in the database.
func (sp *auditSpool) active() bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.size > sp.replayed
}

// append writes evs at the end of the file and syncs it. Events past the
// bound are dropped; the count of them is returned.
func (sp *auditSpool) append(evs []spooled) (dropped int, err error) {
	var buf bytes.Buffer
	sp.mu.Lock()
	defer sp.mu.Unlock()
	kept := 0
	for _, ev := range evs {
		line, err := json.Marshal(ev)
		if err != nil {
			return 0, err
		}
		if sp.size+int64(buf.Len()+len(line)+1) > sp.max {
			dropped++
			continue
		}
		buf.Write(line)
		buf.WriteByte('\n')
		kept++
	}
	if buf.Len() > 0 {
		if _, err := sp.f.WriteAt(buf.Bytes(), sp.size); err != nil {
			return 0, err
		}
		if err := sp.f.Sync(); err != nil {
			return 0, err
		}
		sp.size += int64(buf.Len())
		sp.events.Add(int64(kept))
	}
	sp.dropped.Add(int64(dropped))
	return dropped, nil
}

// next reads up to n events from the first one not yet replayed and
// returns them with the offset after them.
func (sp *auditSpool) next(n int) ([]spooled, int64, error) {
	sp.mu.Lock()
	from, to := sp.replayed, sp.size
	sp.mu.Unlock()
	r := bufio.NewReader(io.NewSectionReader(sp.f, from, to-from))
	var out []spooled
	off := from
	for len(out) < n {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		off += int64(len(line))
		var ev spooled
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, 0, fmt.Errorf("store: audit spool line at %d: %w", off-int64(len(line)), err)
		}
		out = append(out, ev)
	}
	return out, off, nil
}

// done records that the events up to off are in the database; when that is
// all of them the file is emptied.
func (sp *auditSpool) done(off int64, n int) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.replayed = off
	sp.events.Add(-int64(n))
	if sp.replayed < sp.size {
		return nil
	}
	if err := sp.f.Truncate(0); err != nil {
		return err
	}
	sp.size, sp.replayed = 0, 0
	return sp.f.Sync()
}

func (sp *auditSpool) close() {
	sp.f.Close()
	sp.lock.Close() // closing the file releases its lock
}

// newSpoolID returns a random id for a spooled event.
func (s *Store) newSpoolID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// spoolEvents gives evs their ids and appends them to the spool.
func (b *auditBuffer) spoolEvents(evs []AuditEvent) {
	out := make([]spooled, 0, len(evs))
	for _, ev := range evs {
		id, err := b.s.newSpoolID()
		if err != nil {
			b.s.log.Error("store: audit spool id", "err", err)
			b.spool.dropped.Add(1)
			continue
		}
		out = append(out, spooled{ID: id, AuditEvent: ev})
	}
	dropped, err := b.spool.append(out)
	if err != nil {
		b.spool.dropped.Add(int64(len(out)))
		b.s.log.Error("store: audit spool write failed; events lost", "events", len(out), "err", err)
		return
	}
	if dropped > 0 {
		b.s.log.Error("store: audit spool full; events dropped", "events", dropped, "max_bytes", b.spool.max)
	}
}

// replay writes the spool to the database in order, a batch per
// transaction, until it is empty or a write fails (the database is still
// away: the next flush tries again).
func (b *auditBuffer) replay(ctx context.Context) error {
	for {
		evs, off, err := b.spool.next(256)
		if err != nil || len(evs) == 0 {
			return err
		}
		err = b.s.write(ctx, func(tx *sql.Tx) error {
			if err := b.s.auditFault(); err != nil {
				return err
			}
			for _, ev := range evs {
				args := append(auditArgs(ev.AuditEvent), ev.ID)
				if _, err := tx.ExecContext(ctx, b.s.d.rebind(insertSpooledAudit), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := b.spool.done(off, len(evs)); err != nil {
			return err
		}
	}
}

const insertSpooledAudit = `INSERT INTO audit_log (at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail, spool_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (spool_id, at) WHERE spool_id IS NOT NULL DO NOTHING`

// AuditSpooled is how many audit events wait in the local spool for the
// database, and how many were dropped because it was full (for /metrics).
func (s *Store) AuditSpooled() (waiting, dropped int64) {
	if s.audit == nil || s.audit.spool == nil {
		return 0, 0
	}
	return s.audit.spool.events.Load(), s.audit.spool.dropped.Load()
}

// auditFault is the test hook's error, if one is set.
func (s *Store) auditFault() error {
	if h := s.auditHook.Load(); h != nil {
		return (*h)()
	}
	return nil
}
