package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
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
// with the same id. It is kept as one JSON document: it is read back only
// by id, and its fields change with the pages, not with the schema.
func (s *Store) SaveInteraction(ctx context.Context, in authrec.Interaction) error {
	doc, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("store: encode interaction: %w", err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlSaveInteraction, in.ID, string(doc), nullMicros(in.ExpiresAt))
		return err
	})
}

// Interaction returns the interaction with the id.
func (s *Store) Interaction(ctx context.Context, id string) (authrec.Interaction, error) {
	var doc string
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT doc FROM auth_interactions WHERE id = ?`), id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.Interaction{}, notFoundAuth("interaction")
	}
	if err != nil {
		return authrec.Interaction{}, err
	}
	var in authrec.Interaction
	if err := json.Unmarshal([]byte(doc), &in); err != nil {
		return authrec.Interaction{}, fmt.Errorf("store: decode interaction %s: %w", id, err)
	}
	return in, nil
}

// DeleteInteraction removes an interaction; a missing one is no error.
func (s *Store) DeleteInteraction(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM auth_interactions WHERE id = ?`, id)
		return err
	})
}

// CreateLaunch stores an EHR launch context. Conflict when the hash exists.
func (s *Store) CreateLaunch(ctx context.Context, l authrec.Launch) error {
	fc, err := fhirContextJSON(l.FHIRContext)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertLaunch, l.Hash, l.ClientID, l.Patient, l.Encounter, l.Intent,
			fc, nullMicros(l.CreatedAt), nullMicros(l.ExpiresAt))
		return err
	})
	return insertConflict(err, "launch")
}

// Launch returns the launch context with the hash.
func (s *Store) Launch(ctx context.Context, hash string) (authrec.Launch, error) {
	var l authrec.Launch
	var fc string
	var created, exp sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+sqlLaunchCols+` FROM auth_launches WHERE hash = ?`), hash).
		Scan(&l.Hash, &l.ClientID, &l.Patient, &l.Encounter, &l.Intent, &fc, &created, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.Launch{}, notFoundAuth("launch")
	}
	if err != nil {
		return authrec.Launch{}, err
	}
	l.CreatedAt, l.ExpiresAt = timeFromNullMicros(created), timeFromNullMicros(exp)
	if l.FHIRContext, err = parseFHIRContext(fc); err != nil {
		return authrec.Launch{}, err
	}
	return l, nil
}

// CreateCode stores a new authorization code. Conflict when the hash
// exists.
func (s *Store) CreateCode(ctx context.Context, c authrec.Code) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertCode, c.Hash, c.GrantID, c.ClientID, c.RedirectURI, c.CodeChallenge,
			c.Nonce, nullMicros(c.CreatedAt), nullMicros(c.ExpiresAt), nullMicros(c.UsedAt))
		return err
	})
	return insertConflict(err, "code")
}

// Code returns the code with the hash, used or not, without touching it.
// NotFound when the hash is unknown.
func (s *Store) Code(ctx context.Context, hash string) (authrec.Code, error) {
	c, err := scanCode(s.r.QueryRowContext(ctx, s.d.rebind(sqlCode), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.Code{}, notFoundAuth("code")
	}
	return c, err
}

// ConsumeCode marks the code used at the time given and returns it, in one
// transaction. Of any number of concurrent calls for one code exactly one
// gets replay false; every other call, then or later, gets the code (with the
// first use's time) and replay true. NotFound when the hash is unknown.
func (s *Store) ConsumeCode(ctx context.Context, hash string, at time.Time) (c authrec.Code, replay bool, err error) {
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
		return authrec.Code{}, false, err
	}
	return c, replay, nil
}

func scanCode(r rowScanner) (authrec.Code, error) {
	var c authrec.Code
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
