package bulk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/emedpractice/emp/internal/store"
)

// DefaultChunkBytes is the size of one stored chunk of a DBStore file: big
// enough that a chunk a query costs little next to the bytes it carries,
// small enough that a writer and each reader hold only a few.
const DefaultChunkBytes = 1 << 20

// DefaultChunksInFlight is how many full chunks of a file a DBStore writer
// stores at once while it fills the next: two keep both of the database's
// cores of a small server busy compressing and writing while the export
// scans on.
const DefaultChunksInFlight = 2

// DBStore keeps export files in the database, in chunks, so that any node
// serves what any node wrote and a cancel or the sweep on any node deletes
// it. Writes stream: each full chunk is stored as it fills, invisible until
// Commit, while the writer fills the next. Reads stream too: one chunk a
// query into one reused buffer.
type DBStore struct {
	Store *store.Store
	// Rand names uploads (a file being written); crypto/rand when nil.
	Rand io.Reader
	// ChunkBytes is the size of a chunk (DefaultChunkBytes when zero).
	ChunkBytes int
	// ChunksInFlight is how many full chunks a writer stores at once, each
	// a statement on a connection of its own, while it fills the next
	// (DefaultChunksInFlight when zero). A writer holds this many chunks
	// and one more.
	ChunksInFlight int
}

func (d DBStore) chunkBytes() int {
	if d.ChunkBytes > 0 {
		return d.ChunkBytes
	}
	return DefaultChunkBytes
}

// Create starts an upload under a fresh name, so a second writer of the
// same key (a worker that lost its lease without knowing it) never mixes
// its chunks with another's.
func (d DBStore) Create(ctx context.Context, key string) (FileWriter, error) {
	rnd := d.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [12]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, err
	}
	inFlight := d.ChunksInFlight
	if inFlight <= 0 {
		inFlight = DefaultChunksInFlight
	}
	size := d.chunkBytes()
	return &dbFileWriter{ctx: ctx, st: d.Store, key: key, upload: hex.EncodeToString(b[:]), size: size,
		buf: make([]byte, 0, size), made: 1, slots: make(chan struct{}, inFlight), spare: make(chan []byte, inFlight+1)}, nil
}

// dbFileWriter fills one chunk at a time and, when it is full, stores it in
// the background while it fills the next: the export's scan and the
// database's work on the chunk (a statement, its compression, its WAL)
// overlap. At most cap(slots) chunks are being stored at once; the writer
// then waits for one to finish before it hands over the next, so its memory
// is that many chunks and the one being filled, however large the file.
//
// The first failure to store a chunk is returned by the next Write that
// fills a chunk, or by Commit; once the job's context ends (a cancel, a
// lost lease, a stopping node) the chunks being stored fail with it and no
// other is begun. A failure does not cut short the other chunk being
// stored: a statement cancelled while it commits may still commit on the
// server after the client gave up on it, and so land after Abort removed
// the upload; waiting for it instead costs one chunk's statement at most.
type dbFileWriter struct {
	ctx    context.Context // the job's
	st     *store.Store
	key    string
	upload string
	size   int    // of a chunk
	buf    []byte // the chunk being filled; never grows past size
	chunks int64  // handed over to be stored so far
	bytes  int64
	done   bool

	slots   chan struct{} // one per chunk being stored
	spare   chan []byte   // chunks stored, to be filled again
	made    int           // chunk buffers allocated, at most cap(spare)
	storing sync.WaitGroup
	mu      sync.Mutex
	err     error // the first failure to store a chunk
}

