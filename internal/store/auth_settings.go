package store

import (
	"context"
	"database/sql"
	"errors"
)

// Site settings of the authorization server and the pages: plain key and
// value strings.

const (
	sqlSetting = `SELECT value FROM auth_settings WHERE key = ?`
	// sqlBumpSettingsEpoch marks, in the transaction that changes a
	// setting, that settings read before it may be stale (see
	// SettingsCache).
	sqlBumpSettingsEpoch = `UPDATE auth_settings_epoch SET n = n + 1 WHERE id = 1`
	sqlSettingsEpoch     = `SELECT n FROM auth_settings_epoch WHERE id = 1`
)

// Setting returns the value of a setting; NotFound when it was never set.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.readRow(ctx, sqlSetting, []any{key}, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFoundAuth("setting " + key)
	}
	return v, err
}

// SetSetting sets a setting, replacing its value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.settingsChange(ctx, func(tx *sql.Tx) error {
		if _, err := s.txExec(ctx, tx, `INSERT INTO auth_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
			return err
		}
		_, err := s.txExec(ctx, tx, sqlBumpSettingsEpoch)
		return err
	})
}

// InitSetting stores value under key unless the key is set already, and
// returns the value the database holds afterwards: the first writer's.
// Nodes that start together and each make a secret (a MAC key) call it
// with their own candidate and all settle on the one that was stored, so
// none of them keeps using a value the others never saw.
func (s *Store) InitSetting(ctx context.Context, key, value string) (string, error) {
	err := s.settingsChange(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `INSERT INTO auth_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO NOTHING`, key, value)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // another node's value stands: nothing changed
		}
		_, err = s.txExec(ctx, tx, sqlBumpSettingsEpoch)
		return err
	})
	if err != nil {
		return "", err
	}
	// Read back whatever was stored, never the candidate: the insert
	// above did nothing when another node got there first.
	return s.Setting(ctx, key)
}

// SettingsEpoch is the count of setting changes so far, on any node (see
// sqlBumpSettingsEpoch): while it is unchanged, no setting changed.
func (s *Store) SettingsEpoch(ctx context.Context) (int64, error) {
	var n int64
	err := s.readRow(ctx, sqlSettingsEpoch, nil, &n)
	return n, err
}

// LocalSettingChanges counts the writes through this Store that may have
// changed a setting. It reads no database: a SettingsCache compares it
// with the count it saw, so that a change made through this node takes
// effect on it at once, before the epoch is read again.
func (s *Store) LocalSettingChanges() uint64 { return s.localSettings.Load() }

// settingsChange runs a write that may change settings and counts it in
// LocalSettingChanges once it committed (or failed, when it may have).
func (s *Store) settingsChange(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.localSettings.Add(1)
	return s.write(ctx, fn)
}
