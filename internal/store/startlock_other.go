//go:build !unix

package store

import (
	"context"
	"os"
)

// lockFile has no cross-process lock to take on this system: a SQLite
// database there is served by one process, which is all the server
// supports on SQLite anyway.
func lockFile(ctx context.Context, path string) (func(), error) {
	return func() {}, ctx.Err()
}

// tryLock cannot lock a file on this system; see lockFile.
func tryLock(f *os.File) error { return nil }
