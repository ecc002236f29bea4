package auth

import (
	"context"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// Storage is everything the authorization server keeps. *store.Store
// implements it over the database, so that every node of a cluster shares
// the clients, users, flows and grants; the contract tests in authtest hold
// it to these rules on every database.
//
// Conventions for every method: the context comes first; records go in and
// out by value, and a record returned is a copy the caller may keep; a lookup
// that finds nothing returns an *errs.Error of kind NotFound; creating a
// record whose key exists returns account Conflict. Hashes are the values of
// HashSecret (base64url SHA-256), so a store never sees a usable secret.
// Times are compared by the caller: a store returns expired records as they
// are and may delete them some time after their ExpiresAt. A store may keep
// times to the microsecond only; a zero time stays zero.
type Storage interface {
	ClientStore
	UserStore
	FlowStore
	GrantStore
	SettingStore
	SessionStore
}

// ClientStore keeps the registered clients.
type ClientStore interface {
	// CreateClient stores a new client. Conflict when the id exists.
	CreateClient(ctx context.Context, c Client) error
	// Client returns the client with the id.
	Client(ctx context.Context, id string) (Client, error)
	// Clients lists every client, oldest first (the operator's list).
	Clients(ctx context.Context) ([]Client, error)
	// SetClientStatus approves or disables a client. Disabling revokes
	// every grant of the client and every access token it holds, on every
	// node within the revocation window; approving it again leaves those
	// dead (only tokens issued after the approval work). The store audits
	// the change with the context's store.RequestInfo. NotFound when there
	// is no such client.
	SetClientStatus(ctx context.Context, id string, s ClientStatus) error
	// SetClientSecretHash replaces the client's secret hash (HashSecret of
	// a new secret): the operator rotating a confidential client's secret.
	// NotFound when there is no such client.
	SetClientSecretHash(ctx context.Context, id, hash string) error
	// DeleteClient removes a client with everything it was granted: its
	// grants (so, through Revoked, their access tokens stop working), their
	// refresh tokens, and its pending codes and launches; its tokens without
	// a grant stop too. Audited like SetClientStatus. NotFound when there
	// is no such client.
	DeleteClient(ctx context.Context, id string) error
	// OriginRegistered reports whether an approved client has a redirect
	// URI on the origin ("https://app.example:8443", scheme://host[:port] as
	// Origin sends it). CORS asks it for every cross-origin call to the token,
	// introspection, revocation and userinfo endpoints, so it should be an
	// indexed lookup.
	OriginRegistered(ctx context.Context, origin string) (bool, error)
}

// UserStore keeps the people who sign in: staff users and patient-portal
// users. Usernames are unique within each account, compared exactly (the server
// does not fold case).
type UserStore interface {
	// CreateUser stores a staff user. Conflict when the id or the username
	// is taken.
	CreateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id string) (User, error)
	UserByUsername(ctx context.Context, username string) (User, error)

	// CreatePatientUser stores a patient-portal user. Conflict when the id
	// or the username is taken.
	CreatePatientUser(ctx context.Context, u PatientUser) error
	PatientUserByID(ctx context.Context, id string) (PatientUser, error)
	PatientUserByUsername(ctx context.Context, username string) (PatientUser, error)

	// Users and PatientUsers list every user of the account by username, for
	// the operator's pages.
	Users(ctx context.Context) ([]User, error)
	PatientUsers(ctx context.Context) ([]PatientUser, error)

	// SetPasswordHash replaces the password hash of the user of the account
	// (AccountStaff or AccountPatient). NotFound when there is no such user.
	SetPasswordHash(ctx context.Context, account, id, hash string) error
}

// SessionStore keeps the browser sessions: the site's pages, this
// server's sign-in, and the portal's hand-off to it. A session is found by
// the hash of its cookie's value.
type SessionStore interface {
	// CreateSession stores a new session. Conflict when the hash exists.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with the hash, expired or not; NotFound
	// when it was ended (or purged).
	Session(ctx context.Context, hash string) (Session, error)
	// TouchSession renews the idle expiry of a session in use. NotFound
	// when it was ended meanwhile.
	TouchSession(ctx context.Context, hash string, seen, idleUntil time.Time) error
	// EndSession deletes the session and every session whose Parent it
	// is; ending one that is gone is not an error.
	EndSession(ctx context.Context, hash string) error
	// EndUserSessions ends every session of the user of the account (and the
	// sessions started from them).
	EndUserSessions(ctx context.Context, account, userID string) error
}

// Session purposes of this server.
const (
	// SessionLogin is a sign-in on this server's login page.
	SessionLogin = "login"
	// SessionSSO is the portal's hand-off (sso.go).
	SessionSSO = "sso"
)

