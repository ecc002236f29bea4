package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// NewServer returns an http.Server with the timeouts emp runs with.
//
//   - ReadHeaderTimeout 10s: a client that opens a connection and dribbles
//     headers (slowloris) is dropped.
//   - No ReadTimeout: net/http keeps that deadline on the connection after
//     the body is read, and when it passes during a long answer the server's
//     background read fails and cancels the request's context, which would
//     kill bulk export downloads and long searches mid-stream. Bodies are
//     bounded in size instead (LimitBody, http.MaxBytesReader); a client
//     trickling one slowly holds only its own goroutine and connection.
//   - No WriteTimeout: it would cut bulk NDJSON downloads of any size at a
//     fixed time. A handler that needs a bound sets its own with
//     http.ResponseController.SetWriteDeadline.
//   - IdleTimeout 120s: idle keep-alive connections are closed after two
//     minutes.
//   - MaxHeaderBytes 64 KiB: room for a large bearer token, far less than
//     the 1 MiB default.
//
// The server's own error log (TLS handshake failures, broken connections)
// goes to logger.
func NewServer(handler http.Handler, logger *slog.Logger) *http.Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(serverLog{logger}, "", 0),
	}
}

// serverLog bridges net/http's *log.Logger to slog. TLS handshake failures
// are routine on any open port (scanners, clients refusing a self-signed
// certificate) and go to debug; the rest are warnings.
type serverLog struct{ logger *slog.Logger }

func (s serverLog) Write(p []byte) (int, error) {
	msg := string(bytes.TrimRight(p, "\n"))
	level := slog.LevelWarn
	if bytes.Contains(p, []byte("TLS handshake error")) {
		level = slog.LevelDebug
	}
	s.logger.Log(context.Background(), level, "http server", "err", msg)
	return len(p), nil
}

// Serve serves srv on ln (over TLS when tlsCfg is not nil) until ctx is
// done, then shuts down gracefully: it stops accepting, lets requests in
// flight finish for up to shutdownTimeout, and then closes what is left
// (whose handlers see their context cancelled). It returns nil after a
// clean shutdown, and the error that stopped the server otherwise.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, tlsCfg *tls.Config, shutdownTimeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			// ServeTLS clones the config and adds HTTP/2 to NextProtos.
			srv.TLSConfig = tlsCfg
			done <- srv.ServeTLS(ln, "", "")
			return
		}
		done <- srv.Serve(ln)
	}()

	select {
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil // shut down by its owner through srv itself
		}
		return err
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		<-done
		return fmt.Errorf("shutdown: requests still running after %s were cut off: %w", shutdownTimeout, err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
