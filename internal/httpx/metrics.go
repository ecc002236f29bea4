package httpx

import (
	"bufio"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Metrics is a small Prometheus exposition: the HTTP metrics of Middleware,
// the Go runtime basics and the gauges the server reads at scrape time. It writes the text exposition format 0.0.4
// itself; the client library would bring a dependency tree for what is a
// few atomic counters and a printf loop.
//
// Recording is lock-free (atomics, and a sync.Map lookup per request for
// the route).
type Metrics struct {
	inFlight atomic.Int64
	routes   sync.Map // route pattern → *routeStats
	gauges   []Gauge  // fixed at construction
}

// Gauge is a value read when the metrics are scraped (events waiting in
// the audit spool).
type Gauge struct {
	Name, Help string
	Read       func() float64
}

// NewMetrics returns metrics with the HTTP and runtime ones and gauges.
func NewMetrics(gauges ...Gauge) *Metrics { return &Metrics{gauges: gauges} }

// Handler serves the metrics in the Prometheus text format. Mount it where
// only operators reach it, or behind the same network policy as /readyz:
// route names and counts are not secret, but they are nobody else's
// business either.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		bw := bufio.NewWriter(w)
		m.write(bw)
		bw.Flush()
	})
}

// write writes every metric in the text exposition format.
func (m *Metrics) write(w *bufio.Writer) {
	m.writeHTTP(w)
	writeRuntime(w)
	for _, g := range m.gauges {
		writeHeader(w, g.Name, g.Help, "gauge")
		w.WriteString(g.Name)
		w.WriteByte(' ')
		w.WriteString(formatFloat(g.Read()))
		w.WriteByte('\n')
	}
}

func writeHeader(w *bufio.Writer, name, help, typ string) {
	w.WriteString("# HELP ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(escapeHelp(help))
	w.WriteString("\n# TYPE ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(typ)
	w.WriteByte('\n')
}

// escapeHelp escapes a HELP text: backslash and line feed.
func escapeHelp(s string) string {
	if !strings.ContainsAny(s, "\\\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// escapeLabel escapes a label value: backslash, double quote and line feed.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, +1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
