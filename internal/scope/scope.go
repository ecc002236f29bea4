package scope

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// Scope is one parsed scope. The zero value is not a scope; build scopes
// with Parse.
type Scope struct {
	// Name is the whole scope of a non-resource scope (openid, api:oemr);
	// empty for resource scopes.
	Name string

	Context  Context
	Target   Target
	Resource string // "Observation", "soap_note" or "*"

	// Perms are the permitted interactions, in v2 terms; zero for an
	// operation scope.
	Perms Perms
	// Operation is the operation name with its "$" ("$export"), for
	// operation scopes.
	Operation string
	// Filter is the granular query; zero when the scope is not granular.
	Filter Filter

	// V1 records that the scope was written in SMART v1 form (.read,
	// .write, .*), so that it is answered in that form.
	V1 bool
}

// nonResource are the scopes that name no resource. Each is accepted as is.
var nonResource = map[string]struct{}{
	"openid":           {},
	"fhirUser":         {},
	"profile":          {},
	"launch":           {},
	"launch/patient":   {},
	"launch/encounter": {},
	"offline_access":   {},
	"online_access":    {},
	"api:fhir":         {},
	"api:oemr":         {},
	"api:port":         {},
}

// Names of the non-resource scopes the faces and the authorization server
// ask about.
const (
	OpenID          = "openid"
	FHIRUser        = "fhirUser"
	Profile         = "profile"
	Launch          = "launch"
	LaunchPatient   = "launch/patient"
	LaunchEncounter = "launch/encounter"
	OfflineAccess   = "offline_access"
	OnlineAccess    = "online_access"
	APIFHIR         = "api:fhir"
	APIOEMR         = "api:oemr"
	APIPortal       = "api:port"
)

// Parse reads one scope. The error is an *errs.Error of kind Invalid naming
// the scope and what is wrong with it.
func Parse(s string) (Scope, error) {
	sc, msg := parse(s)
	if msg != "" {
		return Scope{}, &errs.Error{Kind: errs.Invalid, Field: "scope", Message: "scope " + quote(s) + ": " + msg}
	}
	return sc, nil
}

func parse(s string) (Scope, string) {
	if s == "" {
		return Scope{}, "empty scope"
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return Scope{}, "contains white space"
	}
	if _, ok := nonResource[s]; ok {
		return Scope{Name: s, Target: NonResource}, ""
	}
	ctxName, rest, ok := strings.Cut(s, "/")
	if !ok {
		return Scope{}, "unknown scope"
	}
	if ctxName == "launch" {
		return Scope{}, "unsupported launch context (launch/patient and launch/encounter are supported)"
	}
	ctx, ok := parseContext(ctxName)
	if !ok {
		return Scope{}, "unknown scope (resource scopes start with patient/, user/ or system/)"
	}
	body, query, granular := strings.Cut(rest, "?")
	res, access, ok := strings.Cut(body, ".")
	if !ok || access == "" {
		return Scope{}, "missing access after \".\" (for example .rs or .read)"
	}
	sc := Scope{Context: ctx, Resource: res}
	switch {
	case res == "*":
		sc.Target = Wildcard
	case IsFHIRType(res), res == Document:
		sc.Target = FHIR
	case IsAPIName(res):
		sc.Target = API
	case res == "":
		return Scope{}, "missing resource type"
	case res[0] >= 'A' && res[0] <= 'Z':
		return Scope{}, "unknown FHIR R4 resource type " + quote(res)
	default:
		return Scope{}, "malformed resource name " + quote(res)
	}
	switch {
	case access[0] == '$':
		if !validOperation(access) {
			return Scope{}, "malformed operation name " + quote(access)
		}
		sc.Operation = access
	case access == "read":
		sc.Perms, sc.V1 = PermsV1Read, true
	case access == "write":
		sc.Perms, sc.V1 = PermsV1Write, true
	case access == "*":
		sc.Perms, sc.V1 = PermsAll, true
	default:
		p, ok := parsePerms(access)
		if !ok {
			return Scope{}, "access " + quote(access) + " is neither read, write or * (SMART v1) nor letters of cruds in that order, each at most once (SMART v2)"
		}
		sc.Perms = p
	}
	if res == Document && (sc.Operation != "" || sc.Perms&^PermsV1Read != 0) {
		return Scope{}, "Document scopes grant reading only (.read, or v2 letters within rs)"
	}
	if granular {
		switch {
		case res == Document:
			return Scope{}, "a Document scope takes no granular query"
		case sc.Operation != "":
			return Scope{}, "an operation scope takes no granular query"
		case sc.V1:
			return Scope{}, "granular queries need SMART v2 access letters (.rs, not .read)"
		case sc.Target != FHIR:
			return Scope{}, "granular queries need a FHIR resource type"
		}
		f, msg := parseFilter(query)
		if msg != "" {
			return Scope{}, msg
		}
		sc.Filter = f
	}
	return sc, ""
}

