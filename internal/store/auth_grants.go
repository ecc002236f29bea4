package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// Grants, their refresh tokens, and the revocations the access-token gate
// asks about.

const (
	sqlGrantCols = `id, client_id, grant_type, subject, role, fhir_user, scope, patient, encounter, intent,
		fhir_context, need_patient_banner, auth_time, created_at, revoked_at, session`
	sqlInsertGrant = `INSERT INTO auth_grants (` + sqlGrantCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// The last use is the newest refresh token's creation, found through
	// the (grant_id, created_at) index.
	sqlGrantSelect = `SELECT ` + sqlGrantCols + `,
		(SELECT MAX(t.created_at) FROM auth_refresh_tokens t WHERE t.grant_id = auth_grants.id) FROM auth_grants`
	sqlRevokeGrant = `UPDATE auth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`
	sqlRefreshCols = `hash, grant_id, client_id, created_at, expires_at, rotated_at`
	sqlInsertRT    = `INSERT INTO auth_refresh_tokens (` + sqlRefreshCols + `) VALUES (?, ?, ?, ?, ?, ?)`
	sqlRotateRT    = `UPDATE auth_refresh_tokens SET rotated_at = ? WHERE hash = ? AND rotated_at IS NULL`
	sqlRTExists    = `SELECT COUNT(*) FROM auth_refresh_tokens WHERE hash = ?`
	sqlRevokeToken = `INSERT INTO auth_revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`
	// sqlBumpRevocationEpoch marks, in the transaction of a revocation, that
	// answers about revocations given before it may be stale.
	sqlBumpRevocationEpoch = `UPDATE auth_revocation_epoch SET n = n + 1 WHERE id = 1`
	sqlRevocationEpoch     = `SELECT n FROM auth_revocation_epoch WHERE id = 1`
	// The client's row in auth_client_revocations, when its revoked_before
	// is at or after the token's iat, refuses the token (disabled or
	// deleted client).
	sqlRevokedJTI = `SELECT (SELECT COUNT(*) FROM auth_revoked_tokens WHERE jti = ?),
		(SELECT COUNT(*) FROM auth_client_revocations WHERE client_id = ? AND revoked_before >= ?)`
	sqlRevokedGrant = `SELECT (SELECT COUNT(*) FROM auth_revoked_tokens WHERE jti = ?),
		(SELECT COUNT(*) FROM auth_client_revocations WHERE client_id = ? AND revoked_before >= ?),
		(SELECT COUNT(*) FROM auth_grants WHERE id = ? AND revoked_at IS NULL)`
)

// CreateGrant stores a new grant. Conflict when the id exists.
func (s *Store) CreateGrant(ctx context.Context, g authrec.Grant) error {
	fc, err := fhirContextJSON(g.FHIRContext)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertGrant, g.ID, g.ClientID, g.GrantType, g.Subject, g.Role, g.FHIRUser,
			g.Scope, g.Patient, g.Encounter, g.Intent, fc, g.NeedPatientBanner,
			nullMicros(g.AuthTime), nullMicros(g.CreatedAt), nullMicros(g.RevokedAt), g.Session)
		return err
	})
	return insertConflict(err, "grant")
}

// Grant returns the grant with the id, revoked or not, with its last use.
func (s *Store) Grant(ctx context.Context, id string) (authrec.Grant, error) {
	g, err := scanGrant(s.r.QueryRowContext(ctx, s.d.rebind(sqlGrantSelect+` WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.Grant{}, notFoundAuth("grant")
	}
	return g, err
}

// GrantsBySubject lists the grants the user made, revoked or not, newest
// first.
func (s *Store) GrantsBySubject(ctx context.Context, subject string) ([]authrec.Grant, error) {
	rows, err := s.replica.QueryContext(ctx, s.d.rebind(sqlGrantSelect+` WHERE subject = ? ORDER BY created_at DESC, id`), subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func scanGrant(r rowScanner) (authrec.Grant, error) {
	var g authrec.Grant
	var fc string
	var authTime, created, revoked, lastUsed sql.NullInt64
	err := r.Scan(&g.ID, &g.ClientID, &g.GrantType, &g.Subject, &g.Role, &g.FHIRUser, &g.Scope, &g.Patient,
		&g.Encounter, &g.Intent, &fc, &g.NeedPatientBanner, &authTime, &created, &revoked, &g.Session, &lastUsed)
	if err != nil {
		return authrec.Grant{}, err
	}
	g.AuthTime, g.CreatedAt, g.RevokedAt, g.LastUsedAt = timeFromNullMicros(authTime), timeFromNullMicros(created), timeFromNullMicros(revoked), timeFromNullMicros(lastUsed)
	if g.FHIRContext, err = parseFHIRContext(fc); err != nil {
		return authrec.Grant{}, err
	}
	return g, nil
}

// RevokeGrant marks the grant revoked at the time given; revoking it again
// keeps the first time. NotFound when there is no such grant.
func (s *Store) RevokeGrant(ctx context.Context, id string, at time.Time) error {
	return s.revocation(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, sqlRevokeGrant, nullMicros(at), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			_, err = s.txExec(ctx, tx, sqlBumpRevocationEpoch)
			return err
		}
		var n int64
		if err := s.txQueryRow(ctx, tx, `SELECT COUNT(*) FROM auth_grants WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFoundAuth("grant")
		}
		return nil
	})
}

