package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is the outcome of a run; -json prints it as is.
type report struct {
	URLs        int     `json:"urls"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate,omitempty"`
	Seconds     float64 `json:"duration_seconds"`

	Requests  int64            `json:"requests"`
	Errors    int64            `json:"errors"` // 4xx, 5xx and transport errors
	Status    map[string]int64 `json:"status"`
	Transport map[string]int64 `json:"transport_errors,omitempty"`
	RPS       float64          `json:"requests_per_second"`

	Latency latencies `json:"latency_ms"`

	Bytes       int64   `json:"bytes"`
	BytesPerSec float64 `json:"bytes_per_second"`
}

type latencies struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func newReport(cfg *config, elapsed time.Duration, tallies []*tally) *report {
	var all histogram
	rep := &report{
		URLs: len(cfg.urls), Concurrency: cfg.concurrency, Rate: cfg.rate,
		Seconds: elapsed.Seconds(), Status: map[string]int64{}, Transport: map[string]int64{},
	}
	for _, t := range tallies {
		all.merge(&t.hist)
		rep.Bytes += t.bytes
		for code, n := range t.status {
			rep.Status[strconv.Itoa(code)] += n
			if code >= 400 {
				rep.Errors += n
			}
		}
		for k, n := range t.transport {
			rep.Transport[k] += n
			rep.Errors += n
		}
	}
	rep.Requests = int64(all.n)
	if s := elapsed.Seconds(); s > 0 {
		rep.RPS = float64(rep.Requests) / s
		rep.BytesPerSec = float64(rep.Bytes) / s
	}
	rep.Latency = latencies{
		P50: ms(all.quantile(0.50)), P90: ms(all.quantile(0.90)), P99: ms(all.quantile(0.99)),
		Max: ms(all.max), Mean: ms(all.mean()),
	}
	return rep
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (rep *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func (rep *report) writeText(w io.Writer) error {
	var b strings.Builder
	mode := "closed loop"
	if rep.Rate > 0 {
		mode = fmt.Sprintf("fixed rate %g req/s", rep.Rate)
	}
	fmt.Fprintf(&b, "targets    %d URL(s), %d workers, %s\n", rep.URLs, rep.Concurrency, mode)
	fmt.Fprintf(&b, "duration   %.2fs\n", rep.Seconds)
	fmt.Fprintf(&b, "requests   %d (%.1f req/s)\n", rep.Requests, rep.RPS)
	fmt.Fprintf(&b, "errors     %d\n", rep.Errors)
	for _, code := range slices.Sorted(maps.Keys(rep.Status)) {
		fmt.Fprintf(&b, "  status %s  %d\n", code, rep.Status[code])
	}
	for _, k := range slices.Sorted(maps.Keys(rep.Transport)) {
		fmt.Fprintf(&b, "  transport  %d  %s\n", rep.Transport[k], k)
	}
	l := rep.Latency
	fmt.Fprintf(&b, "latency    p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms  mean %.3fms\n", l.P50, l.P90, l.P99, l.Max, l.Mean)
	fmt.Fprintf(&b, "transfer   %s/s (%s)\n", size(rep.BytesPerSec), size(float64(rep.Bytes)))
	_, err := io.WriteString(w, b.String())
	return err
}

func size(n float64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", n/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", n/(1<<10))
	}
	return fmt.Sprintf("%.0f B", n)
}
