package httpx

import (
	"bufio"
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Names of the HTTP metrics.
const (
	metricRequests = "emp_http_requests_total"
	metricDuration = "emp_http_request_duration_seconds"
	metricInFlight = "emp_http_requests_in_flight"
)

// latencyBounds are the histogram's upper bucket bounds, from a cached read
// (0.5 ms) to a slow bulk page (5 s); slower requests land in +Inf.
var latencyBounds = [...]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond,
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// Method labels. Any other method counts as OTHER: a client choosing
// arbitrary methods must not be able to create label series at will.
var methodNames = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}

func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodOptions:
		return 6
	}
	return 7
}

// Status class labels; index 0 holds anything outside 100-599.
var classNames = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func classIndex(status int) int {
	if status < 100 || status > 599 {
		return 0
	}
	return status / 100
}

// unmatchedRoute labels requests no route matched (404, 405 and redirects
// from the mux), so unknown paths cannot create series either.
const unmatchedRoute = "unmatched"

// routeStats holds every series of one route: fixed arrays of atomics, so
// recording a request is a handful of atomic adds.
type routeStats struct {
	counts   [len(methodNames)][len(classNames)]atomic.Uint64
	buckets  [len(latencyBounds) + 1]atomic.Uint64 // not cumulative; last is +Inf
	sumNanos atomic.Uint64
}

func (s *routeStats) observe(method, status int, d time.Duration) {
	s.counts[method][status].Add(1)
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	s.buckets[i].Add(1)
	if d > 0 {
		s.sumNanos.Add(uint64(d))
	}
}

func (m *Metrics) route(pattern string) *routeStats {
	if pattern == "" {
		pattern = unmatchedRoute
	}
	if v, ok := m.routes.Load(pattern); ok {
		return v.(*routeStats)
	}
	v, _ := m.routes.LoadOrStore(pattern, new(routeStats))
	return v.(*routeStats)
}

// Middleware counts requests by method, route and status class, times them
// by route, and tracks how many are in flight.
//
// The route is r.Pattern as the mux left it: ServeMux stores the matched
// pattern in the very *http.Request it was handed (a nested mux overwrites
// it with its own, more precise, pattern), so reading it after next returns
// sees the route as long as nothing in between replaced the request.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record(w)
		m.inFlight.Add(1)
		start := time.Now()
		returned := false
		defer func() {
			d := time.Since(start)
			m.inFlight.Add(-1)
			status := rec.status
			if !returned && !rec.wrote {
				status = http.StatusInternalServerError // what Recover will answer
			}
			m.route(r.Pattern).observe(methodIndex(r.Method), classIndex(status), d)
		}()
		next.ServeHTTP(rec, r)
		returned = true
	})
}

func (m *Metrics) writeHTTP(w *bufio.Writer) {
	type named struct {
		route string
		s     *routeStats
	}
	var routes []named
	m.routes.Range(func(k, v any) bool {
		routes = append(routes, named{k.(string), v.(*routeStats)})
		return true
	})
	slices.SortFunc(routes, func(a, b named) int { return cmp.Compare(a.route, b.route) })

	writeHeader(w, metricRequests, "HTTP requests answered, by method, route pattern and status class.", "counter")
	for _, rt := range routes {
		route := escapeLabel(rt.route)
		for mi := range rt.s.counts {
			for ci := range rt.s.counts[mi] {
				n := rt.s.counts[mi][ci].Load()
				if n == 0 {
					continue
				}
				w.WriteString(metricRequests + `{method="` + methodNames[mi] + `",route="` + route + `",code="` + classNames[ci] + `"} `)
				w.WriteString(strconv.FormatUint(n, 10))
				w.WriteByte('\n')
			}
		}
	}

	writeHeader(w, metricDuration, "Time to answer HTTP requests, by route pattern.", "histogram")
	for _, rt := range routes {
		route := escapeLabel(rt.route)
		// _count is the sum of the buckets read here, not a separate
		// counter, so +Inf and _count always agree within one scrape.
		var cum uint64
		for i := range rt.s.buckets {
			cum += rt.s.buckets[i].Load()
			le := "+Inf"
			if i < len(latencyBounds) {
				le = formatFloat(latencyBounds[i].Seconds())
			}
			w.WriteString(metricDuration + `_bucket{route="` + route + `",le="` + le + `"} `)
			w.WriteString(strconv.FormatUint(cum, 10))
			w.WriteByte('\n')
		}
		w.WriteString(metricDuration + `_sum{route="` + route + `"} `)
		w.WriteString(formatFloat(time.Duration(rt.s.sumNanos.Load()).Seconds()))
		w.WriteString("\n" + metricDuration + `_count{route="` + route + `"} `)
		w.WriteString(strconv.FormatUint(cum, 10))
		w.WriteByte('\n')
	}

	writeHeader(w, metricInFlight, "HTTP requests being served.", "gauge")
	w.WriteString(metricInFlight + " " + strconv.FormatInt(m.inFlight.Load(), 10) + "\n")
}
