package store

import (
	"context"
	"database/sql"
	"errors"
)

// The people who sign in to the authorization server: staff users and
// patient-portal users, each kind with its own unique usernames.

const (
	sqlStaffCols    = `id, username, password_hash, role, practitioner, name, email, disabled, created_at`
	sqlPortalCols   = `id, username, password_hash, patient, name, email, disabled, created_at`
	sqlInsertStaff  = `INSERT INTO auth_users (` + sqlStaffCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertPortal = `INSERT INTO auth_patient_users (` + sqlPortalCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// CreateStaffUser stores a staff user. Conflict when the id or the username
// is taken.
func (s *Store) CreateStaffUser(ctx context.Context, u StaffUser) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertStaff, u.ID, u.Username, u.PasswordHash, u.Role, u.Practitioner,
			u.Name, u.Email, u.Disabled, nullMicros(u.CreatedAt))
		return err
	})
	return insertConflict(err, "user with this id or username")
}

// StaffUserByID returns the staff user with the id.
func (s *Store) StaffUserByID(ctx context.Context, id string) (StaffUser, error) {
	return s.staffUser(ctx, `SELECT `+sqlStaffCols+` FROM auth_users WHERE id = ?`, id)
}

// StaffUserByUsername returns the staff user with the username, compared
// exactly.
func (s *Store) StaffUserByUsername(ctx context.Context, username string) (StaffUser, error) {
	return s.staffUser(ctx, `SELECT `+sqlStaffCols+` FROM auth_users WHERE username = ?`, username)
}

func (s *Store) staffUser(ctx context.Context, q, key string) (StaffUser, error) {
	u, err := scanStaff(s.r.QueryRowContext(ctx, s.d.rebind(q), key))
	if errors.Is(err, sql.ErrNoRows) {
		return StaffUser{}, notFoundAuth("user")
	}
	return u, err
}

// StaffUsers lists every staff user by username.
func (s *Store) StaffUsers(ctx context.Context) ([]StaffUser, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlStaffCols+` FROM auth_users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StaffUser
	for rows.Next() {
		u, err := scanStaff(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanStaff(r rowScanner) (StaffUser, error) {
	var u StaffUser
	var created sql.NullInt64
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Practitioner, &u.Name, &u.Email, &u.Disabled, &created)
	u.CreatedAt = timeFromNullMicros(created)
	return u, err
}

// CreatePortalUser stores a patient-portal user. Conflict when the id or the
// username is taken.
func (s *Store) CreatePortalUser(ctx context.Context, u PortalUser) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertPortal, u.ID, u.Username, u.PasswordHash, u.Patient,
			u.Name, u.Email, u.Disabled, nullMicros(u.CreatedAt))
		return err
	})
	return insertConflict(err, "patient user with this id or username")
}

// PortalUserByID returns the patient-portal user with the id.
func (s *Store) PortalUserByID(ctx context.Context, id string) (PortalUser, error) {
	return s.portalUser(ctx, `SELECT `+sqlPortalCols+` FROM auth_patient_users WHERE id = ?`, id)
}

// PortalUserByUsername returns the patient-portal user with the username,
// compared exactly.
func (s *Store) PortalUserByUsername(ctx context.Context, username string) (PortalUser, error) {
	return s.portalUser(ctx, `SELECT `+sqlPortalCols+` FROM auth_patient_users WHERE username = ?`, username)
}

func (s *Store) portalUser(ctx context.Context, q, key string) (PortalUser, error) {
	u, err := scanPortal(s.r.QueryRowContext(ctx, s.d.rebind(q), key))
	if errors.Is(err, sql.ErrNoRows) {
		return PortalUser{}, notFoundAuth("patient user")
	}
	return u, err
}

// PortalUsers lists every patient-portal user by username.
func (s *Store) PortalUsers(ctx context.Context) ([]PortalUser, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlPortalCols+` FROM auth_patient_users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PortalUser
	for rows.Next() {
		u, err := scanPortal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanPortal(r rowScanner) (PortalUser, error) {
	var u PortalUser
	var created sql.NullInt64
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Patient, &u.Name, &u.Email, &u.Disabled, &created)
	u.CreatedAt = timeFromNullMicros(created)
	return u, err
}

// SetStaffPasswordHash replaces a staff user's password hash. NotFound when
// there is no such user.
func (s *Store) SetStaffPasswordHash(ctx context.Context, id, hash string) error {
	return s.setPasswordHash(ctx, `UPDATE auth_users SET password_hash = ? WHERE id = ?`, id, hash)
}

// SetPortalPasswordHash replaces a patient-portal user's password hash.
// NotFound when there is no such user.
func (s *Store) SetPortalPasswordHash(ctx context.Context, id, hash string) error {
	return s.setPasswordHash(ctx, `UPDATE auth_patient_users SET password_hash = ? WHERE id = ?`, id, hash)
}

func (s *Store) setPasswordHash(ctx context.Context, q, id, hash string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, q, hash, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return notFoundAuth("user")
		}
		return nil
	})
}
