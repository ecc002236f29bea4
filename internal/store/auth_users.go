package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/emedpractice/emp/internal/authrec"
)

// The people who sign in to the authorization server: staff users and
// patient-portal users, each account with its own unique usernames.

const (
	sqlStaffCols    = `id, username, password_hash, role, practitioner, name, email, disabled, created_at`
	sqlPortalCols   = `id, username, password_hash, patient, name, email, disabled, created_at`
	sqlInsertStaff  = `INSERT INTO auth_users (` + sqlStaffCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertPortal = `INSERT INTO auth_patient_users (` + sqlPortalCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// CreateUser stores a staff user. Conflict when the id or the username is
// taken.
func (s *Store) CreateUser(ctx context.Context, u authrec.User) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertStaff, u.ID, u.Username, u.PasswordHash, u.Role, u.Practitioner,
			u.Name, u.Email, u.Disabled, nullMicros(u.CreatedAt))
		return err
	})
	return insertConflict(err, "user with this id or username")
}

// UserByID returns the staff user with the id.
func (s *Store) UserByID(ctx context.Context, id string) (authrec.User, error) {
	return s.staffUser(ctx, `SELECT `+sqlStaffCols+` FROM auth_users WHERE id = ?`, id)
}

// UserByUsername returns the staff user with the username, compared
// exactly.
func (s *Store) UserByUsername(ctx context.Context, username string) (authrec.User, error) {
	return s.staffUser(ctx, `SELECT `+sqlStaffCols+` FROM auth_users WHERE username = ?`, username)
}

func (s *Store) staffUser(ctx context.Context, q, key string) (authrec.User, error) {
	u, err := scanStaff(s.r.QueryRowContext(ctx, s.d.rebind(q), key))
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.User{}, notFoundAuth("user")
	}
	return u, err
}

// Users lists every staff user by username.
func (s *Store) Users(ctx context.Context) ([]authrec.User, error) {
	rows, err := s.replica.QueryContext(ctx, `SELECT `+sqlStaffCols+` FROM auth_users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.User
	for rows.Next() {
		u, err := scanStaff(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanStaff(r rowScanner) (authrec.User, error) {
	var u authrec.User
	var created sql.NullInt64
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Practitioner, &u.Name, &u.Email, &u.Disabled, &created)
	u.CreatedAt = timeFromNullMicros(created)
	return u, err
}

// CreatePatientUser stores a patient-portal user. Conflict when the id or
// the username is taken.
func (s *Store) CreatePatientUser(ctx context.Context, u authrec.PatientUser) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, sqlInsertPortal, u.ID, u.Username, u.PasswordHash, u.Patient,
			u.Name, u.Email, u.Disabled, nullMicros(u.CreatedAt))
		return err
	})
	return insertConflict(err, "patient user with this id or username")
}

// PatientUserByID returns the patient-portal user with the id.
func (s *Store) PatientUserByID(ctx context.Context, id string) (authrec.PatientUser, error) {
	return s.portalUser(ctx, `SELECT `+sqlPortalCols+` FROM auth_patient_users WHERE id = ?`, id)
}

// PatientUserByUsername returns the patient-portal user with the
// username, compared exactly.
func (s *Store) PatientUserByUsername(ctx context.Context, username string) (authrec.PatientUser, error) {
	return s.portalUser(ctx, `SELECT `+sqlPortalCols+` FROM auth_patient_users WHERE username = ?`, username)
}

func (s *Store) portalUser(ctx context.Context, q, key string) (authrec.PatientUser, error) {
	u, err := scanPortal(s.r.QueryRowContext(ctx, s.d.rebind(q), key))
	if errors.Is(err, sql.ErrNoRows) {
		return authrec.PatientUser{}, notFoundAuth("patient user")
	}
	return u, err
}

// PatientUsers lists every patient-portal user by username.
func (s *Store) PatientUsers(ctx context.Context) ([]authrec.PatientUser, error) {
	rows, err := s.replica.QueryContext(ctx, `SELECT `+sqlPortalCols+` FROM auth_patient_users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authrec.PatientUser
	for rows.Next() {
		u, err := scanPortal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanPortal(r rowScanner) (authrec.PatientUser, error) {
	var u authrec.PatientUser
	var created sql.NullInt64
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Patient, &u.Name, &u.Email, &u.Disabled, &created)
	u.CreatedAt = timeFromNullMicros(created)
	return u, err
}

// SetPasswordHash replaces the password hash of the user of the account
// (authrec.AccountStaff or AccountPatient). NotFound when there is no such user.
func (s *Store) SetPasswordHash(ctx context.Context, account, id, hash string) error {
	switch account {
	case authrec.AccountStaff:
		return s.setPasswordHash(ctx, `UPDATE auth_users SET password_hash = ? WHERE id = ?`, id, hash)
	case authrec.AccountPatient:
		return s.setPasswordHash(ctx, `UPDATE auth_patient_users SET password_hash = ? WHERE id = ?`, id, hash)
	}
	return notFoundAuth("user")
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
