package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// runner drives one load run.
type runner struct {
	cfg    *config
	client *http.Client
	now    func() time.Time

	start       time.Time // load begins (warm-up included)
	measureFrom time.Time // requests started from here on are counted
	end         time.Time // no request starts from here on

	next    atomic.Uint64 // round-robin position in cfg.urls
	seq     atomic.Int64  // -rate: index of the next scheduled request
	claimed atomic.Int64  // -n: measured requests handed out
}

func newRunner(cfg *config) *runner {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	tr := &http.Transport{
		Proxy:               nil, // never through a proxy: the target is this machine
		DialContext:         dialer.DialContext,
		MaxIdleConns:        cfg.concurrency,
		MaxIdleConnsPerHost: cfg.concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // measure the bytes the server sends
		// A custom TLS config without ForceAttemptHTTP2 keeps HTTP/1.1, so
		// each worker holds its own keep-alive connection, as the clients
		// we benchmark for do.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: cfg.insecure},
	}
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	return &runner{
		cfg: cfg,
		now: now,
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.timeout,
			// A redirect is an answer to measure, and following it could
			// leave loopback.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// tally is what one worker saw; merged into the report at the end.
type tally struct {
	hist      histogram
	status    map[int]int64
	transport map[string]int64
	bytes     int64
}

func (r *runner) run(ctx context.Context) (*report, error) {
	defer r.client.CloseIdleConnections()
	r.start = r.now()
	r.measureFrom = r.start.Add(r.cfg.warmup)
	r.end = r.measureFrom.Add(r.cfg.duration)

	tallies := make([]*tally, r.cfg.concurrency)
	var wg sync.WaitGroup
	for i := range tallies {
		t := &tally{status: map[int]int64{}, transport: map[string]int64{}}
		tallies[i] = t
		wg.Go(func() { r.work(ctx, t) })
	}
	wg.Wait()
	elapsed := r.now().Sub(r.measureFrom)
	if ctx.Err() != nil && r.measureFrom.After(r.now()) {
		return nil, errors.New("interrupted during warm-up")
	}
	return newReport(r.cfg, elapsed, tallies), nil
}

// work sends requests until the run ends, recording those that started
// after the warm-up.
func (r *runner) work(ctx context.Context, t *tally) {
	for ctx.Err() == nil {
		var due time.Time // -rate: when this request should go; zero when on time
		if r.cfg.rate > 0 {
			i := r.seq.Add(1) - 1
			due = r.start.Add(time.Duration(float64(i) * float64(time.Second) / r.cfg.rate))
			if !due.Before(r.end) {
				return
			}
			if d := due.Sub(r.now()); d > 0 {
				// The worker is early and waits; how late the timer wakes
				// it is the tool's delay, not the server's.
				if !sleep(ctx, d) {
					return
				}
				due = time.Time{}
			}
		}
		now := r.now()
		if !now.Before(r.end) {
			return
		}
		measured := !now.Before(r.measureFrom)
		if measured && r.cfg.total > 0 && r.claimed.Add(1) > r.cfg.total {
			return
		}
		// Latency runs from the send, except for a fixed-rate request sent
		// late because every worker was busy: then from when it was due, so
		// a server that falls behind the rate shows it in the latencies
		// instead of hiding it (coordinated omission).
		start := now
		if !due.IsZero() {
			start = due
		}
		status, n, err := r.do(ctx, r.cfg.urls[(r.next.Add(1)-1)%uint64(len(r.cfg.urls))])
		lat := r.now().Sub(start)
		if !measured || (err != nil && ctx.Err() != nil) {
			continue // warm-up, or cut short by an interrupt: not an answer
		}
		t.hist.record(lat)
		t.bytes += n
		if err != nil {
			t.transport[errorKey(err)]++
		} else {
			t.status[status]++
		}
	}
}

// do sends one request and reads the whole answer.
func (r *runner) do(ctx context.Context, target string) (status int, n int64, err error) {
	var body io.Reader
	if r.cfg.body != nil {
		body = bytes.NewReader(r.cfg.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.cfg.method, target, body)
	if err != nil {
		return 0, 0, err
	}
	req.Header = r.cfg.header.Clone()
	if r.cfg.host != "" {
		req.Host = r.cfg.host
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, n, err
}

// errorKey names a transport error without the URL, so errors of one kind
// group together whatever the target.
func errorKey(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// sleep waits for d unless ctx ends first; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