// FlowStore keeps the short-lived state of the browser flows and of client
// authentication.
type FlowStore interface {
	// SaveInteraction stores an authorization in progress, replacing the
	// one with the same ID. A store may keep the record as one JSON
	// document: the server reads it back only by ID.
	SaveInteraction(ctx context.Context, in Interaction) error
	// Interaction returns the interaction with the id.
	Interaction(ctx context.Context, id string) (Interaction, error)
	// DeleteInteraction removes an interaction; removing a missing one is
	// not an error.
	DeleteInteraction(ctx context.Context, id string) error

	// CreateLaunch stores an EHR launch context. Conflict when the hash
	// exists.
	CreateLaunch(ctx context.Context, l Launch) error
	// Launch returns the launch context whose value hashes to hash.
	Launch(ctx context.Context, hash string) (Launch, error)

	// CreateCode stores a new authorization code. Conflict when the hash
	// exists.
	CreateCode(ctx context.Context, c Code) error
	// Code returns the code whose value hashes to hash, used or not,
	// without consuming it: the server checks who presents it before it
	// spends it.
	Code(ctx context.Context, hash string) (Code, error)
	// ConsumeCode marks the code used and returns it. It must be atomic:
	// of any number of concurrent calls for one code, exactly one sees
	// replay false. Every later call returns the code with replay true, so
	// the server can revoke what the first exchange issued; the store must
	// therefore keep a used code (at least until a while after it expires)
	// rather than delete it.
	ConsumeCode(ctx context.Context, hash string, at time.Time) (c Code, replay bool, err error)

	// UseAssertionID records the jti of a client assertion. It returns
	// false when the same client already used the jti, atomically (two
	// concurrent calls with one jti: one true, one false). The store must
	// remember the jti at least until expires.
	UseAssertionID(ctx context.Context, clientID, jti string, expires time.Time) (fresh bool, err error)
}

// GrantStore keeps what users authorized: grants, their refresh tokens and
// the revocations the gate asks about.
type GrantStore interface {
	// CreateGrant stores a new grant. Conflict when the id exists.
	CreateGrant(ctx context.Context, g Grant) error
	// Grant returns the grant with the id, revoked or not.
	Grant(ctx context.Context, id string) (Grant, error)
	// GrantsBySubject lists the grants a user made (Subject is the staff or
	// patient user's id), revoked or not, newest first: the portal's "apps
	// you authorized".
	GrantsBySubject(ctx context.Context, subject string) ([]Grant, error)
	// RevokeGrant marks the grant revoked at the time given, which ends its
	// refresh tokens and (through Revoked) its access tokens. Revoking a
	// revoked grant keeps the first time and is not an error; NotFound when
	// there is no such grant.
	RevokeGrant(ctx context.Context, id string, at time.Time) error

	// CreateRefreshToken stores the first refresh token of a family.
	// Conflict when the hash exists.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RefreshToken returns the refresh token with the hash, rotated or not.
	RefreshToken(ctx context.Context, hash string) (RefreshToken, error)
	// RotateRefreshToken replaces the current refresh token oldHash by next
	// (of the same grant), atomically: it marks oldHash rotated at the time
	// given and stores next, but only if oldHash was not rotated already.
	// If it was, nothing changes and the error has kind Conflict: the token
	// was used twice, which the server answers by revoking the grant. Of any
	// number of concurrent calls for one oldHash, at most one succeeds.
	// NotFound when oldHash is unknown.
	RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, at time.Time) error

	// RevokeToken revokes one access token by its jti. The store must
	// remember it at least until expires (the token's exp).
	RevokeToken(ctx context.Context, jti string, expires time.Time) error
	// Revoked reports whether the access token was revoked: by its jti,
	// with its grant (Grant may be empty: a client-credentials token has
	// none), or with its client (disabled or deleted after the token's
	// IssuedAt; see SetClientStatus). A grant the store does not hold counts
	// as revoked: every grant id in a token was stored before the token was
	// signed. The gate asks it for every token its revocation cache
	// (authz.RevocationCache) has no answer for, so it should be three
	// indexed lookups at most.
	Revoked(ctx context.Context, t TokenRef) (bool, error)
}

// SettingStore keeps the site settings (see the Setting constants).
type SettingStore interface {
	// Setting returns the value of a setting; NotFound when it was never
	// set.
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	// InitSetting stores value unless the key is set, and returns the
	// stored value (the first writer's): how nodes agree on a secret
	// each of them might create.
	InitSetting(ctx context.Context, key, value string) (string, error)
}

// Site settings the authorization server reads.
const (
	// SettingPasswordGrant enables the password grant when "on" (also
	// "1", "true" or "yes"); it is off when unset.
	SettingPasswordGrant = "password_grant"
	// SettingAppApproval is "auto" (the default: patient apps registering
	// themselves are approved at once) or "manual" (every registered client
	// waits for an administrator).
	SettingAppApproval = "app_approval"
)

// Grant types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantPassword          = "password"
	GrantClientCredentials = "client_credentials"
)

// The records are defined once, in authrec, where the store reads and
// writes them too; these names keep the server's code short.
type (
	Client       = authrec.Client
	ClientStatus = authrec.ClientStatus
	User         = authrec.User
	PatientUser  = authrec.PatientUser
	Session      = authrec.Session
	FHIRContext  = authrec.FHIRContext
	Launch       = authrec.Launch
	Interaction  = authrec.Interaction
	Code         = authrec.Code
	Grant        = authrec.Grant
	RefreshToken = authrec.RefreshToken
	TokenRef     = authrec.TokenRef
)

// Client statuses (authrec's).
const (
	ClientPending  = authrec.ClientPending
	ClientApproved = authrec.ClientApproved
	ClientDisabled = authrec.ClientDisabled
)

// Client authentication methods (token_endpoint_auth_method; authrec's).
const (
	AuthNone              = authrec.AuthNone
	AuthClientSecretBasic = authrec.AuthClientSecretBasic
	AuthClientSecretPost  = authrec.AuthClientSecretPost
	AuthPrivateKeyJWT     = authrec.AuthPrivateKeyJWT
)

// Accounts a user signs in with (Interaction.Account, the login form's user_role;
// authrec's).
const (
	AccountStaff   = authrec.AccountStaff
	AccountPatient = authrec.AccountPatient
)
