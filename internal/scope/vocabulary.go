package scope

import "strings"

// Context is the access context of a resource scope: whose data the scope
// reaches. patient/ scopes reach the data of the patient in context, user/
// scopes what the signed-in user may see, system/ scopes what a backend
// client was pre-authorised for.
type Context uint8

const (
	NoContext Context = iota // a non-resource scope such as openid
	Patient
	User
	System
)

var contextNames = [...]string{NoContext: "", Patient: "patient", User: "user", System: "system"}

func (c Context) String() string {
	if int(c) < len(contextNames) {
		return contextNames[c]
	}
	return "context(?)"
}

func parseContext(s string) (Context, bool) {
	switch s {
	case "patient":
		return Patient, true
	case "user":
		return User, true
	case "system":
		return System, true
	}
	return NoContext, false
}

// Interaction is one thing a client may do to a resource, as the SMART v2
// permission letters name them.
type Interaction uint8

const (
	Create Interaction = iota + 1 // c: create
	Read                          // r: read, vread, instance history
	Update                        // u: update, patch
	Delete                        // d: delete
	Search                        // s: search, type and system history
)

var interactionNames = [...]string{Create: "create", Read: "read", Update: "update", Delete: "delete", Search: "search"}

func (i Interaction) String() string {
	if i >= Create && i <= Search {
		return interactionNames[i]
	}
	return "interaction(?)"
}

// Letter is the v2 permission letter of the interaction.
func (i Interaction) Letter() string {
	if i >= Create && i <= Search {
		return letters[i-1 : i]
	}
	return "?"
}

// V1 is the SMART v1 access word that covers the interaction: "read" for
// read and search, "write" for the others.
func (i Interaction) V1() string {
	if i == Read || i == Search {
		return "read"
	}
	return "write"
}

// Perms is a set of interactions, one bit per v2 letter.
type Perms uint8

// letters are the v2 permission letters in their required order; the bit of
// letters[i] is 1<<i.
const letters = "cruds"

const (
	PermCreate Perms = 1 << iota
	PermRead
	PermUpdate
	PermDelete
	PermSearch

	PermsV1Read  = PermRead | PermSearch                // v1 "read"
	PermsV1Write = PermCreate | PermUpdate | PermDelete // v1 "write"
	PermsAll     = PermsV1Read | PermsV1Write           // v1 "*", v2 "cruds"
)

// Of is the permission bit of one interaction.
func Of(i Interaction) Perms {
	if i >= Create && i <= Search {
		return 1 << (i - 1)
	}
	return 0
}

// Has reports whether p allows the interaction.
func (p Perms) Has(i Interaction) bool { return i >= Create && i <= Search && p&Of(i) != 0 }

// Covers reports whether p includes every permission of q.
func (p Perms) Covers(q Perms) bool { return p&q == q }

// String is the v2 letters ("rs", "cruds").
func (p Perms) String() string {
	var b strings.Builder
	for i := range len(letters) {
		if p&(1<<i) != 0 {
			b.WriteByte(letters[i])
		}
	}
	return b.String()
}

// v1Word is the v1 access word equal to p, if there is one: v1 can only say
// rs, cud and cruds.
func (p Perms) v1Word() (string, bool) {
	switch p {
	case PermsV1Read:
		return "read", true
	case PermsV1Write:
		return "write", true
	case PermsAll:
		return "*", true
	}
	return "", false
}

// parsePerms reads v2 letters: a non-empty subset of "cruds" in order, each
// once.
func parsePerms(s string) (Perms, bool) {
	if s == "" {
		return 0, false
	}
	var p Perms
	next := 0 // the first position of letters still allowed
	for i := range len(s) {
		k := strings.IndexByte(letters[next:], s[i])
		if k < 0 {
			return 0, false
		}
		p |= 1 << (next + k)
		next += k + 1
	}
	return p, true
}

// Target tells what a scope's resource names.
type Target uint8

const (
	NonResource Target = iota // openid, launch/patient, api:oemr, …
	FHIR                      // a FHIR R4 resource type: patient/Observation.rs
	API                       // an /api/ or /portal/ resource name: user/soap_note.write
	Wildcard                  // "*": every resource of the face in use
)

var targetNames = [...]string{NonResource: "non-resource", FHIR: "FHIR", API: "API", Wildcard: "wildcard"}

func (t Target) String() string {
	if int(t) < len(targetNames) {
		return targetNames[t]
	}
	return "target(?)"
}

// IsAPIName reports whether s has the form of an /api/ resource name:
// lower case letters and "_", starting with a letter.
func IsAPIName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}
