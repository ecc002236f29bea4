package bulk

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// FileStore keeps the export files. It is deliberately small so that an
// object store (S3 and compatible) can stand in for the directory. Keys are
// slash-separated relative names chosen by this package: "<job>/<file>".
type FileStore interface {
	// Create starts a new file. Nothing is visible under key until Commit;
	// a file committed twice under the same key is replaced whole.
	Create(ctx context.Context, key string) (FileWriter, error)
	// Open reads a committed file, with its size; NotFound when there is
	// none. The file seeks, so a download can answer a Range request
	// without reading what comes before it.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error)
	// Delete removes one file; a missing file is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every file whose key starts with prefix + "/".
	DeletePrefix(ctx context.Context, prefix string) error
}

// FileWriter is a file being written.
type FileWriter interface {
	io.Writer
	// Commit makes the file durable and visible under its key.
	Commit() error
	// Abort discards the file.
	Abort() error
}

// DirStore keeps files in a directory, one folder per job. On PostgreSQL
// every node must see the same directory (a shared file system the operator
// declares as such); otherwise DBStore keeps the files in the database.
type DirStore struct{ Dir string }

func (d DirStore) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") || strings.Contains(key, `\`) {
		return "", errs.E(errs.NotFound, "no such file")
	}
	return filepath.Join(d.Dir, filepath.FromSlash(key)), nil
}

// Create writes to a temporary file next to the final one, renamed into
// place by Commit, so a reader never sees half a file.
func (d DirStore) Create(ctx context.Context, key string) (FileWriter, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".part-*")
	if err != nil {
		return nil, err
	}
	return &dirFile{f: f, w: bufio.NewWriterSize(f, 256<<10), final: p}, nil
}

type dirFile struct {
	f     *os.File
	w     *bufio.Writer
	final string
}

func (d *dirFile) Write(b []byte) (int, error) { return d.w.Write(b) }

func (d *dirFile) Commit() error {
	err := d.w.Flush()
	if err == nil {
		err = d.f.Sync()
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(d.f.Name(), d.final)
	}
	if err != nil {
		os.Remove(d.f.Name())
	}
	return err
}

func (d *dirFile) Abort() error {
	d.f.Close()
	return os.Remove(d.f.Name())
}

// Open opens a committed file.
func (d DirStore) Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, errs.E(errs.NotFound, "the file is gone")
	}
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// Delete removes one file.
func (d DirStore) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// DeletePrefix removes a job's folder.
func (d DirStore) DeletePrefix(ctx context.Context, prefix string) error {
	p, err := d.path(prefix)
	if err != nil {
		return err
	}
	return os.RemoveAll(p)
}
