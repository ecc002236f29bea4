package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// Browser sessions kept on the server (the sessions table). A cookie names
// its session by a random value whose hash is the row's key: a copy of the
// table gives no usable cookie. Ending a session deletes its row and those
// of the sessions started from it (Parent), so every node refuses the
// cookie on its next request. The caller compares the times: a row is live
// while now is before both IdleExpiresAt and ExpiresAt (authrec.Session's
// Live); Purge deletes it some time after.

const (
	sqlSessionCols   = `hash, kind, user_kind, user_id, parent, created_at, seen_at, idle_expires_at, expires_at`
	sqlInsertSession = `INSERT INTO sessions (` + sqlSessionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// CreateSession stores a new session. Conflict when the hash exists.
func (s *Store) CreateSession(ctx context.Context, b authrec.Session) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertSession, b.Hash, b.Purpose, b.Account, b.UserID, b.Parent,
			b.CreatedAt.UnixMicro(), b.SeenAt.UnixMicro(), b.IdleExpiresAt.UnixMicro(), b.ExpiresAt.UnixMicro())
		return err
	})
	return insertConflict(err, "session")
}

// Session returns the session with the hash, expired or not; NotFound when
// it ended or never was.
func (s *Store) Session(ctx context.Context, hash string) (authrec.Session, error) {
	var b authrec.Session
	var created, seen, idle, expires int64
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+sqlSessionCols+` FROM sessions WHERE hash = ?`), hash).
		Scan(&b.Hash, &b.Purpose, &b.Account, &b.UserID, &b.Parent, &created, &seen, &idle, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.Session{}, notFoundAuth("session")
	}
	if err != nil {
		return authrec.Session{}, err
	}
	b.CreatedAt, b.SeenAt = time.UnixMicro(created).UTC(), time.UnixMicro(seen).UTC()
	b.IdleExpiresAt, b.ExpiresAt = time.UnixMicro(idle).UTC(), time.UnixMicro(expires).UTC()
	return b, nil
}

// TouchSession records that the session was used: seen at seen, idle until
// idleUntil (never past its absolute expiry, which the caller keeps).
// NotFound when the session ended meanwhile.
func (s *Store) TouchSession(ctx context.Context, hash string, seen, idleUntil time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `UPDATE sessions SET seen_at = ?, idle_expires_at = ? WHERE hash = ?`,
			seen.UnixMicro(), idleUntil.UnixMicro(), hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return notFoundAuth("session")
		}
		return nil
	})
}

// EndSession deletes the session and the sessions started from it. Ending
// a session that is gone is not an error.
func (s *Store) EndSession(ctx context.Context, hash string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM sessions WHERE hash = ? OR parent = ?`, hash, hash)
		return err
	})
}

// EndUserSessions deletes every session of the user (a password change,
// a disabled account), with the sessions started from them.
func (s *Store) EndUserSessions(ctx context.Context, account, userID string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM sessions WHERE parent IN (SELECT hash FROM sessions WHERE user_kind = ? AND user_id = ?)`, account, userID)
		if err != nil {
			return err
		}
		_, err = s.txExec(ctx, tx, `DELETE FROM sessions WHERE user_kind = ? AND user_id = ?`, account, userID)
		return err
	})
}
