package httpx

import (
	"bufio"
	"runtime"
	"runtime/metrics"
	"strconv"
)

const (
	metricGoroutines = "go_goroutines"
	metricHeapAlloc  = "go_memstats_heap_alloc_bytes"
	metricGCCycles   = "go_gc_cycles_total"
	metricHeapGoal   = "go_gc_heap_goal_bytes"
	metricGoInfo     = "go_info"
)

// writeRuntime writes the Go runtime basics. It reads runtime/metrics,
// which unlike runtime.ReadMemStats does not stop the world, so a scrape
// costs the server nothing noticeable.
func writeRuntime(w *bufio.Writer) {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/goal:bytes"},
	}
	metrics.Read(samples)
	out := []struct{ name, help, typ string }{
		{metricGoroutines, "Goroutines that currently exist.", "gauge"},
		{metricHeapAlloc, "Bytes of allocated heap objects.", "gauge"},
		{metricGCCycles, "Completed GC cycles.", "counter"},
		{metricHeapGoal, "Heap size target for the end of the GC cycle.", "gauge"},
	}
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			continue // not supported by this runtime
		}
		writeHeader(w, out[i].name, out[i].help, out[i].typ)
		w.WriteString(out[i].name + " " + strconv.FormatUint(s.Value.Uint64(), 10) + "\n")
	}
	writeHeader(w, metricGoInfo, "Information about the Go environment.", "gauge")
	w.WriteString(metricGoInfo + `{version="` + escapeLabel(runtime.Version()) + `"} 1` + "\n")
}
