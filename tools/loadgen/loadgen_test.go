package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers /ok with "hello" and /fail with 503, and counts
// what it served per path.
type countingServer struct {
	*httptest.Server
	mu     sync.Mutex
	served map[string]int64
}

func newCountingServer(t *testing.T, check func(r *http.Request, body []byte) bool) *countingServer {
	s := &countingServer{served: map[string]int64{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := r.URL.Path
		if check != nil && !check(r, body) {
			key = "mismatch"
		}
		s.mu.Lock()
		s.served[key]++
		s.mu.Unlock()
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("hello"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) count(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[path]
}

func runJSON(t *testing.T, args ...string) *report {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(t.Context(), append([]string{"-json"}, args...), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("JSON report %q: %v", out.String(), err)
	}
	return &rep
}

func TestRunCounts(t *testing.T) {
	srv := newCountingServer(t, nil)
	start := time.Now()
	rep := runJSON(t, "-c", "4", "-d", "200ms", srv.URL+"/ok", srv.URL+"/fail")
	took := time.Since(start)

	ok, fail := rep.Status["200"], rep.Status["503"]
	if rep.Requests == 0 || ok+fail != rep.Requests || len(rep.Transport) != 0 {
		t.Fatalf("requests %d, status %v, transport %v", rep.Requests, rep.Status, rep.Transport)
	}
	// Every request the server answered was counted, and no more.
	if srv.count("/ok") != ok || srv.count("/fail") != fail {
		t.Fatalf("server served %v, report says %v", srv.served, rep.Status)
	}
	// Round-robin: the two URLs take turns, give or take the requests in
	// flight when the run ended.
	if d := ok - fail; d < -4 || d > 4 {
		t.Errorf("round-robin uneven: %d vs %d", ok, fail)
	}
	if rep.Errors != fail || rep.Bytes != 5*ok {
		t.Errorf("errors %d bytes %d, want %d and %d", rep.Errors, rep.Bytes, fail, 5*ok)
	}
	if rep.Seconds < 0.2 || took > 5*time.Second {
		t.Errorf("measured %.3fs in a run of %s", rep.Seconds, took)
	}
	l := rep.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) || rep.RPS <= 0 {
		t.Errorf("latency %+v rps %f", l, rep.RPS)
	}
}

func TestRunCapAndBody(t *testing.T) {
	body := []byte(`{"resourceType":"Patient"}`)
	srv := newCountingServer(t, func(r *http.Request, got []byte) bool {
		return r.Method == "POST" && r.Header.Get("Authorization") == "Bearer t0k" &&
			r.Header.Get("Content-Type") == "application/fhir+json" && r.Host == "ehr.test" && bytes.Equal(got, body)
	})
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "patient.json")
	urlsFile := filepath.Join(dir, "urls.txt")
	os.WriteFile(bodyFile, body, 0o600)
	os.WriteFile(urlsFile, []byte("# targets\n"+srv.URL+"/ok\n\n"+srv.URL+"/fail\n"), 0o600)

	rep := runJSON(t, "-c", "3", "-d", "10s", "-n", "25", "-body", bodyFile,
		"-content-type", "application/fhir+json", "-H", "Authorization: Bearer t0k", "-H", "Host: ehr.test",
		"-urls", urlsFile)
	if rep.Requests != 25 || srv.count("/ok")+srv.count("/fail") != 25 || srv.count("mismatch") != 0 {
		t.Fatalf("report %d requests; server %v", rep.Requests, srv.served)
	}
	if rep.Status["200"] != 13 || rep.Status["503"] != 12 {
		t.Errorf("status %v, want 13 and 12 in turn", rep.Status)
	}
}

func TestRunWarmupNotCounted(t *testing.T) {
	srv := newCountingServer(t, nil)
	var errOut bytes.Buffer
	cfg, err := parseArgs([]string{"-c", "2", "-warmup", "100ms", "-d", "100ms", srv.URL + "/ok"}, &errOut)
	if err != nil {
		t.Fatal(err, errOut.String())
	}
	// Each reading of the clock moves it 1 ms: the warm-up and the
	// measured phase each span about a hundred readings, two a request,
	// whatever the machine's load.
	var ticks atomic.Int64
	start := time.Now()
	cfg.now = func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	rep, err := newRunner(cfg).run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if served := srv.count("/ok"); rep.Requests == 0 || served <= rep.Requests {
		t.Fatalf("server answered %d, report counts %d: warm-up requests should be left out", served, rep.Requests)
	}
}

func TestRunFixedRate(t *testing.T) {
	srv := newCountingServer(t, nil)
	rep := runJSON(t, "-c", "4", "-rate", "100", "-d", "300ms", srv.URL+"/ok")
	// 100/s for 0.3 s schedules 30 requests; a closed loop would send
	// thousands.
	if rep.Requests == 0 || rep.Requests > 30 || srv.count("/ok") != rep.Requests {
		t.Fatalf("fixed rate sent %d (server %d), want 1..30", rep.Requests, srv.count("/ok"))
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, target := range []string{
		"http://example.com/",
		"http://10.0.0.1:8300/fhir/r4/Patient",
		"http://0.0.0.0:8300/",
		"http://[::]:8300/",
		"https://192.168.1.1/",
		"http://localhost.example.com/",
		"ftp://127.0.0.1/",
	} {
		var out, errOut bytes.Buffer
		start := time.Now()
		code := run(context.Background(), []string{"-d", "10s", "http://127.0.0.1:1/", target}, &out, &errOut)
		if code != 2 || out.Len() != 0 || time.Since(start) > time.Second {
			t.Errorf("%s: exit %d after %s, output %q", target, code, time.Since(start), out.String())
		}
		if !strings.Contains(errOut.String(), target) {
			t.Errorf("%s: message %q does not name the target", target, errOut.String())
		}
	}
}

func TestLoopbackOnlyDialControl(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:80", true},
		{"127.2.3.4:80", true},
		{"[::1]:443", true},
		{"10.0.0.1:80", false},
		{"[2001:db8::1]:80", false},
		{"0.0.0.0:80", false},
	}
	for _, tt := range tests {
		if err := loopbackOnly("tcp", tt.addr, nil); (err == nil) != tt.ok {
			t.Errorf("loopbackOnly(%s) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-c", "0", "http://127.0.0.1/"},
		{"-d", "0s", "http://127.0.0.1/"},
		{"-rate", "-1", "http://127.0.0.1/"},
		{"-H", "NoColon", "http://127.0.0.1/"},
		{"-urls", "/nonexistent/urls.txt"},
	} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	// 1 µs .. 100 ms, evenly: quantile q should be q×100 ms.
	const n = 100000
	for i := 1; i <= n; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		want := float64(q * n * float64(time.Microsecond))
		got := float64(h.quantile(q))
		if math.Abs(got-want)/want > 1.0/128 {
			t.Errorf("quantile(%g) = %s, want %s within 0.8%%", q, time.Duration(got), time.Duration(want))
		}
	}
	if h.max != 100*time.Millisecond || h.mean() != (n+1)*time.Microsecond/2 {
		t.Errorf("max %s mean %s", h.max, h.mean())
	}
}

// Every value lands in a bucket whose top is at least the value and within
// 1/128 of it, and buckets are in order.
func TestBuckets(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 383, 384, 1000, 1 << 20, 1<<40 + 12345, math.MaxInt64, math.MaxUint64} {
		b := bucketOf(v)
		if b < prev || b >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d", v, b, prev)
		}
		prev = b
		top := bucketTop(b)
		if top < v || float64(top-v) > float64(v)/128 {
			t.Errorf("value %d in bucket %d with top %d", v, b, top)
		}
	}
}