// CreateRefreshToken stores the first refresh token of a family. Conflict
// when the hash exists.
func (s *Store) CreateRefreshToken(ctx context.Context, t authrec.RefreshToken) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return s.insertRefreshToken(ctx, tx, t)
	})
	return insertConflict(err, "refresh token")
}

func (s *Store) insertRefreshToken(ctx context.Context, tx *sql.Tx, t authrec.RefreshToken) error {
	_, err := s.txExec(ctx, tx, sqlInsertRT, t.Hash, t.GrantID, t.ClientID, nullMicros(t.CreatedAt), nullMicros(t.ExpiresAt), nullMicros(t.RotatedAt))
	return err
}

// RefreshToken returns the refresh token with the hash, rotated or not.
func (s *Store) RefreshToken(ctx context.Context, hash string) (authrec.RefreshToken, error) {
	var t authrec.RefreshToken
	var created, exp, rotated sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+sqlRefreshCols+` FROM auth_refresh_tokens WHERE hash = ?`), hash).
		Scan(&t.Hash, &t.GrantID, &t.ClientID, &created, &exp, &rotated)
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.RefreshToken{}, notFoundAuth("refresh token")
	}
	t.CreatedAt, t.ExpiresAt, t.RotatedAt = timeFromNullMicros(created), timeFromNullMicros(exp), timeFromNullMicros(rotated)
	return t, err
}

// RotateRefreshToken marks oldHash rotated at the time given and stores
// next, in one transaction, only if oldHash was still current: the guarded
// UPDATE lets exactly one of any number of concurrent rotations through.
// Conflict when oldHash was rotated already (or next's hash exists, in
// which case nothing changes); NotFound when oldHash is unknown.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next authrec.RefreshToken, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, sqlRotateRT, nullMicros(at), oldHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var exists int64
			if err := s.txQueryRow(ctx, tx, sqlRTExists, oldHash).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return notFoundAuth("refresh token")
			}
			return errsConflict("refresh token already used")
		}
		return insertConflict(s.insertRefreshToken(ctx, tx, next), "refresh token")
	})
}

// RevokeToken remembers the access token jti as revoked until expires.
func (s *Store) RevokeToken(ctx context.Context, jti string, expires time.Time) error {
	return s.revocation(ctx, func(tx *sql.Tx) error {
		if _, err := s.txExec(ctx, tx, sqlRevokeToken, jti, nullMicros(expires)); err != nil {
			return err
		}
		_, err := s.txExec(ctx, tx, sqlBumpRevocationEpoch)
		return err
	})
}

// RevocationEpoch is the count of revocations so far (see
// sqlBumpRevocationEpoch): while it is unchanged, no token or grant was
// revoked and no client deleted, on any node.
func (s *Store) RevocationEpoch(ctx context.Context) (int64, error) {
	var n int64
	err := s.readRow(ctx, sqlRevocationEpoch, nil, &n)
	return n, err
}

// revocation runs a write that may revoke tokens and counts it in
// LocalRevocations once it committed (or failed, when it may have).
func (s *Store) revocation(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.localRevocations.Add(1)
	return s.write(ctx, fn)
}

// LocalRevocations counts the writes through this Store that may have
// revoked tokens (grants and tokens revoked, clients disabled or deleted).
// It reads no database: a revocation cache (authz.RevocationCache) compares
// it with the count it saw, so that a revocation made through this node
// takes effect on it at once, before the epoch is read again.
func (s *Store) LocalRevocations() uint64 { return s.localRevocations.Load() }

// Revoked reports whether the access token was revoked: its jti, or its
// grant (t.Grant may be empty for a token without one), or every token its
// client was issued up to t.IssuedAt (a disabled or deleted client;
// t.ClientID may be empty). A grant the store does not hold counts as
// revoked. It is one statement of at most three primary-key lookups,
// prepared once on SQLite (see readerStatements); authz.RevocationCache
// keeps its answers while RevocationEpoch is unchanged.
func (s *Store) Revoked(ctx context.Context, t authrec.TokenRef) (bool, error) {
	iat := t.IssuedAt.UnixMicro()
	if t.Grant == "" {
		var revokedJTI, revokedClient int64
		err := s.readRow(ctx, sqlRevokedJTI, []any{t.JTI, t.ClientID, iat}, &revokedJTI, &revokedClient)
		return revokedJTI > 0 || revokedClient > 0, err
	}
	var revokedJTI, revokedClient, liveGrant int64
	err := s.readRow(ctx, sqlRevokedGrant, []any{t.JTI, t.ClientID, iat, t.Grant}, &revokedJTI, &revokedClient, &liveGrant)
	return revokedJTI > 0 || revokedClient > 0 || liveGrant == 0, err
}
