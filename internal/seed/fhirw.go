package seed

import "strconv"

// Code system URIs used across the data set.
const (
	sysSNOMED      = "http://snomed.info/sct"
	sysICD10       = "http://hl7.org/fhir/sid/icd-10-cm"
	sysLOINC       = "http://loinc.org"
	sysRxNorm      = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysCVX         = "http://hl7.org/fhir/sid/cvx"
	sysCPT         = "http://www.ama-assn.org/go/cpt"
	sysUCUM        = "http://unitsofmeasure.org"
	sysNUCC        = "http://nucc.org/provider-taxonomy"
	sysNPI         = "http://hl7.org/fhir/sid/us-npi"
	sysSSN         = "http://hl7.org/fhir/sid/us-ssn"
	sysOMB         = "urn:oid:2.16.840.1.113883.6.238"
	sysBCP47       = "urn:ietf:bcp:47"
	sysV2_0203     = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysV2_0074     = "http://terminology.hl7.org/CodeSystem/v2-0074"
	sysActCode     = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysInterp      = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	sysCondClin    = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysCondVer     = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	sysCondCat     = "http://terminology.hl7.org/CodeSystem/condition-category"
	sysAllergyClin = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	sysAllergyVer  = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	sysProvType    = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	sysOrgType     = "http://terminology.hl7.org/CodeSystem/organization-type"
	sysPracRole    = "http://terminology.hl7.org/CodeSystem/practitioner-role"
	sysV2_0360     = "http://terminology.hl7.org/CodeSystem/v2-0360/2.7"
	sysRoleCode    = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	sysLocPhysical = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	sysMarital     = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
	sysNullFlavor  = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
	sysSOPT        = "https://nahdo.org/sopt"
	sysSubscriber  = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
	sysCovClass    = "http://terminology.hl7.org/CodeSystem/coverage-class"
	sysImmOrigin   = "http://terminology.hl7.org/CodeSystem/immunization-origin"
	sysActReason   = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	sysActSite     = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
	sysRoute       = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
	sysV2_0443     = "http://terminology.hl7.org/CodeSystem/v2-0443"
	sysServiceType = "http://terminology.hl7.org/CodeSystem/service-type"
	sysApptType    = "http://terminology.hl7.org/CodeSystem/v2-0276"
	sysApptCancel  = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
	sysGoalAchieve = "http://terminology.hl7.org/CodeSystem/goal-achievement"
	sysDischarge   = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
	sysCarePlanCat = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
	sysDocCategory = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
	sysMedReqCat   = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
	sysDoseType    = "http://terminology.hl7.org/CodeSystem/dose-rate-type"

	extRace     = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
	extEthnic   = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
	extBirthSex = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"

	xhtmlNS = "http://www.w3.org/1999/xhtml"
)

// term is one coding: a code with its system and display.
type term struct {
	sys, code, display string
}

// coding writes a Coding as an array element.
func (w *jw) coding(t term) {
	w.elem()
	w.str("system", t.sys)
	w.str("code", t.code)
	if t.display != "" {
		w.str("display", t.display)
	}
	w.end()
}

// cc writes a CodeableConcept member with one or more codings and an
// optional text.
func (w *jw) cc(k string, text string, codings ...term) {
	w.obj(k)
	w.ccBody(text, codings...)
	w.end()
}

// ccElem writes a CodeableConcept as an array element.
func (w *jw) ccElem(text string, codings ...term) {
	w.elem()
	w.ccBody(text, codings...)
	w.end()
}

func (w *jw) ccBody(text string, codings ...term) {
	w.arr("coding")
	for _, c := range codings {
		w.coding(c)
	}
	w.endArr()
	if text != "" {
		w.str("text", text)
	}
}

// ccList writes a member holding a one-element array of CodeableConcept,
// the shape of category, type and reasonCode.
func (w *jw) ccList(k string, text string, codings ...term) {
	w.arr(k)
	w.ccElem(text, codings...)
	w.endArr()
}

// refBody writes the members of a Reference.
func (w *jw) refBody(t rtype, id *uid, display string) {
	w.key("reference")
	w.b = append(w.b, '"')
	w.b = append(w.b, typeNames[t]...)
	w.b = append(w.b, '/')
	w.b = append(w.b, id[:]...)
	w.b = append(w.b, '"')
	if display != "" {
		w.str("display", display)
	}
}

// ref writes a Reference member; refElem writes one as an array element.
func (w *jw) ref(k string, t rtype, id *uid, display string) {
	w.obj(k)
	w.refBody(t, id, display)
	w.end()
}

func (w *jw) refElem(t rtype, id *uid, display string) {
	w.elem()
	w.refBody(t, id, display)
	w.end()
}

// refList writes a member holding a one-element array of Reference.
func (w *jw) refList(k string, t rtype, id *uid, display string) {
	w.arr(k)
	w.refElem(t, id, display)
	w.endArr()
}

// qty writes the members of a Quantity with a UCUM unit.
func (w *jw) qtyBody(v float64, prec int, unit, ucum string) {
	w.dec("value", v, prec)
	w.str("unit", unit)
	w.str("system", sysUCUM)
	w.str("code", ucum)
}

func (w *jw) qty(k string, v float64, prec int, unit, ucum string) {
	w.obj(k)
	w.qtyBody(v, prec, unit, ucum)
	w.end()
}

// identifier writes an Identifier as an array element.
func (w *jw) identifier(use, system, value string, typ *term) {
	w.elem()
	if use != "" {
		w.str("use", use)
	}
	if typ != nil {
		w.cc("type", typ.display, *typ)
	}
	w.str("system", system)
	w.str("value", value)
	w.end()
}

// phone formats a US phone number in the reserved 555-01xx range, so no
// generated number can ring a real person.
func appendPhone(b []byte, area string, line int) []byte {
	b = append(b, area...)
	b = append(b, "-555-01"...)
	return append2(b, line%100)
}

// telecom writes a ContactPoint as an array element.
func (w *jw) telecomPhone(use, area string, line int) {
	w.elem()
	w.str("system", "phone")
	w.key("value")
	w.b = append(w.b, '"')
	w.b = appendPhone(w.b, area, line)
	w.b = append(w.b, '"')
	w.str("use", use)
	w.end()
}

// appendInt writes a decimal integer zero-padded to width digits.
func appendPadded(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
