package authz

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
)

// Principal is the caller of one request: the verified claims of its token
// and the parsed scopes. It is immutable and shared between the requests
// presenting the same token.
type Principal struct {
	Claims
	Scopes scope.Set
}

// IsPatient reports whether the caller is a patient (portal user or patient
// app).
func (p *Principal) IsPatient() bool { return p.Role == RolePatient }

// IsSystem reports whether the caller is a backend client.
func (p *Principal) IsSystem() bool { return p.Role == RoleSystem }

// IsUser reports whether the caller is a staff user.
func (p *Principal) IsUser() bool { return IsUserRole(p.Role) }

// Scope contexts by role; read-only.
var (
	ctxPatient     = []scope.Context{scope.Patient}
	ctxSystem      = []scope.Context{scope.System}
	ctxUser        = []scope.Context{scope.User}
	ctxUserPatient = []scope.Context{scope.User, scope.Patient}
)

// fhirContexts are the scope contexts the caller's role may use on the FHIR
// face: a patient's patient/, a backend's system/, a user's user/ and, with a
// patient in context, patient/.
func (p *Principal) fhirContexts() []scope.Context {
	switch {
	case p.Role == RolePatient:
		return ctxPatient
	case p.Role == RoleSystem:
		return ctxSystem
	case IsUserRole(p.Role) && p.Patient != "":
		return ctxUserPatient
	case IsUserRole(p.Role):
		return ctxUser
	}
	return nil
}

// fhirFace refuses a grant that chose its faces without the FHIR one (see
// the package doc: no api:* scope at all leaves FHIR open).
func (p *Principal) fhirFace() error {
	if p.Scopes.Has(scope.APIFHIR) || !(p.Scopes.Has(scope.APIOEMR) || p.Scopes.Has(scope.APIPortal)) {
		return nil
	}
	return errs.E(errs.Forbidden, "this token is not granted the FHIR API: needs scope %s", scope.APIFHIR)
}

// CanFHIR decides an interaction on a FHIR resource type. A nil answer may
// still confine the caller: see PatientRestriction and SearchFilters.
func (p *Principal) CanFHIR(resourceType string, in scope.Interaction) error {
	if !scope.IsFHIRType(resourceType) {
		return errs.E(errs.Forbidden, "%q is not a FHIR resource type", resourceType)
	}
	if err := p.fhirFace(); err != nil {
		return err
	}
	ctxs := p.fhirContexts()
	for _, c := range ctxs {
		if p.Scopes.Allows(c, resourceType, in) {
			return nil
		}
	}
	return p.insufficient(ctxs, resourceType, in)
}

// CanAPI decides an interaction on an /api/ resource (allergy, soap_note,
// …): staff users only, with api:oemr and a user/ scope for the name.
func (p *Principal) CanAPI(resource string, in scope.Interaction) error {
	if !scope.IsAPIName(resource) {
		return errs.E(errs.Forbidden, "%q is not an API resource name", resource)
	}
	if !p.IsUser() {
		return errs.E(errs.Forbidden, "the /api/ endpoints are for staff users, not a token of role %q", p.Role)
	}
	if !p.Scopes.Has(scope.APIOEMR) {
		return errs.E(errs.Forbidden, "this token is not granted the /api/ endpoints: needs scope %s", scope.APIOEMR)
	}
	if p.Scopes.Allows(scope.User, resource, in) {
		return nil
	}
	return p.insufficient(ctxUser, resource, in)
}

// CanPortal decides an interaction on a /portal/ resource (patient,
// encounter, appointment): patients only, with api:port and a patient/ scope
// for the name. The portal confines every answer to the token's patient.
func (p *Principal) CanPortal(resource string, in scope.Interaction) error {
	if !scope.IsAPIName(resource) {
		return errs.E(errs.Forbidden, "%q is not a portal resource name", resource)
	}
	if !p.IsPatient() {
		return errs.E(errs.Forbidden, "the /portal/ endpoints are for patients, not a token of role %q", p.Role)
	}
	if !p.Scopes.Has(scope.APIPortal) {
		return errs.E(errs.Forbidden, "this token is not granted the /portal/ endpoints: needs scope %s", scope.APIPortal)
	}
	if p.Scopes.Allows(scope.Patient, resource, in) {
		return nil
	}
	return p.insufficient(ctxPatient, resource, in)
}

