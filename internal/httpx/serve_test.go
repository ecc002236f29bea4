package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewServer(t *testing.T) {
	srv := NewServer(http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.IdleTimeout != 120*time.Second || srv.MaxHeaderBytes != 64<<10 {
		t.Errorf("timeouts %+v", srv)
	}
	if srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
		t.Errorf("ReadTimeout %s WriteTimeout %s would cut long streams", srv.ReadTimeout, srv.WriteTimeout)
	}
}

func TestServerLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := NewServer(nil, logger)
	srv.ErrorLog.Printf("http: TLS handshake error from 1.2.3.4:5: EOF")
	srv.ErrorLog.Printf("http: Accept error: too many open files")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"level":"DEBUG"`) || !strings.Contains(lines[1], `"level":"WARN"`) ||
		!strings.Contains(lines[1], "too many open files") {
		t.Fatalf("server log lines: %q", lines)
	}
}

// Serve answers until its context ends, lets the request in flight finish,
// and returns nil.
func TestServeGracefulShutdown(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		name := "http"
		if useTLS {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			entered := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				time.Sleep(100 * time.Millisecond)
				w.Write([]byte("finished"))
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{}
			var tlsCfg *tls.Config
			scheme := "http"
			if useTLS {
				cert, err := SelfSignedCert(nil, time.Now(), nil)
				if err != nil {
					t.Fatal(err)
				}
				tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}}
				roots := x509.NewCertPool()
				roots.AddCert(cert.Leaf)
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
				scheme = "https"
			}
			ctx, cancel := context.WithCancel(t.Context())
			served := make(chan error, 1)
			go func() { served <- Serve(ctx, NewServer(h, nil), ln, tlsCfg, 5*time.Second) }()

			type result struct {
				body string
				err  error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := client.Get(scheme + "://" + ln.Addr().String() + "/")
				if err != nil {
					got <- result{err: err}
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- result{string(b), err}
			}()
			<-entered
			cancel()
			if r := <-got; r.err != nil || r.body != "finished" {
				t.Fatalf("request in flight during shutdown: %q %v", r.body, r.err)
			}
			if err := <-served; err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				t.Fatal("still accepting after shutdown")
			}
		})
	}
}

// A request that outlives the shutdown timeout is cut off, and Serve says
// so.
func TestServeShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, NewServer(h, nil), ln, nil, 50*time.Millisecond) }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "shutdown") {
			t.Fatalf("Serve = %v, want a shutdown timeout error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the shutdown timeout")
	}
}

func TestServeListenerError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := Serve(t.Context(), NewServer(http.NotFoundHandler(), nil), ln, nil, time.Second); err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}
