package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestMapConnErr: the failures that mean the database cannot be reached
// become Unavailable (503), keeping their cause; a wrong statement, a
// conflict or the caller's own cancellation stay what they are.
func TestMapConnErr(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"connect error", &pgconn.ConnectError{}, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"too many clients", &pgconn.PgError{Code: "53300"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"no database", &pgconn.PgError{Code: "3D000"}, true},
		{"bad conn", fmt.Errorf("exec: %w", driver.ErrBadConn), true},
		{"eof", io.ErrUnexpectedEOF, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax", &pgconn.PgError{Code: "42601"}, false},
		{"canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), false},
		{"plain", errors.New("something else"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mapConnErr(tc.err)
			if (errs.KindOf(got) == errs.Unavailable) != tc.want {
				t.Fatalf("mapConnErr(%v) kind %v, want unavailable=%v", tc.err, errs.KindOf(got), tc.want)
			}
			if !errors.Is(got, tc.err) && !errors.As(got, new(*pgconn.PgError)) && !errors.As(got, new(*pgconn.ConnectError)) {
				t.Fatalf("mapConnErr lost the cause of %v", tc.err)
			}
			if tc.want && errs.KindOf(got).Status() != 503 {
				t.Fatal("not a 503")
			}
		})
	}
	if mapConnErr(nil) != nil {
		t.Fatal("nil mapped to an error")
	}
}