// CanOperation decides a FHIR operation ("$export", "$bulkdata-status",
// "$docref") on a resource type, or at the system level when resourceType
// is "" or "*" (which only a wildcard operation scope such as
// system/*.$export allows). An export still reads only the types the caller
// may search; the bulk face asks CanFHIR for each.
func (p *Principal) CanOperation(resourceType, op string) error {
	if resourceType == "" {
		resourceType = "*"
	}
	if resourceType != "*" && !scope.IsFHIRType(resourceType) {
		return errs.E(errs.Forbidden, "%q is not a FHIR resource type", resourceType)
	}
	if err := p.fhirFace(); err != nil {
		return err
	}
	ctxs := p.fhirContexts()
	for _, c := range ctxs {
		if p.Scopes.AllowsOperation(c, resourceType, op) {
			return nil
		}
	}
	var need []string
	for _, c := range ctxs {
		if resourceType != "*" {
			need = append(need, c.String()+"/"+resourceType+"."+op)
		}
		need = append(need, c.String()+"/*."+op)
	}
	if len(need) == 0 {
		return errs.E(errs.Forbidden, "a token of role %q may not call %s", p.Role, op)
	}
	return errs.E(errs.Forbidden, "insufficient scope: %s needs %s", op, strings.Join(need, " or "))
}

// PatientRestriction tells whether the caller is confined to one patient's
// compartment. It cannot know which scope a decision rested on, so it is
// conservative: a patient is always confined (to nothing when the token has
// no patient claim), and a staff user with a patient in context is confined
// to that patient whenever the grant holds any patient/ resource scope, even
// for what user/ scopes allow. PatientRestrictionFor is exact.
func (p *Principal) PatientRestriction() (patientID string, restricted bool) {
	switch {
	case p.Role == RolePatient:
		return p.Patient, true
	case IsUserRole(p.Role) && p.Patient != "" && p.hasPatientScopes():
		return p.Patient, true
	}
	return "", false
}

// PatientRestrictionFor tells whether the decision for the interaction on
// the type rests on patient/ scopes, which confine it to the token's patient.
func (p *Principal) PatientRestrictionFor(resourceType string, in scope.Interaction) (patientID string, restricted bool) {
	switch {
	case p.Role == RolePatient:
		return p.Patient, true
	case IsUserRole(p.Role) && p.Patient != "" && !p.Scopes.Allows(scope.User, resourceType, in):
		return p.Patient, true
	}
	return "", false
}

// OperationPatientRestriction is PatientRestrictionFor for an operation
// scope: whether the decision to run op on the type rests on a patient/
// operation scope (patient/DocumentReference.$docref), which confines the
// operation to the token's patient.
func (p *Principal) OperationPatientRestriction(resourceType, op string) (patientID string, restricted bool) {
	switch {
	case p.Role == RolePatient:
		return p.Patient, true
	case IsUserRole(p.Role) && p.Patient != "" && !p.Scopes.AllowsOperation(scope.User, resourceType, op):
		return p.Patient, true
	}
	return "", false
}

func (p *Principal) hasPatientScopes() bool {
	for s := range p.Scopes.All() {
		if s.Context == scope.Patient && (s.Target == scope.FHIR || s.Target == scope.Wildcard) {
			return true
		}
	}
	return false
}

// SearchFilters are the granular filters that narrow a search of the type:
// unrestricted when a plain scope allows the search, otherwise a resource
// must match one of the filters. Neither means the search is not allowed.
func (p *Principal) SearchFilters(resourceType string) (filters []scope.Filter, unrestricted bool) {
	return p.Filters(resourceType, scope.Search)
}

// Filters is SearchFilters for any interaction: a read of one resource
// should ask with scope.Read, since v2 letters may grant r and s with
// different filters.
func (p *Principal) Filters(resourceType string, in scope.Interaction) (filters []scope.Filter, unrestricted bool) {
	for _, c := range p.fhirContexts() {
		fs, unr := p.Scopes.Filters(c, resourceType, in)
		if unr {
			return nil, true
		}
		filters = append(filters, fs...)
	}
	return filters, false
}

// insufficient is the refusal naming the scope that would have allowed the
// interaction, in v2 and v1 form.
func (p *Principal) insufficient(ctxs []scope.Context, resource string, in scope.Interaction) error {
	if len(ctxs) == 0 {
		return errs.E(errs.Forbidden, "a token of role %q has no access to %s", p.Role, resource)
	}
	v2 := make([]string, len(ctxs))
	v1 := make([]string, len(ctxs))
	for i, c := range ctxs {
		v2[i] = c.String() + "/" + resource + "." + in.Letter()
		v1[i] = c.String() + "/" + resource + "." + in.V1()
	}
	return errs.E(errs.Forbidden, "insufficient scope: %s of %s needs %s (SMART v1: %s)",
		in, resource, strings.Join(v2, " or "), strings.Join(v1, " or "))
}

// APIInteraction maps an /api/ or /portal/ request to the interaction its
// scope must allow: GET reads (search on a collection), POST creates, PUT and
// PATCH update, DELETE deletes. In v1 terms GET needs .read and the others
// .write. ok is false for other methods.
func APIInteraction(method string, collection bool) (in scope.Interaction, ok bool) {
	switch method {
	case http.MethodGet, http.MethodHead:
		if collection {
			return scope.Search, true
		}
		return scope.Read, true
	case http.MethodPost:
		return scope.Create, true
	case http.MethodPut, http.MethodPatch:
		return scope.Update, true
	case http.MethodDelete:
		return scope.Delete, true
	}
	return 0, false
}