// validOperation accepts "$" and a name of letters, digits and "-", starting
// with a letter ($export, $bulkdata-status, $docref).
func validOperation(s string) bool {
	if len(s) < 2 || s[0] != '$' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9') || c == '-':
			if i == 1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// IsResource reports whether the scope grants access to resources (or an
// operation on them), as opposed to openid, launch and the like.
func (s Scope) IsResource() bool { return s.Target != NonResource }

// Granular reports whether the scope carries a filter.
func (s Scope) Granular() bool { return !s.Filter.IsZero() }

// String is the scope as written: v1 scopes in v1 form, v2 scopes with their
// letters in order. For a scope returned by Parse it is the parsed string.
func (s Scope) String() string {
	if s.Target == NonResource {
		return s.Name
	}
	var b strings.Builder
	b.WriteString(s.Context.String())
	b.WriteByte('/')
	b.WriteString(s.Resource)
	b.WriteByte('.')
	switch w, ok := s.Perms.v1Word(); {
	case s.Operation != "":
		b.WriteString(s.Operation)
	case s.V1 && ok && !s.Granular():
		b.WriteString(w)
	default:
		b.WriteString(s.Perms.String())
	}
	if s.Granular() {
		b.WriteByte('?')
		b.WriteString(s.Filter.Query)
	}
	return b.String()
}

// V2 is the scope in SMART v2 form (user/Patient.read becomes
// user/Patient.rs).
func (s Scope) V2() Scope {
	s.V1 = false
	return s
}

// Document is the resource of the scopes the product's scope list names
// patient/Document.read, user/Document.read and system/Document.read: no R4
// type, but documents, which FHIR keeps as a DocumentReference and the
// Binary its attachment points at. Such a scope reads (and searches) both;
// it never writes.
const Document = "Document"

// documentTypes are the FHIR types a Document scope reaches.
var documentTypes = [...]string{"DocumentReference", "Binary"}

// matchesResource reports whether the scope's resource covers the named
// resource: the same name, the wildcard, or for a Document scope the
// document types. Names are compared exactly, so FHIR types (capitalised)
// never meet /api/ names (lower case).
func (s Scope) matchesResource(resource string) bool {
	if s.Resource == Document {
		return resource == documentTypes[0] || resource == documentTypes[1]
	}
	return s.Resource == "*" || s.Resource == resource
}

// Covers reports whether s grants everything t grants: same context, a
// resource covering t's, the same operation or a superset of t's permissions,
// and a filter t's filter is within.
func (s Scope) Covers(t Scope) bool {
	if s.Target == NonResource || t.Target == NonResource {
		return s.Target == t.Target && s.Name == t.Name
	}
	return s.Context == t.Context &&
		(s.Resource == "*" || s.Resource == t.Resource) &&
		s.Operation == t.Operation &&
		s.Perms.Covers(t.Perms) &&
		t.Filter.Within(s.Filter)
}
