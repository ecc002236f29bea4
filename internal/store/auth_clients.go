package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// Registered OAuth clients and the origins of their redirect URIs.

const (
	sqlClientCols = `id, name, auth_method, secret_hash, redirect_uris, post_logout_redirect_uris, launch_uri,
		grant_types, scope, jwks_uri, jwks, contacts, logo_uri, status, created_at`
	sqlInsertClient = `INSERT INTO auth_clients (` + sqlClientCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertOrigin = `INSERT INTO auth_client_origins (origin, client_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
	sqlClient       = `SELECT ` + sqlClientCols + ` FROM auth_clients WHERE id = ?`
	sqlClients      = `SELECT ` + sqlClientCols + ` FROM auth_clients ORDER BY seq`
	// An origin belongs to a client that is approved now: the status is
	// read from the client row, so approving or disabling needs no change
	// to the origins.
	sqlOriginRegistered = `SELECT COUNT(*) FROM auth_client_origins o JOIN auth_clients c ON c.id = o.client_id
		WHERE o.origin = ? AND c.status = 'approved'`
)

// CreateClient stores a new client with the origins of its redirect URIs
// (for OriginRegistered). Conflict when the id exists.
func (s *Store) CreateClient(ctx context.Context, c authrec.Client) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertClient, c.ID, c.Name, c.AuthMethod, c.SecretHash,
			jsonList(c.RedirectURIs), jsonList(c.PostLogoutRedirectURIs), c.LaunchURI, jsonList(c.GrantTypes),
			c.Scope, c.JWKSURI, c.JWKS, jsonList(c.Contacts), c.LogoURI, string(c.Status), nullMicros(c.CreatedAt))
		if err != nil {
			return err
		}
		// An id used before (a client deleted, then registered again by the
		// operator) starts with its old tokens dead and its new ones alive.
		created := c.CreatedAt
		if created.IsZero() {
			created = s.now()
		}
		if _, err := s.txExec(ctx, tx, `UPDATE auth_client_revocations SET revoked_before = ? WHERE client_id = ?`,
			created.UnixMicro(), c.ID); err != nil {
			return err
		}
		for _, o := range c.Origins() {
			if _, err := s.txExec(ctx, tx, sqlInsertOrigin, o, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return insertConflict(err, "client")
}

// Client returns the client with the id.
func (s *Store) Client(ctx context.Context, id string) (authrec.Client, error) {
	c, err := scanClient(s.r.QueryRowContext(ctx, s.d.rebind(sqlClient), id))
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.Client{}, notFoundAuth("client")
	}
	return c, err
}

// Clients lists every client in the order they were registered.
func (s *Store) Clients(ctx context.Context) ([]authrec.Client, error) {
	rows, err := s.replica.QueryContext(ctx, sqlClients)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetClientStatus sets the client's status now (the store's clock), in one
// transaction with what the change means for its tokens and an audit row
// (actor from the context's RequestInfo). Disabling revokes every grant of
// the client (so its refresh tokens stop) and refuses every access token it
// holds, grant or not (auth_client_revocations, read by Revoked); approving
// a client that was disabled keeps the tokens from before dead, so enabling
// never resurrects them. NotFound when there is no such client.
func (s *Store) SetClientStatus(ctx context.Context, id string, st authrec.ClientStatus) error {
	at, status := s.now(), string(st)
	return s.revocation(ctx, func(tx *sql.Tx) error {
		var was string
		err := s.txQueryRow(ctx, tx, `SELECT status FROM auth_clients WHERE id = ?`, id).Scan(&was)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundAuth("client")
		}
		if err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `UPDATE auth_clients SET status = ? WHERE id = ?`, status, id); err != nil {
			return err
		}
		switch {
		case status == clientDisabled:
			if _, err := s.txExec(ctx, tx, `UPDATE auth_grants SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL`,
				nullMicros(at), id); err != nil {
				return err
			}
			if err := s.revokeClientTokens(ctx, tx, id, math.MaxInt64); err != nil {
				return err
			}
		case was == clientDisabled:
			// Tokens issued while it was disabled (a flow that checked the
			// client just before) die with the older ones.
			if err := s.revokeClientTokens(ctx, tx, id, at.UnixMicro()); err != nil {
				return err
			}
		}
		action := "client-approve"
		switch {
		case status == clientDisabled:
			action = "client-disable"
		case was == clientDisabled:
			action = "client-enable"
		case status != clientApproved:
			action = "client-" + status
		}
		return s.auditClient(ctx, tx, at, action, id)
	})
}

// The client statuses the store needs to know.
const (
	clientDisabled = string(authrec.ClientDisabled)
	clientApproved = string(authrec.ClientApproved)
)

// revokeClientTokens sets the moment up to which the client's access tokens
// are refused and bumps the revocation epoch, so every node's gate asks
// again.
func (s *Store) revokeClientTokens(ctx context.Context, tx *sql.Tx, id string, before int64) error {
	if _, err := s.txExec(ctx, tx, `INSERT INTO auth_client_revocations (client_id, revoked_before) VALUES (?, ?)
		ON CONFLICT (client_id) DO UPDATE SET revoked_before = excluded.revoked_before`, id, before); err != nil {
		return err
	}
	_, err := s.txExec(ctx, tx, sqlBumpRevocationEpoch)
	return err
}

// auditClient writes the audit row of an administrator's change to a
// client in the change's transaction.
func (s *Store) auditClient(ctx context.Context, tx *sql.Tx, at time.Time, action, id string) error {
	ev := AuditEvent{At: at, RequestInfo: RequestFrom(ctx), Action: action, ResID: id}
	_, err := s.txExec(ctx, tx, insertAudit, auditArgs(ev)...)
	return err
}

// SetClientSecretHash replaces the client's secret hash. NotFound when
// there is no such client.
func (s *Store) SetClientSecretHash(ctx context.Context, id, hash string) error {
	return s.updateClient(ctx, `UPDATE auth_clients SET secret_hash = ? WHERE id = ?`, hash, id)
}

// updateClient runs an UPDATE of one client row whose last argument is the
// id, NotFound when it touched no row.
func (s *Store) updateClient(ctx context.Context, q string, args ...any) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, "client")
		}
		return nil
	})
}

// DeleteClient removes the client, its origins, and everything it was
// granted: grants, refresh tokens, codes and launches. Every access token it
// holds stops working: those of the removed grants (a grant the store does
// not hold counts as revoked) and those without a grant (the client's
// revocation row, which outlives it). The deletion is audited with the
// context's RequestInfo and the store's clock. NotFound when there is no
// such client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	at := s.now()
	return s.revocation(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `DELETE FROM auth_clients WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(err, "client")
		}
		for _, q := range []string{
			`DELETE FROM auth_client_origins WHERE client_id = ?`,
			`DELETE FROM auth_refresh_tokens WHERE client_id = ?`,
			`DELETE FROM auth_grants WHERE client_id = ?`,
			`DELETE FROM auth_codes WHERE client_id = ?`,
			`DELETE FROM auth_launches WHERE client_id = ?`,
		} {
			if _, err := s.txExec(ctx, tx, q, id); err != nil {
				return err
			}
		}
		if err := s.revokeClientTokens(ctx, tx, id, math.MaxInt64); err != nil {
			return err
		}
		return s.auditClient(ctx, tx, at, "client-delete", id)
	})
}

