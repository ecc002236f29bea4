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

// InitSetting stores value under key unless the key is set already, and
// returns the value the database holds afterwards: the first writer's.
// Nodes that start together and each make a secret (a MAC key) call it
// with their own candidate and all settle on the one that was stored, so
// none of them keeps using a value the others never saw.
func (s *Store) InitSetting(ctx context.Context, key, value string) (string, error) {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO auth_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO NOTHING`, key, value)
		return err
	})
	if err != nil {
		return "", err
	}
	// Read back whatever was stored, never the candidate: the insert
	// above did nothing when another node got there first.
	var v string
	err = s.r.QueryRowContext(ctx, s.d.rebind(`SELECT value FROM auth_settings WHERE key = ?`), key).Scan(&v)
	return v, err
}
