package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// BenchmarkAuditFlushPostgres measures what writing the access log costs
// PostgreSQL: batches of 512 access events, the size the buffer flushes at,
// into a log that already holds auditBenchRows rows. Besides the time per
// event it reports the CPU time the database's own processes spent per
// event (db-µs/event, read from /proc for the backends of this store's
// pool, found by application_name), which the load of the other processes
// on the machine does not change. It needs EMP_TEST_POSTGRES and a
// PostgreSQL on this machine.
func BenchmarkAuditFlushPostgres(b *testing.B) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		b.Skip("needs " + storetest.EnvPostgres)
	}
	dsn := storetest.DSN(b, "postgres")
	u, _ := url.Parse(dsn)
	q := u.Query()
	app := fmt.Sprintf("emp-audit-bench-%d", time.Now().UnixNano())
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, u.String(), store.Options{Now: func() time.Time { return at }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	batch := func() {
		for range 512 {
			i++
			s.RecordAccess(ctx, store.AuditEvent{At: at.Add(time.Duration(i) * time.Second),
				RequestInfo: store.RequestInfo{RequestID: "req-" + strconv.Itoa(i), Actor: "user-" + strconv.Itoa(i%40), ClientID: "client-" + strconv.Itoa(i%6),
					Role: "clinician", Method: "GET", Path: "/fhir/r4/Observation/obs-" + strconv.Itoa(i)},
				Patient: "pat-" + strconv.Itoa(i*7919%2000), Action: "read", Type: "Observation", ResID: "obs-" + strconv.Itoa(i), Status: 200})
		}
		s.FlushAudit()
	}
	const auditBenchRows = 100000
	for i < auditBenchRows {
		batch()
	}
	mon, err := sql.Open("pgx", os.Getenv(storetest.EnvPostgres))
	if err != nil {
		b.Fatal(err)
	}
	defer mon.Close()
	cpu := func() time.Duration {
		rows, err := mon.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var pid int
			rows.Scan(&pid)
			total += procCPU(b, pid)
		}
		return total
	}
	before := cpu()
	start := i
	b.ResetTimer()
	for b.Loop() {
		batch()
	}
	b.StopTimer()
	events := float64(i - start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(float64((cpu()-before).Microseconds())/events, "db-µs/event")
}

// procCPU is the user and system CPU time of a process on this machine.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("the database must run on this machine: %v", err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks, USER_HZ = 100
}