// OriginRegistered reports whether an approved client has a redirect URI on
// the origin: one indexed lookup.
func (s *Store) OriginRegistered(ctx context.Context, origin string) (bool, error) {
	var n int64
	err := s.readRow(ctx, sqlOriginRegistered, []any{origin}, &n)
	return n > 0, err
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanClient(r rowScanner) (authrec.Client, error) {
	var c authrec.Client
	var redirects, logouts, grants, contacts, status string
	var created sql.NullInt64
	err := r.Scan(&c.ID, &c.Name, &c.AuthMethod, &c.SecretHash, &redirects, &logouts, &c.LaunchURI,
		&grants, &c.Scope, &c.JWKSURI, &c.JWKS, &contacts, &c.LogoURI, &status, &created)
	if err != nil {
		return authrec.Client{}, err
	}
	c.Status, c.CreatedAt = authrec.ClientStatus(status), timeFromNullMicros(created)
	if c.RedirectURIs, err = parseList("redirect_uris", redirects); err != nil {
		return authrec.Client{}, err
	}
	if c.PostLogoutRedirectURIs, err = parseList("post_logout_redirect_uris", logouts); err != nil {
		return authrec.Client{}, err
	}
	if c.GrantTypes, err = parseList("grant_types", grants); err != nil {
		return authrec.Client{}, err
	}
	if c.Contacts, err = parseList("contacts", contacts); err != nil {
		return authrec.Client{}, err
	}
	return c, nil
}

// orNotFound is err, or NotFound of what when err is nil (an UPDATE or
// DELETE that touched no row).
func orNotFound(err error, what string) error {
	if err != nil {
		return err
	}
	return notFoundAuth(what)
}
