package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The short-lived state of the browser flows and of client authentication:
// interactions, EHR launches, authorization codes and assertion ids.

const (
	sqlSaveInteraction = `INSERT INTO auth_interactions (id, doc, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, expires_at = excluded.expires_at`
	sqlLaunchCols   = `hash, client_id, patient, encounter, intent, fhir_context, created_at, expires_at`
	sqlInsertLaunch = `INSERT INTO auth_launches (` + sqlLaunchCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	sqlCodeCols     = `hash, grant_id, client_id, redirect_uri, code_challenge, nonce, created_at, expires_at, used_at`
	sqlInsertCode   = `INSERT INTO auth_codes (` + sqlCodeCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlCode         = `SELECT ` + sqlCodeCols + ` FROM auth_codes WHERE hash = ?`
	// Only the first consumer finds used_at NULL. On PostgreSQL a second
	// concurrent UPDATE waits for the first to commit and then re-checks
	// the condition; on SQLite the single writer runs them one after another.
	sqlUseCode      = `UPDATE auth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL`
	sqlUseAssertion = `INSERT INTO auth_assertion_ids (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
)

// SaveInteraction stores an authorization in progress, replacing the one
// with the same id.
func (s *Store) SaveInteraction(ctx context.Context, in AuthInteraction) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlSaveInteraction, in.ID, rawJSON(in.Doc), nullMicros(in.ExpiresAt))
		return err
	})
}

// Interaction returns the interaction with the id.
func (s *Store) Interaction(ctx context.Context, id string) (AuthInteraction, error) {
	in := AuthInteraction{ID: id}
	var doc string
	var exp sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT doc, expires_at FROM auth_interactions WHERE id = ?`), id).Scan(&doc, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthInteraction{}, notFoundAuth("interaction")
	}
	in.Doc, in.ExpiresAt = []byte(doc), timeFromNullMicros(exp)
	return in, err
}

// DeleteInteraction removes an interaction; a missing one is no error.
func (s *Store) DeleteInteraction(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM auth_interactions WHERE id = ?`, id)
		return err
	})
}

// CreateLaunch stores an EHR launch context. Conflict when the hash exists.
func (s *Store) CreateLaunch(ctx context.Context, l LaunchContext) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertLaunch, l.Hash, l.ClientID, l.Patient, l.Encounter, l.Intent,
			rawJSON(l.FHIRContext), nullMicros(l.CreatedAt), nullMicros(l.ExpiresAt))
		return err
	})
	return insertConflict(err, "launch")
}

// Launch returns the launch context with the hash.
func (s *Store) Launch(ctx context.Context, hash string) (LaunchContext, error) {
	var l LaunchContext
	var fc string
	var created, exp sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+sqlLaunchCols+` FROM auth_launches WHERE hash = ?`), hash).
		Scan(&l.Hash, &l.ClientID, &l.Patient, &l.Encounter, &l.Intent, &fc, &created, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return LaunchContext{}, notFoundAuth("launch")
	}
	l.FHIRContext, l.CreatedAt, l.ExpiresAt = fromRawJSON(fc), timeFromNullMicros(created), timeFromNullMicros(exp)
	return l, err
}

// CreateCode stores a new authorization code. Conflict when the hash
// exists.
func (s *Store) CreateCode(ctx context.Context, c AuthCode) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertCode, c.Hash, c.GrantID, c.ClientID, c.RedirectURI, c.CodeChallenge,
			c.Nonce, nullMicros(c.CreatedAt), nullMicros(c.ExpiresAt), nullMicros(c.UsedAt))
		return err
	})
	return insertConflict(err, "code")
}

// AuthCode returns the code with the hash, used or not, without touching
// it. NotFound when the hash is unknown.
func (s *Store) AuthCode(ctx context.Context, hash string) (AuthCode, error) {
	c, err := scanCode(s.r.QueryRowContext(ctx, s.d.rebind(sqlCode), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return AuthCode{}, notFoundAuth("code")
	}
	return c, err
}

// ConsumeCode marks the code used at the time given and returns it, in one
// transaction. Of any number of concurrent calls for one code exactly one
// gets replay false; every other call, then or later, gets the code (with the
// first use's time) and replay true. NotFound when the hash is unknown.
func (s *Store) ConsumeCode(ctx context.Context, hash string, at time.Time) (c AuthCode, replay bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, sqlUseCode, nullMicros(at), hash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		replay = n == 0
		c, err = scanCode(s.txQueryRow(ctx, tx, sqlCode, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundAuth("code")
		}
		return err
	})
	if err != nil {
		return AuthCode{}, false, err
	}
	return c, replay, nil
}

func scanCode(r rowScanner) (AuthCode, error) {
	var c AuthCode
	var created, exp, used sql.NullInt64
	err := r.Scan(&c.Hash, &c.GrantID, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Nonce, &created, &exp, &used)
	c.CreatedAt, c.ExpiresAt, c.UsedAt = timeFromNullMicros(created), timeFromNullMicros(exp), timeFromNullMicros(used)
	return c, err
}

// UseAssertionID records the jti of a client's assertion until expires. It
// reports false when the client already used the jti: of two concurrent
// calls with one jti, one inserts the row and the other finds it.
func (s *Store) UseAssertionID(ctx context.Context, clientID, jti string, expires time.Time) (fresh bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, sqlUseAssertion, clientID, jti, nullMicros(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	return fresh, err
}
