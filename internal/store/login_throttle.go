package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// Failed authentications per key (migration 0010), shared by every node so
// that spreading guesses over nodes gains an attacker nothing. The policy
// that turns counts into delays is internal/loginthrottle's; here are only
// the counts and the times.

const (
	sqlThrottleCols = `throttle_key, failures, last_at, until_at`
	// A failure after a quiet period (last_at before the reset time) starts
	// the count again; otherwise it adds one. One statement, so concurrent
	// failures on any number of nodes are all counted.
	sqlThrottleFail = `INSERT INTO login_throttle (throttle_key, failures, last_at, until_at) VALUES (?, 1, ?, 0)
		ON CONFLICT (throttle_key) DO UPDATE SET
			failures = CASE WHEN login_throttle.last_at < ? THEN 1 ELSE login_throttle.failures + 1 END,
			until_at = CASE WHEN login_throttle.last_at < ? THEN 0 ELSE login_throttle.until_at END,
			last_at = excluded.last_at
		RETURNING failures`
	// A hold only ever moves later: of two nodes setting one, the longer
	// wins whatever their order.
	sqlThrottleHold = `UPDATE login_throttle SET until_at = ? WHERE throttle_key = ? AND until_at < ?`
)

// ThrottleFail counts a failure for key at the time given and returns the
// count, which starts again at 1 when the previous failure was before
// resetBefore.
func (s *Store) ThrottleFail(ctx context.Context, key string, at, resetBefore time.Time) (int, error) {
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		rb := resetBefore.UnixMicro()
		return s.txQueryRow(ctx, tx, sqlThrottleFail, key, at.UnixMicro(), rb, rb).Scan(&n)
	})
	return n, err
}

// ThrottleHold refuses attempts for key until the time given, unless a
// later hold is already set.
func (s *Store) ThrottleHold(ctx context.Context, key string, until time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		u := until.UnixMicro()
		_, err := s.txExec(ctx, tx, sqlThrottleHold, u, key, u)
		return err
	})
}

// ThrottleEntries returns the rows of the keys that have one.
func (s *Store) ThrottleEntries(ctx context.Context, keys ...string) ([]authrec.ThrottleEntry, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	q := `SELECT ` + sqlThrottleCols + ` FROM login_throttle WHERE throttle_key IN (?` + strings.Repeat(", ?", len(keys)-1) + `)`
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return s.throttleRows(ctx, q, args...)
}

// ThrottleList returns the rows with a failure at or after since, newest
// first, at most limit: what an administrator reviews.
func (s *Store) ThrottleList(ctx context.Context, since time.Time, limit int) ([]authrec.ThrottleEntry, error) {
	return s.throttleRows(ctx, `SELECT `+sqlThrottleCols+` FROM login_throttle WHERE last_at >= ? ORDER BY last_at DESC, throttle_key LIMIT ?`,
		since.UnixMicro(), limit)
}

// ThrottleClear forgets key's failures and hold.
func (s *Store) ThrottleClear(ctx context.Context, key string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM login_throttle WHERE throttle_key = ?`, key)
		return err
	})
}

func (s *Store) throttleRows(ctx context.Context, q string, args ...any) ([]authrec.ThrottleEntry, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.ThrottleEntry
	for rows.Next() {
		var e authrec.ThrottleEntry
		var last, until int64
		if err := rows.Scan(&e.Key, &e.Failures, &last, &until); err != nil {
			return nil, err
		}
		e.LastAt = time.UnixMicro(last).UTC()
		if until > 0 {
			e.Until = time.UnixMicro(until).UTC()
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
