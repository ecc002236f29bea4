package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// The authorization server's records as the store keeps them. The store
// does not know the authorization server's types (it sits below it); an
// adapter in the auth tree converts. Hash fields hold hashes of secrets,
// never the secrets. FHIRContext fields are the caller's JSON, kept as given.

// OAuthClient is a registered OAuth client.
type OAuthClient struct {
	ID, Name               string
	AuthMethod, SecretHash string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	LaunchURI              string
	GrantTypes             []string
	Scope                  string
	JWKSURI, JWKS          string
	Contacts               []string
	LogoURI                string
	Status                 string
	CreatedAt              time.Time
	// Origins are the origins (scheme://host[:port]) of the redirect URIs,
	// computed by the caller; OriginRegistered looks them up. Not returned
	// by reads.
	Origins []string
}

// StaffUser is a clinician, front-office worker or administrator who signs
// in to the authorization server.
type StaffUser struct {
	ID, Username, PasswordHash string
	Role, Practitioner         string
	Name, Email                string
	Disabled                   bool
	CreatedAt                  time.Time
}

// PortalUser is a patient-portal user, bound to one patient.
type PortalUser struct {
	ID, Username, PasswordHash string
	Patient                    string
	Name, Email                string
	Disabled                   bool
	CreatedAt                  time.Time
}

// AuthInteraction is an authorization in progress, kept as the caller's
// JSON document; ExpiresAt lets Purge drop it.
type AuthInteraction struct {
	ID        string
	Doc       []byte
	ExpiresAt time.Time
}

// LaunchContext is an EHR launch context, by the hash of the launch value.
type LaunchContext struct {
	Hash, ClientID             string
	Patient, Encounter, Intent string
	FHIRContext                []byte
	CreatedAt, ExpiresAt       time.Time
}

// AuthCode is an authorization code; UsedAt is zero until it is consumed.
type AuthCode struct {
	Hash, GrantID, ClientID    string
	RedirectURI, CodeChallenge string
	Nonce                      string
	CreatedAt, ExpiresAt       time.Time
	UsedAt                     time.Time
}

// AuthGrant is what a user authorized a client to do.
type AuthGrant struct {
	ID, ClientID, GrantType    string
	Subject, Role, FHIRUser    string
	Scope                      string
	Patient, Encounter, Intent string
	FHIRContext                []byte
	NeedPatientBanner          bool
	AuthTime, CreatedAt        time.Time
	RevokedAt                  time.Time // zero unless revoked
	// Session is the hash of the sign-in session an online_access grant
	// lives on; empty for the others.
	Session string
	// LastUsedAt is when the grant's newest refresh token was created;
	// derived on read, ignored on create.
	LastUsedAt time.Time
}

// OAuthRefreshToken is one refresh token of a grant; RotatedAt is zero
// while it is the current one.
type OAuthRefreshToken struct {
	Hash, GrantID, ClientID string
	CreatedAt, ExpiresAt    time.Time
	RotatedAt               time.Time
}

// nullMicros is the column value of a time: Unix microseconds, or NULL for the
// zero time, so that "not yet" is a plain IS NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeFromNullMicros turns a column value written by nullMicros back into a time (UTC).
func timeFromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// jsonList encodes a list column; an empty list is "[]".
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always encodes
	return string(b)
}

// parseList decodes a list column; an empty list comes back nil.
func parseList(col, s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("store: column %s holds no JSON list: %w", col, err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// rawJSON is the column value of a caller's JSON document ("" for none),
// and back.
func rawJSON(b []byte) string { return string(b) }

func fromRawJSON(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// notFoundAuth and conflictAuth are the errors of the authorization records.
func notFoundAuth(what string) error { return errs.E(errs.NotFound, "%s not found", what) }
func conflictAuth(what string) error { return errs.E(errs.Conflict, "%s exists", what) }

// insertConflict maps a unique violation of an insert to Conflict; any
// other error passes unchanged.
func insertConflict(err error, what string) error {
	if isUniqueViolation(err) {
		return conflictAuth(what)
	}
	return err
}

// errsConflict is a Conflict that is not about an existing key.
func errsConflict(msg string) error { return errs.E(errs.Conflict, "%s", msg) }
