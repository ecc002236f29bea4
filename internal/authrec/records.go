package authrec

import (
	"net/url"
	"time"
)

// ClientStatus is where a client stands with the administrator. Only an
// approved client may authorize or get tokens.
type ClientStatus string

const (
	ClientPending  ClientStatus = "pending"
	ClientApproved ClientStatus = "approved"
	ClientDisabled ClientStatus = "disabled"
)

// Client authentication methods (token_endpoint_auth_method).
const (
	AuthNone              = "none" // a public client: client_id only, PKCE
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
)

// Accounts a user signs in with (Interaction.Account, Session.Account, the login form's
// user_role).
const (
	AccountStaff   = "users"
	AccountPatient = "patient"
)

// Client is a registered OAuth client.
type Client struct {
	ID   string
	Name string
	// AuthMethod is how the client authenticates at the token endpoint
	// (AuthNone for a public client).
	AuthMethod string
	// SecretHash is the hash of the client secret (auth.HashSecret); empty
	// for public and private_key_jwt clients.
	SecretHash string

	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// LaunchURI is the SMART launch URL (initiate_login_uri), opened for an
	// EHR launch.
	LaunchURI  string
	GrantTypes []string
	// Scope is the space-separated list of scopes the client may be granted.
	Scope string

	// JWKSURI or JWKS (a JSON Web Key Set document, by value) hold the keys
	// of a private_key_jwt client; at most one is set.
	JWKSURI string
	JWKS    string

	Contacts []string
	LogoURI  string

	Status    ClientStatus
	CreatedAt time.Time
}

// Public reports whether the client cannot keep a secret.
func (c Client) Public() bool { return c.AuthMethod == AuthNone }

// HasGrantType reports whether the client registered the grant type.
func (c Client) HasGrantType(gt string) bool {
	for _, g := range c.GrantTypes {
		if g == gt {
			return true
		}
	}
	return false
}

