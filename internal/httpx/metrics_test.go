package httpx

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// chain builds the middleware stack in the order the server uses.
func chain(m *Metrics, mux http.Handler) http.Handler {
	h := SecurityHeaders(mux)
	h = m.Middleware(h)
	h = AccessLog(nil)(h)
	h = Recover(nil, nil)(h)
	return RequestID(nil)(h)
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type %q", ct)
	}
	checkExposition(t, w.Body.String())
	return w.Body.String()
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (\S+)$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$`)
)

// checkExposition checks the text format 0.0.4 line by line: every sample
// is well formed, has a float value, and belongs to the family whose TYPE
// line came last; no family is declared twice.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("exposition does not end with a line feed")
	}
	declared := map[string]bool{}
	family, typ := "", ""
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
		case strings.HasPrefix(line, "# TYPE "):
			m := typeLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("line %d: bad TYPE line %q", i+1, line)
			}
			if declared[m[1]] {
				t.Fatalf("line %d: family %s declared twice", i+1, m[1])
			}
			declared[m[1]] = true
			family, typ = m[1], m[2]
		default:
			m := sampleLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("line %d: bad sample %q", i+1, line)
			}
			name := m[1]
			if typ == "histogram" {
				name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			}
			if name != family {
				t.Fatalf("line %d: sample %s outside its family (last TYPE %s)", i+1, m[1], family)
			}
			if _, err := strconv.ParseFloat(m[3], 64); err != nil && m[3] != "+Inf" {
				t.Fatalf("line %d: value %q", i+1, m[3])
			}
		}
	}
}

func TestMetricsMiddleware(t *testing.T) {
	m := NewMetrics()
	api := http.NewServeMux()
	api.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("item")) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("a")) })
	mux.HandleFunc("POST /a", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("/any", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.Handle("/api/", api)
	h := chain(m, mux)

	requests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/a", 200}, {"GET", "/a", 200}, {"GET", "/a", 200},
		{"POST", "/a", 201},
		{"DELETE", "/a", 405},
		{"GET", "/nowhere", 404},
		{"GET", "/boom", 500},
		{"BREW", "/any", 200},
		{"GET", "/api/items/7", 200},
	}
	for _, rq := range requests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(rq.method, rq.path, nil))
		if w.Code != rq.want {
			t.Fatalf("%s %s: %d, want %d", rq.method, rq.path, w.Code, rq.want)
		}
	}

	text := scrape(t, m)
	for _, want := range []string{
		`emp_http_requests_total{method="GET",route="GET /a",code="2xx"} 3`,
		`emp_http_requests_total{method="POST",route="POST /a",code="2xx"} 1`,
		`emp_http_requests_total{method="DELETE",route="unmatched",code="4xx"} 1`,
		`emp_http_requests_total{method="GET",route="unmatched",code="4xx"} 1`,
		`emp_http_requests_total{method="GET",route="GET /boom",code="5xx"} 1`,
		`emp_http_requests_total{method="OTHER",route="/any",code="2xx"} 1`,
		`emp_http_requests_total{method="GET",route="GET /api/items/{id}",code="2xx"} 1`,
		`emp_http_request_duration_seconds_bucket{route="GET /a",le="+Inf"} 3`,
		`emp_http_request_duration_seconds_count{route="GET /a"} 3`,
		`emp_http_request_duration_seconds_count{route="unmatched"} 2`,
		"emp_http_requests_in_flight 0",
		"# TYPE go_goroutines gauge",
		"# TYPE go_memstats_heap_alloc_bytes gauge",
		"# TYPE go_gc_cycles_total counter",
		`go_info{version="go`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "BREW") || strings.Contains(text, "/nowhere") {
		t.Error("client-chosen method or path became a label value")
	}
	checkCumulative(t, text, `emp_http_request_duration_seconds_bucket{route="GET /a",`)
}

// checkCumulative checks that the buckets of one series never decrease and
// end at +Inf.
func checkCumulative(t *testing.T, text, prefix string) {
	t.Helper()
	var last float64
	var les []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if v < last {
			t.Fatalf("buckets decrease at %q", line)
		}
		last = v
		les = append(les, line[strings.Index(line, `le="`)+4:strings.LastIndexByte(line, '"')])
	}
	if len(les) != len(latencyBounds)+1 || les[0] != "0.0005" || les[len(les)-1] != "+Inf" {
		t.Fatalf("bucket bounds %v", les)
	}
}

func TestMetricsInFlight(t *testing.T) {
	m := NewMetrics()
	entered, release := make(chan struct{}), make(chan struct{})
	h := m.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(entered)
		<-release
	}))
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		close(done)
	}()
	<-entered
	if text := scrape(t, m); !strings.Contains(text, "emp_http_requests_in_flight 1\n") {
		t.Errorf("in-flight gauge while a request runs:\n%s", text)
	}
	close(release)
	<-done
	if text := scrape(t, m); !strings.Contains(text, "emp_http_requests_in_flight 0\n") {
		t.Errorf("in-flight gauge after the request")
	}
}

func TestEscapes(t *testing.T) {
	tests := []struct{ in, label, help string }{
		{`plain`, `plain`, `plain`},
		{`a"b`, `a\"b`, `a"b`},
		{`a\b`, `a\\b`, `a\\b`},
		{"a\nb", `a\nb`, `a\nb`},
	}
	for _, tt := range tests {
		if got := escapeLabel(tt.in); got != tt.label {
			t.Errorf("escapeLabel(%q) = %q, want %q", tt.in, got, tt.label)
		}
		if got := escapeHelp(tt.in); got != tt.help {
			t.Errorf("escapeHelp(%q) = %q, want %q", tt.in, got, tt.help)
		}
	}
}

func TestClassIndex(t *testing.T) {
	for status, want := range map[int]string{100: "1xx", 204: "2xx", 304: "3xx", 499: "4xx", 503: "5xx", 999: "other", 42: "other"} {
		if got := classNames[classIndex(status)]; got != want {
			t.Errorf("class(%d) = %s, want %s", status, got, want)
		}
	}
}

// BenchmarkMetricsMiddleware measures what the middleware adds to a
// request: the recorder, two clock reads and the atomic adds.
func BenchmarkMetricsMiddleware(b *testing.B) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/r4/{type}/{id}", func(http.ResponseWriter, *http.Request) {})
	h := m.Middleware(mux)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/fhir/r4/Patient/1", nil)
		var w discardWriter
		for pb.Next() {
			h.ServeHTTP(&w, r)
		}
	})
}

// BenchmarkMux is the baseline for BenchmarkMetricsMiddleware.
func BenchmarkMux(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/r4/{type}/{id}", func(http.ResponseWriter, *http.Request) {})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/fhir/r4/Patient/1", nil)
		var w discardWriter
		for pb.Next() {
			mux.ServeHTTP(&w, r)
		}
	})
}

func BenchmarkScrape(b *testing.B) {
	m := NewMetrics()
	for i := range 30 {
		m.route("GET /r"+strconv.Itoa(i)).observe(0, 2, 1000)
	}
	bw := bufio.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		m.write(bw)
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