func (w *dbFileWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("bulk: write to a finished file")
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), w.size-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == w.size {
			if err := w.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// flush hands the chunk being filled over to be stored, once fewer than
// cap(slots) are, and takes a free buffer for the next.
func (w *dbFileWriter) flush() error {
	if len(w.buf) == 0 {
		return w.failure()
	}
	w.slots <- struct{}{}
	// Checked once a slot is free: a failure of the chunk whose slot this
	// is has been recorded by now, and after a cancel nothing new starts.
	err := w.failure()
	if err == nil {
		err = w.ctx.Err()
	}
	if err != nil {
		<-w.slots
		return err
	}
	buf, seq := w.buf, w.chunks
	w.chunks++
	w.bytes += int64(len(buf))
	w.storing.Add(1)
	go func() {
		defer w.storing.Done()
		if err := w.st.PutBulkChunk(w.ctx, w.upload, w.key, seq, buf); err != nil {
			w.fail(err)
		}
		w.spare <- buf[:0]
		<-w.slots
	}()
	select {
	case w.buf = <-w.spare:
	default:
		if w.made < cap(w.spare) {
			w.buf = make([]byte, 0, w.size)
			w.made++
		} else {
			w.buf = <-w.spare
		}
	}
	return nil
}

func (w *dbFileWriter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *dbFileWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// WaitStored waits until every full chunk written so far is stored and
// returns the first failure to store one. Commit and Abort wait too; this
// is for a caller (a test) that counts what is stored while a file is
// being written.
func (w *dbFileWriter) WaitStored() error {
	w.storing.Wait()
	return w.failure()
}

// Commit stores the last chunk, waits for those being stored, and makes
// the file visible under its key.
func (w *dbFileWriter) Commit() error {
	if w.done {
		return errors.New("bulk: file committed or aborted already")
	}
	w.done = true
	err := w.flush()
	if werr := w.WaitStored(); err == nil {
		err = werr
	}
	if err == nil {
		err = w.st.CommitBulkBlob(w.ctx, w.key, store.BulkBlob{Upload: w.upload, Bytes: w.bytes, ChunkBytes: int64(w.size)}, w.chunks)
	}
	if err != nil {
		w.st.AbortBulkUpload(context.WithoutCancel(w.ctx), w.upload)
	}
	return err
}

// Abort waits for the chunks being stored and removes what was stored. It
// runs when the job's context has ended too (a lost lease, a stopping
// node), so it does not use that context.
func (w *dbFileWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.storing.Wait()
	return w.st.AbortBulkUpload(context.WithoutCancel(w.ctx), w.upload)
}

// Open reads a committed file.
func (d DBStore) Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error) {
	b, err := d.Store.BulkBlobOf(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	if b.ChunkBytes <= 0 {
		return nil, 0, fmt.Errorf("bulk: file %s: chunk size %d", key, b.ChunkBytes)
	}
	return &dbFileReader{ctx: ctx, st: d.Store, blob: b, seq: -1}, b.Bytes, nil
}

// dbFileReader reads a file a chunk at a time into one buffer.
type dbFileReader struct {
	ctx  context.Context
	st   *store.Store
	blob store.BulkBlob
	off  int64  // the next byte to read
	buf  []byte // chunk seq, when seq >= 0
	seq  int64
}

func (r *dbFileReader) Read(p []byte) (int, error) {
	if r.off >= r.blob.Bytes {
		return 0, io.EOF
	}
	seq := r.off / r.blob.ChunkBytes
	if seq != r.seq {
		want := min(r.blob.ChunkBytes, r.blob.Bytes-seq*r.blob.ChunkBytes)
		if r.buf == nil {
			r.buf = make([]byte, 0, r.blob.ChunkBytes)
		}
		buf, err := r.st.ReadBulkChunk(r.ctx, r.blob.Upload, seq, r.buf)
		if err != nil {
			r.seq = -1
			return 0, err
		}
		if int64(len(buf)) != want {
			r.seq = -1
			return 0, fmt.Errorf("bulk: chunk %d of upload %s holds %d bytes, want %d", seq, r.blob.Upload, len(buf), want)
		}
		r.buf, r.seq = buf, seq
	}
	n := copy(p, r.buf[r.off-seq*r.blob.ChunkBytes:])
	r.off += int64(n)
	return n, nil
}

// Seek moves the read position; the chunk under it is fetched by the next
// Read.
func (r *dbFileReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.blob.Bytes
	default:
		return 0, errors.New("bulk: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("bulk: seek before the start")
	}
	r.off = offset
	return offset, nil
}

func (r *dbFileReader) Close() error {
	r.buf = nil
	return nil
}

// Delete removes one file.
func (d DBStore) Delete(ctx context.Context, key string) error {
	return d.Store.DeleteBulkBlob(ctx, key)
}

// DeletePrefix removes a job's files, and what a worker that died while
// writing one left.
func (d DBStore) DeletePrefix(ctx context.Context, prefix string) error {
	return d.Store.DeleteBulkBlobs(ctx, prefix)
}

// DeleteOrphans removes what is stored under jobs that no longer exist (a
// node that stalled writing a file of a job that was then swept, and died)
// and returns how many uploads it removed.
func (d DBStore) DeleteOrphans(ctx context.Context) (int64, error) {
	return d.Store.DeleteOrphanBulkUploads(ctx)
}
