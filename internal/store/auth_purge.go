package store

import (
	"context"
	"database/sql"
	"time"
)

// UsedCodeRetention is how long Purge keeps an authorization code after it
// expires. A code is replayed, if ever, soon after it was issued; keeping it
// this long lets the authorization server still recognise the replay and
// revoke what the first exchange issued.
const UsedCodeRetention = 24 * time.Hour

// Purge deletes the authorization server's records that nothing needs any
// more: interactions, launches, assertion ids, revoked-token rows, refresh
// tokens and browser sessions past their expiry (a session also past its
// idle time), sign-in throttle rows a day old, and codes UsedCodeRetention
// past theirs. Grants
// stay (the portal lists them). It is one transaction and returns how many
// rows went. The server calls it periodically; running it on several nodes
// at once is harmless.
func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	cut := now.UnixMicro()
	steps := []struct {
		q      string
		before int64
	}{
		{`DELETE FROM auth_interactions WHERE expires_at < ?`, cut},
		{`DELETE FROM auth_launches WHERE expires_at < ?`, cut},
		{`DELETE FROM auth_codes WHERE expires_at < ?`, now.Add(-UsedCodeRetention).UnixMicro()},
		{`DELETE FROM auth_assertion_ids WHERE expires_at < ?`, cut},
		{`DELETE FROM auth_revoked_tokens WHERE expires_at < ?`, cut},
		{`DELETE FROM auth_refresh_tokens WHERE expires_at < ?`, cut},
		{`DELETE FROM sessions WHERE expires_at < ?`, cut},
		{`DELETE FROM sessions WHERE idle_expires_at < ?`, cut},
		// A day without failures is long past any throttle's reset and hold.
		{`DELETE FROM login_throttle WHERE last_at < ?`, now.Add(-24 * time.Hour).UnixMicro()},
	}
	var total int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		total = 0
		for _, st := range steps {
			res, err := s.txExec(ctx, tx, st.q, st.before)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
