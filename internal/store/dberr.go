package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// errDBUnavailable is what a client hears when the database cannot be
// reached: a 503 with Retry-After from every face. The cause goes to the
// log, never to the client.
const errDBUnavailable = "the database is unavailable; try again shortly"

// mapConnErr turns a failure to reach PostgreSQL (a refused or broken
// connection, a server shutting down or restarting, a full connection
// table, a database that is not there) into errs.Unavailable, keeping the
// cause for errors.Is/As and the log. Any other error passes unchanged.
// It is applied once, where the driver hands errors to database/sql (see
// pgConnector), so every statement of the store answers the same.
func mapConnErr(err error) error {
	if err == nil || !isConnErr(err) {
		return err
	}
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.Unavailable {
		return err
	}
	return &errs.Error{Kind: errs.Unavailable, Err: err, Message: errDBUnavailable}
}

// isConnErr reports the failures that say the database is unreachable
// rather than that the statement was wrong.
func isConnErr(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's own deadline or departure
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, cannot connect now
			return true
		case pe.Code == "53300": // too many connections
			return true
		case pe.Code == "3D000": // the database is not there (renamed, being restored)
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// pgConnector opens pgx connections whose errors pass through mapConnErr.
type pgConnector struct {
	driver.Connector
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, mapConnErr(err)
	}
	return &pgConn{Conn: conn.(*stdlib.Conn)}, nil
}

// pgConn is pgx's connection with its errors mapped. Embedding keeps every
// optional interface database/sql looks for (session reset, validity,
// named values); the methods that run statements are wrapped.
type pgConn struct {
	*stdlib.Conn
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, query)
	return st, mapConnErr(err)
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, mapConnErr(err)
	}
	return pgTx{tx}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.Conn.ExecContext(ctx, query, args)
	return r, mapConnErr(err)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	// pgx reads the first row here, so a lost connection shows now; the
	// rows themselves are pgx's, unwrapped, for database/sql's fast paths.
	r, err := c.Conn.QueryContext(ctx, query, args)
	return r, mapConnErr(err)
}

func (c *pgConn) Ping(ctx context.Context) error { return mapConnErr(c.Conn.Ping(ctx)) }

type pgTx struct{ driver.Tx }

func (t pgTx) Commit() error { return mapConnErr(t.Tx.Commit()) }

// pgxConn returns the pgx connection under a database/sql driver
// connection (for COPY).
func pgxConn(dc any) (*stdlib.Conn, bool) {
	switch c := dc.(type) {
	case *pgConn:
		return c.Conn, true
	case *stdlib.Conn:
		return c, true
	}
	return nil, false
}

// MaxConns is the most connections this node opens to the database (the
// readers on SQLite): Options.MaxReaders or its default.
func (s *Store) MaxConns() int { return s.readers }

// withPgx runs fn on the pgx connection under one of the pool's, for what
// database/sql cannot say (COPY, statements sent together); what names
// the caller in the error of an unexpected driver.
func (s *Store) withPgx(ctx context.Context, what string, fn func(c *pgx.Conn) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := pgxConn(dc)
		if !ok {
			return fmt.Errorf("store: %s: unexpected driver connection %T", what, dc)
		}
		return fn(sc.Conn())
	})
}
