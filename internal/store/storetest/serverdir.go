package storetest

import (
	"os"
	"os/user"
	"strconv"
	"testing"
)

// serverDir makes a temporary directory for a PostgreSQL or PgBouncer
// process of a test, removed when the test ends, and says which user the
// process must run as. Neither runs as root: a root test runs it as the
// installation's postgres user (runAs), who then owns the directory; it is
// skipped, naming what, when there is no such user.
func serverDir(t testing.TB, prefix, what string) (dir, runAs string) {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() != 0 {
		return dir, ""
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("storetest: running as root and there is no postgres user to run %s as", what)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o700)
	return dir, "postgres"
}