// Origins are the origins (scheme://host[:port]) of the client's redirect
// URIs, each once: what CORS compares an Origin header with.
func (c Client) Origins() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range c.RedirectURIs {
		if o := OriginOf(r); o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// OriginOf is the origin (scheme://host[:port]) of an absolute URL as a
// browser's Origin header names it; "" when u is not absolute.
func OriginOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// User is a staff user: a clinician, front-office worker or administrator.
type User struct {
	ID           string
	Username     string
	PasswordHash string // auth.PasswordHasher's Hash
	Role         string // authz.RoleAdmin, RoleClinician or RoleFrontOffice
	// Practitioner is the id of the user's Practitioner resource, if any:
	// their fhirUser.
	Practitioner string
	Name         string
	Email        string
	Disabled     bool
	CreatedAt    time.Time
}

// PatientUser is a patient-portal user, bound to one patient.
type PatientUser struct {
	ID           string
	Username     string
	PasswordHash string
	Patient      string // the id of the user's Patient resource
	Name         string
	Email        string
	Disabled     bool
	CreatedAt    time.Time
}

// Session is a browser session kept on the server: the site's pages, the
// authorization server's sign-in, and the portal's hand-off to it. Its
// cookie carries a random value; the store keeps only the hash of it, so a
// copy of the table gives no usable cookie.
type Session struct {
	Hash    string
	Purpose string // auth.SessionLogin, auth.SessionSSO, or the site's page areas (the column "kind")
	Account string // AccountStaff or AccountPatient (the column "user_kind"), so a password change can end them all
	UserID  string
	// Parent is the hash of the session this one came from (the portal
	// session a hand-off was made in); ending the parent ends it.
	Parent        string
	CreatedAt     time.Time
	SeenAt        time.Time
	IdleExpiresAt time.Time // renewed by use
	ExpiresAt     time.Time // absolute
}

// Live reports whether the session has not timed out at now.
func (s Session) Live(now time.Time) bool {
	return now.Before(s.IdleExpiresAt) && now.Before(s.ExpiresAt)
}

// FHIRContext is one entry of the SMART fhirContext launch parameter
// (SMART 2.2: at least one of Reference and Canonical).
type FHIRContext struct {
	Reference string `json:"reference,omitempty"` // "Appointment/123"
	Canonical string `json:"canonical,omitempty"`
	Type      string `json:"type,omitempty"`
	Role      string `json:"role,omitempty"`
}

// Launch is an EHR launch context: what the launch parameter stands for.
type Launch struct {
	Hash        string // the hash of the launch value
	ClientID    string // the client the launch was made for
	Patient     string
	Encounter   string
	Intent      string
	FHIRContext []FHIRContext
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Interaction is an authorization in progress in a browser: the checked
// authorize request and what the pages have established since (who signed
// in, which patient). It is bound to the browser session that began it.
// The store keeps it as one JSON document (these tags), read back only by
// ID.
type Interaction struct {
	ID          string `json:"id"`
	SessionHash string `json:"session_hash"` // the hash of the session cookie
	// LoginSession is the hash of the sign-in session the user signed in
	// with (this server's login or the portal's): an online_access grant
	// lives on it.
	LoginSession string `json:"login_session,omitempty"`
	CSRF         string `json:"csrf"` // the token the pages' forms carry

	ClientID      string `json:"client_id"`
	RedirectURI   string `json:"redirect_uri"`
	State         string `json:"state,omitempty"`
	Nonce         string `json:"nonce,omitempty"`
	CodeChallenge string `json:"code_challenge,omitempty"` // S256
	// Scope is what may be granted: requested ∩ registered.
	Scope string `json:"scope"`

	// Launch context: from the launch parameter (EHR launch) or, for
	// Patient, the picker or the patient who signed in.
	EHRLaunch   bool          `json:"ehr_launch,omitempty"`
	Patient     string        `json:"patient,omitempty"`
	Encounter   string        `json:"encounter,omitempty"`
	Intent      string        `json:"intent,omitempty"`
	FHIRContext []FHIRContext `json:"fhir_context,omitempty"`

	// Who signed in; empty until the login page succeeds.
	UserID   string    `json:"user_id,omitempty"`
	Account  string    `json:"user_kind,omitempty"` // AccountStaff or AccountPatient
	Role     string    `json:"role,omitempty"`
	FHIRUser string    `json:"fhir_user,omitempty"`
	AuthTime time.Time `json:"auth_time,omitzero"`

	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Code is an authorization code. What it authorizes is its Grant, created
// with it; the code adds what belongs to the one exchange.
type Code struct {
	Hash          string
	GrantID       string
	ClientID      string
	RedirectURI   string
	CodeChallenge string // S256; empty when the client sent none
	Nonce         string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time // zero until consumed
}

// Grant is what a user authorized a client to do: the scopes and the launch
// context every token of the grant carries.
type Grant struct {
	ID        string
	ClientID  string
	GrantType string // auth.GrantAuthorizationCode or auth.GrantPassword
	Subject   string // the user's or patient user's id: sub
	Role      string // the tokens' role
	FHIRUser  string // "Practitioner/123", "Patient/abc" or empty
	Scope     string

	Patient           string
	Encounter         string
	Intent            string
	FHIRContext       []FHIRContext
	NeedPatientBanner bool

	AuthTime  time.Time
	CreatedAt time.Time
	RevokedAt time.Time // zero unless revoked
	// Session is the hash of the sign-in session an online_access grant
	// lives on: its refresh tokens work only while that session does.
	// Empty for every other grant.
	Session string
	// LastUsedAt is when the newest refresh token of the grant was
	// created: when the app last got tokens with one (the first exchange
	// included); zero when the grant has none. The store derives it from
	// the refresh tokens on read, so the token endpoint writes nothing
	// extra; creating a grant ignores it.
	LastUsedAt time.Time
}

// Revoked reports whether the grant was revoked.
func (g Grant) Revoked() bool { return !g.RevokedAt.IsZero() }

// RefreshToken is one refresh token of a grant. Rotation replaces it by a
// new one; the old one is kept, marked rotated, so its reuse is recognised.
type RefreshToken struct {
	Hash      string
	GrantID   string
	ClientID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt time.Time // zero while current
}

// TokenRef is what the revocation check needs of an access token.
type TokenRef struct {
	JTI, Grant, ClientID string
	IssuedAt             time.Time // iat, whole seconds
}

// ThrottleEntry is the failed-authentication count of one key (see
// package loginthrottle, which turns counts into delays).
type ThrottleEntry struct {
	Key      string
	Failures int
	LastAt   time.Time // the newest failure
	Until    time.Time // no attempt is checked before; zero when at once
}

// SigningKey is one of the server's own token signing keys as stored. The
// private key is kept because every node must sign with it.
type SigningKey struct {
	KID        string
	Alg        string // ES256 or RS256
	PrivatePEM []byte // PKCS#8, PEM type "PRIVATE KEY"
	Created    time.Time
	// NotAfter ends the key's life: after it no token signed by the key is
	// accepted and the key leaves the JWKS.
	NotAfter time.Time
	// Slot is "alg:kid" of the key this one succeeds ("alg:" for the
	// first): nodes that each make a successor at the same moment offer
	// the same slot, and the store keeps only the first.
	Slot string
}
