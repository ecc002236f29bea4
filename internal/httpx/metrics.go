package httpx

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Metrics is a small Prometheus registry: the HTTP metrics of Middleware,
// the Go runtime basics, and the counters and gauges other packages
// register (bulk jobs, token issuance). It writes the text exposition format
// 0.0.4 itself; the client library would bring a dependency tree for what
// is a few atomic counters and a printf loop.
//
// Recording is lock-free (atomics, and a sync.Map lookup per request for
// the route); only registration and scraping take locks.
type Metrics struct {
	inFlight atomic.Int64
	routes   sync.Map // route pattern → *routeStats

	mu    sync.Mutex
	names map[string]bool // every metric name, built-in ones included
	extra []collector     // registered by other packages, in order
}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics {
	m := &Metrics{names: map[string]bool{}}
	for _, n := range builtinNames {
		m.names[n] = true
	}
	return m
}

// collector is a registered metric that can write itself.
type collector interface {
	write(w *bufio.Writer)
}

// Counter is a monotonically increasing count.
type Counter struct {
	name, help string
	v          atomic.Uint64
}

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

func (c *Counter) write(w *bufio.Writer) {
	writeHeader(w, c.name, c.help, "counter")
	fmt.Fprintf(w, "%s %d\n", c.name, c.v.Load())
}

// Gauge is a value that goes up and down (jobs running, tokens live).
type Gauge struct {
	name, help string
	v          atomic.Int64
}

// Set sets the value.
func (g *Gauge) Set(v int64) { g.v.Store(v) }

// Add adds d, which may be negative.
func (g *Gauge) Add(d int64) { g.v.Add(d) }

// Value returns the current value.
func (g *Gauge) Value() int64 { return g.v.Load() }

func (g *Gauge) write(w *bufio.Writer) {
	writeHeader(w, g.name, g.help, "gauge")
	fmt.Fprintf(w, "%s %d\n", g.name, g.v.Load())
}

// gaugeFunc is a gauge read at scrape time.
type gaugeFunc struct {
	name, help string
	fn         func() float64
}

func (g *gaugeFunc) write(w *bufio.Writer) {
	writeHeader(w, g.name, g.help, "gauge")
	fmt.Fprintf(w, "%s %s\n", g.name, formatFloat(g.fn()))
}

// NewCounter registers and returns a counter. Like expvar.Publish, it
// panics on an invalid or already used name: both are programming errors
// found the first time the server starts.
func (m *Metrics) NewCounter(name, help string) *Counter {
	c := &Counter{name: name, help: help}
	m.register(name, c)
	return c
}

// NewGauge registers and returns a gauge; it panics as NewCounter does.
func (m *Metrics) NewGauge(name, help string) *Gauge {
	g := &Gauge{name: name, help: help}
	m.register(name, g)
	return g
}

// NewGaugeFunc registers a gauge whose value fn computes at each scrape
// (a queue length, a pool's open connections). fn must be cheap and safe
// for concurrent use. It panics as NewCounter does.
func (m *Metrics) NewGaugeFunc(name, help string, fn func() float64) {
	m.register(name, &gaugeFunc{name: name, help: help, fn: fn})
}

func (m *Metrics) register(name string, c collector) {
	if !validMetricName(name) {
		panic(fmt.Sprintf("httpx: invalid metric name %q", name))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		panic(fmt.Sprintf("httpx: metric %q registered twice", name))
	}
	m.names[name] = true
	m.extra = append(m.extra, c)
}

// validMetricName checks the Prometheus name syntax [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

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
	m.mu.Lock()
	extra := slices.Clone(m.extra)
	m.mu.Unlock()
	for _, c := range extra {
		c.write(w)
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
