package authz

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Roles a token may carry. The role says who the subject is and so which
// scope context applies (see the package doc).
const (
	RoleAdmin       = "admin"
	RoleClinician   = "clinician"
	RoleFrontOffice = "front-office"
	RolePatient     = "patient"
	RoleSystem      = "system" // a backend client (client credentials)
)

// IsUserRole reports whether role is a staff user's: admin, clinician or
// front-office.
func IsUserRole(role string) bool {
	return role == RoleAdmin || role == RoleClinician || role == RoleFrontOffice
}

func validRole(role string) bool {
	return IsUserRole(role) || role == RolePatient || role == RoleSystem
}

// Claims are the claims of an access token.
type Claims struct {
	Issuer   string    // iss: the server's base URL
	Subject  string    // sub: the user id, patient-user id or client id
	Audience string    // aud: the FHIR base URL
	Expiry   time.Time // exp
	IssuedAt time.Time // iat
	// NotBefore is nbf; zero leaves it out (the token is valid from iat).
	NotBefore time.Time
	ID        string // jti: random, URL-safe; the key for revocation

	ClientID  string // client_id
	Scope     string // scope: space-separated, as granted
	Patient   string // patient: the patient in context, if any
	Encounter string // encounter: the encounter in context, if any
	FHIRUser  string // fhirUser: Practitioner/123, Patient/abc, …
	Role      string // role: admin, clinician, front-office, patient or system
	Grant     string // grant: the grant (refresh family) id, for revoking a whole grant
}

// wireClaims is the JSON form. Times are NumericDate (seconds).
type wireClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	ID        string           `json:"jti"`
	ClientID  string           `json:"client_id,omitempty"`
	Scope     string           `json:"scope"`
	Patient   string           `json:"patient,omitempty"`
	Encounter string           `json:"encounter,omitempty"`
	FHIRUser  string           `json:"fhirUser,omitempty"`
	Role      string           `json:"role"`
	Grant     string           `json:"grant,omitempty"`
}

func (c Claims) marshal() ([]byte, error) {
	w := wireClaims{
		Issuer: c.Issuer, Subject: c.Subject, Audience: jwt.Audience{c.Audience},
		Expiry: jwt.NewNumericDate(c.Expiry), IssuedAt: jwt.NewNumericDate(c.IssuedAt),
		ID: c.ID, ClientID: c.ClientID, Scope: c.Scope, Patient: c.Patient, Encounter: c.Encounter,
		FHIRUser: c.FHIRUser, Role: c.Role, Grant: c.Grant,
	}
	if !c.NotBefore.IsZero() {
		w.NotBefore = jwt.NewNumericDate(c.NotBefore)
	}
	return json.Marshal(w)
}

// unmarshalClaims reads a token's payload. aud may be a string or a list;
// the Audience field keeps the one that matched (the verifier checks it).
func unmarshalClaims(payload []byte, audience string) (Claims, error) {
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return Claims{}, fmt.Errorf("claims: %w", err)
	}
	if w.Expiry == nil || w.IssuedAt == nil {
		return Claims{}, fmt.Errorf("claims: exp and iat are required")
	}
	c := Claims{
		Issuer: w.Issuer, Subject: w.Subject, Expiry: w.Expiry.Time().UTC(), IssuedAt: w.IssuedAt.Time().UTC(),
		ID: w.ID, ClientID: w.ClientID, Scope: w.Scope, Patient: w.Patient, Encounter: w.Encounter,
		FHIRUser: w.FHIRUser, Role: w.Role, Grant: w.Grant,
	}
	if w.NotBefore != nil {
		c.NotBefore = w.NotBefore.Time().UTC()
	}
	if w.Audience.Contains(audience) {
		c.Audience = audience
	} else if len(w.Audience) > 0 {
		c.Audience = w.Audience[0]
	}
	return c, nil
}
