package server_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// The read cache's counters are on /metrics on both databases (all zero on
// SQLite, which has no cache).
func TestReadCacheMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		rec := httptest.NewRecorder()
		ts.app.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		for _, name := range []string{"hits", "misses", "fills", "invalidations", "flushes", "bytes", "answering"} {
			line := "\nemp_read_cache_" + name + " "
			i := strings.Index(body, line)
			if i < 0 {
				t.Errorf("/metrics has no emp_read_cache_%s:\n%s", name, body)
				continue
			}
			if value, _, _ := strings.Cut(body[i+len(line):], "\n"); dialect == "sqlite" && value != "0" {
				t.Errorf("SQLite: emp_read_cache_%s is %s, want 0", name, value)
			}
		}
	})
}
