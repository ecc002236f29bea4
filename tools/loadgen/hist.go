package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram records latencies in log-linear buckets, HDR style: exact
// below 256 ns, then 128 buckets per power of two, so any value is known to
// within 1/128 (0.8 %) in a fixed 59 KB whatever the run's length. Each
// worker has its own, merged at the end, so recording takes no lock.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	subBits     = 7
	subCount    = 1 << subBits
	histBuckets = (64-subBits)*subCount + subCount // covers every uint64
)

func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	return shift*subCount + int(v>>shift)
}

// bucketTop is the largest value that falls in bucket b.
func bucketTop(b int) uint64 {
	if b < 2*subCount {
		return uint64(b)
	}
	shift := b/subCount - 1
	mantissa := uint64(b - shift*subCount)
	return (mantissa+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the latency at or below which a fraction q of the
// requests were answered (the top of its bucket, never above the maximum).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n))) // nearest rank
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketTop(b)), h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
