// Command loadgen measures emp's HTTP throughput and latency on this
// machine. It only ever talks to loopback addresses: it is a benchmark for
// our own server, not a tool to point at anyone else's.
//
//	go run ./tools/loadgen -c 32 -d 10s -H 'Authorization: Bearer …' URL [URL…]
//	go run ./tools/loadgen -urls ids.txt -warmup 2s -json
//	go run ./tools/loadgen -method POST -body patient.json -content-type application/fhir+json URL
//
// Requests cycle round-robin over the URLs (given as arguments or one per
// line in -urls), so a benchmark can spread its reads over many ids. By
// default each of the -c workers sends its next request as soon as the last
// one is answered (closed loop); -rate instead sends requests at a fixed
// arrival rate. A request that could not go on time because every worker
// was busy is then timed from when it was due, so a server that falls
// behind the rate shows it in the latencies instead of hiding it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is a parsed command line.
type config struct {
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	total       int64   // measured requests to send at most; 0: no cap
	rate        float64 // requests per second over all workers; 0: closed loop
	method      string
	body        []byte
	header      http.Header
	host        string // a Host header given with -H
	urls        []string
	insecure    bool
	json        bool
	// now is the clock of the run (time.Now when nil); a test gives one
	// whose readings, not the machine's speed, decide what falls in the
	// warm-up.
	now func() time.Time
}

// headerFlags collects repeated -H flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// run is the whole command, so tests can drive it. It returns the exit
// status: 0 when the run completed, 1 when it could not start, 2 for a bad
// command line or a refused target.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "loadgen:", err)
		}
		return 2
	}
	rep, err := newRunner(cfg).run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	if cfg.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

func parseArgs(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg         config
		headers     headerFlags
		bodyFile    string
		contentType string
		urlsFile    string
	)
	fs.IntVar(&cfg.concurrency, "c", 32, "concurrent workers, each with its own keep-alive connection")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 0, "load before measuring, not counted")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "timeout of one request")
	fs.Int64Var(&cfg.total, "n", 0, "stop after this many measured requests (0: no cap)")
	fs.Float64Var(&cfg.rate, "rate", 0, "fixed arrival rate in requests per second over all workers (0: as fast as answered)")
	fs.StringVar(&cfg.method, "method", "", "HTTP method (default GET, or POST with -body)")
	fs.StringVar(&bodyFile, "body", "", "file whose content is sent as the request body")
	fs.StringVar(&contentType, "content-type", "", "Content-Type of the body")
	fs.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	fs.StringVar(&urlsFile, "urls", "", "file of URLs, one per line (# comments allowed)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "accept any TLS certificate (the target is loopback, e.g. a self-signed server)")
	fs.BoolVar(&cfg.json, "json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: loadgen [flags] URL [URL...]   (loopback targets only)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	switch {
	case cfg.concurrency < 1:
		return nil, errors.New("-c must be at least 1")
	case cfg.duration <= 0:
		return nil, errors.New("-d must be positive")
	case cfg.warmup < 0 || cfg.total < 0 || cfg.rate < 0 || cfg.timeout <= 0:
		return nil, errors.New("-warmup, -n and -rate must not be negative, -timeout must be positive")
	}

	cfg.urls = fs.Args()
	if urlsFile != "" {
		list, err := readURLFile(urlsFile)
		if err != nil {
			return nil, err
		}
		cfg.urls = append(cfg.urls, list...)
	}
	if len(cfg.urls) == 0 {
		fs.Usage()
		return nil, errors.New("no URL given")
	}
	for _, u := range cfg.urls {
		if err := checkTarget(u); err != nil {
			return nil, err
		}
	}

	if bodyFile != "" {
		b, err := os.ReadFile(bodyFile)
		if err != nil {
			return nil, err
		}
		cfg.body = b
	}
	if cfg.method == "" {
		cfg.method = http.MethodGet
		if cfg.body != nil {
			cfg.method = http.MethodPost
		}
	}

	cfg.header = http.Header{}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		if strings.EqualFold(name, "Host") {
			cfg.host = value
			continue
		}
		cfg.header.Add(name, value)
	}
	if contentType != "" {
		cfg.header.Set("Content-Type", contentType)
	}
	return &cfg, nil
}
