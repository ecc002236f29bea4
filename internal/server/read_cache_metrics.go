package server

import (
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// readCacheGauge is the /metrics gauge emp_read_cache_<name> of the store's
// read cache (all zero on SQLite or with the cache off).
func (a *App) readCacheGauge(name, help string, value func(store.ReadCacheStats) float64) httpx.Gauge {
	return httpx.Gauge{Name: "emp_read_cache_" + name, Help: help,
		Read: func() float64 { return value(a.Store.ReadCacheStats()) }}
}
