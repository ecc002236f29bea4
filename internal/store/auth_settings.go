package store

import (
	"context"
	"database/sql"
	"errors"
)

// Site settings of the authorization server and the pages: plain key and
// value strings.

// Setting returns the value of a setting; NotFound when it was never set.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT value FROM auth_settings WHERE key = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFoundAuth("setting " + key)
	}
	return v, err
}

// SetSetting sets a setting, replacing its value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO auth_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
}
