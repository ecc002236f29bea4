package api

import (
	"net/url"

	"github.com/emedpractice/emp/internal/store"
)

// Issue is an entry of a patient's lists: a medical problem, an allergy, a
// medication, a surgery or a dental issue. Each lives in the FHIR resource
// of its type (Condition, AllergyIntolerance, MedicationRequest, Procedure,
// Condition); the fields below are what all share. begdate and enddate are
// Y-m-d (Y-m-d H:i:s is accepted and kept); diagnosis is
// "<codetype>:<code>[;…]".
type Issue struct {
	ID        int64  `json:"id"`
	UUID      string `json:"uuid" api:"readonly"`
	Pid       int64  `json:"pid"`
	PUUID     string `json:"puuid" api:"readonly"`
	Type      string `json:"type" api:"readonly"`
	Title     string `json:"title"`
	Begdate   string `json:"begdate"`
	Enddate   string `json:"enddate"`
	Diagnosis string `json:"diagnosis"`
	Comments  string `json:"comments"`
	// Allergy only.
	Reaction     string `json:"reaction,omitempty"`
	Severity     string `json:"severity_al,omitempty"`
	Verification string `json:"verification,omitempty"`
}

var issueChecks = []check{
	{field: "title", label: "Title", required: true, min: 2, max: 255, text: true},
	{field: "begdate", label: "Begin Date", format: dateTime},
	{field: "enddate", label: "End Date", format: dateTime},
	{field: "diagnosis", label: "Diagnosis", min: 2, max: 255},
	{field: "comments", max: 65535, text: true},
}

var issueQuery = map[string]queryField{"title": {param: "code:text"}, "diagnosis": {param: "code", conv: diagnosisToken}}

// diagnosisToken turns ICD10:X into the token search system|X.
func diagnosisToken(v string) string {
	c := codings(v)
	if len(c) == 0 {
		return v
	}
	return str(c[0].(obj), "system") + "|" + str(c[0].(obj), "code")
}

// issueBase fills the fields every issue shares.
func issueBase(m *mapper, typeName string, r *store.Resource, o obj) (*Issue, error) {
	is := &Issue{UUID: r.ID, Type: typeName, PUUID: patientOf(o)}
	var err error
	if is.ID, err = m.num(typeName, r.ID); err != nil {
		return nil, err
	}
	if is.Pid, err = m.num("patient", is.PUUID); err != nil {
		return nil, err
	}
	if n := first(o, "note"); n != nil {
		is.Comments = str(n, "text")
	}
	return is, nil
}

func setNote(o obj, text string) {
	if text == "" {
		delete(o, "note")
		return
	}
	if n := first(o, "note"); n != nil {
		n["text"] = text
		return
	}
	o["note"] = []any{obj{"text": text}}
}

// clinicalStatus is active, or resolved once an end date is set.
func clinicalStatus(system, end string) obj {
	code := "active"
	if end != "" {
		code = "resolved"
	}
	return obj{"coding": []any{obj{"system": system, "code": code}}}
}

const (
	sysConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category"
	sysAllergyClinical   = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	sysAllergyVerify     = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	sysIssueType         = "urn:emp:issue-type" // marks records kept on the practice's special lists (dental)
)

// conditionType builds the record type of a Condition list: medical problems
// (category problem-list-item) and dental issues (issue type dental).
func conditionType(name string, category coding, fixed url.Values) *recordType[Issue] {
	isCat := func(o obj) bool {
		for _, cc := range list(o, "category") {
			for _, cd := range list(cc, "coding") {
				if str(cd, "system") == category.system && str(cd, "code") == category.code {
					return true
				}
			}
		}
		return false
	}
	return &recordType[Issue]{
		cacheable: true,
		name:      name, fhirType: "Condition", patientParam: "patient", checks: issueChecks,
		query: issueQuery, fixed: fixed,
		sortable: map[string]string{"begdate": "onset-date", "title": "code"},
		match: func(o obj) bool {
			if category.system == sysConditionCategory && hasCode(o, "category", "dental") {
				return false
			}
			return isCat(o)
		},
		toRecord: func(m *mapper, r *store.Resource, o obj) (*Issue, error) {
			is, err := issueBase(m, name, r, o)
			if err != nil {
				return nil, err
			}
			code := child(o, "code")
			is.Title = textOf(code)
			is.Diagnosis = diagnosisOf(code)
			is.Begdate = apiDateTime(str(o, "onsetDateTime"))
			is.Enddate = apiDateTime(str(o, "abatementDateTime"))
			return is, nil
		},
		toFHIR: func(m *mapper, is *Issue, f fields, o obj, patient string) error {
			setRef(o, "subject", "Patient", patient)
			if !isCat(o) {
				cats := anySlice(o["category"])
				o["category"] = append(cats, concept(category))
			}
			setConcept(o, "code", is.Title, is.Diagnosis, f.has("diagnosis"))
			set(o, "onsetDateTime", fhirDateTime(is.Begdate))
			set(o, "abatementDateTime", fhirDateTime(is.Enddate))
			if f.has("enddate") || o["clinicalStatus"] == nil {
				o["clinicalStatus"] = clinicalStatus(sysConditionClinical, is.Enddate)
			}
			if f.has("comments") {
				setNote(o, is.Comments)
			}
			return nil
		},
	}
}

var problemType = conditionType("medical_problem",
	coding{sysConditionCategory, "problem-list-item", "Problem List Item"},
	url.Values{"category": {"problem-list-item"}})

var dentalType = conditionType("dental_issue",
	coding{sysIssueType, "dental", "Dental issue"},
	url.Values{"category": {sysIssueType + "|dental"}})

func problemRoutes() []Route {
	k := problemType
	rs := crud(k, "/medical_problem", "", "muuid", ops{list: true, get: true}, "medical problems")
	return append(rs, crud(k, "/patient/{puuid}/medical_problem", "puuid", "muuid", allOps, "a patient's medical problems")...)
}

var allergyType = &recordType[Issue]{
	cacheable: true,
	name:      "allergy", fhirType: "AllergyIntolerance", patientParam: "patient", checks: append(append([]check{}, issueChecks...),
		check{field: "severity_al", oneOf: []string{"mild", "moderate", "severe"}},
		check{field: "verification", oneOf: []string{"unconfirmed", "confirmed", "refuted", "entered-in-error"}},
		check{field: "reaction", max: 255}),
	query:    issueQuery,
	sortable: map[string]string{"begdate": "onset", "title": "code"},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Issue, error) {
		is, err := issueBase(m, "allergy", r, o)
		if err != nil {
			return nil, err
		}
		code := child(o, "code")
		is.Title = textOf(code)
		is.Diagnosis = diagnosisOf(code)
		is.Begdate = apiDateTime(str(o, "onsetDateTime"))
		is.Enddate = apiDateTime(str(o, "lastOccurrence"))
		is.Verification = codeOf(o, "verificationStatus", sysAllergyVerify)
		if rx := first(o, "reaction"); rx != nil {
			if mf := first(rx, "manifestation"); mf != nil {
				is.Reaction = textOf(mf)
			}
			is.Severity = str(rx, "severity")
		}
		return is, nil
	},
	toFHIR: func(m *mapper, is *Issue, f fields, o obj, patient string) error {
		setRef(o, "patient", "Patient", patient)
		setConcept(o, "code", is.Title, is.Diagnosis, f.has("diagnosis"))
		set(o, "onsetDateTime", fhirDateTime(is.Begdate))
		set(o, "lastOccurrence", fhirDateTime(is.Enddate))
		if f.has("enddate") || o["clinicalStatus"] == nil {
			o["clinicalStatus"] = clinicalStatus(sysAllergyClinical, is.Enddate)
		}
		if f.has("verification") && is.Verification != "" {
			o["verificationStatus"] = obj{"coding": []any{obj{"system": sysAllergyVerify, "code": is.Verification}}}
		}
		if f.has("reaction") || f.has("severity_al") {
			if is.Reaction == "" {
				delete(o, "reaction")
			} else {
				rx := obj{"manifestation": []any{obj{"text": is.Reaction}}}
				set(rx, "severity", is.Severity)
				o["reaction"] = []any{rx}
			}
		}
		if f.has("comments") {
			setNote(o, is.Comments)
		}
		return nil
	},
}

func allergyRoutes() []Route {
	k := allergyType
	rs := crud(k, "/allergy", "", "auuid", ops{list: true, get: true}, "allergies")
	return append(rs, crud(k, "/patient/{puuid}/allergy", "puuid", "auuid", allOps, "a patient's allergies")...)
}

// medicationType is the patient's medication list: MedicationRequests.
var medicationType = &recordType[Issue]{
	cacheable: true,
	name:      "medication", fhirType: "MedicationRequest", patientParam: "patient", checks: issueChecks,
	query:    map[string]queryField{"title": {param: "code:text"}},
	sortable: map[string]string{"begdate": "authoredon"},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Issue, error) {
		is, err := issueBase(m, "medication", r, o)
		if err != nil {
			return nil, err
		}
		if cc := child(o, "medicationCodeableConcept"); cc != nil {
			is.Title = textOf(cc)
		} else {
			is.Title = str(child(o, "medicationReference"), "display")
		}
		is.Begdate = apiDateTime(str(o, "authoredOn"))
		if vp := child(child(o, "dispenseRequest"), "validityPeriod"); vp != nil {
			is.Enddate = apiDateTime(str(vp, "end"))
		}
		if rc := first(o, "reasonCode"); rc != nil {
			is.Diagnosis = diagnosisOf(rc)
		}
		return is, nil
	},
	toFHIR: func(m *mapper, is *Issue, f fields, o obj, patient string) error {
		setRef(o, "subject", "Patient", patient)
		if o["status"] == nil {
			o["status"] = "active"
		}
		if o["intent"] == nil {
			o["intent"] = "plan"
		}
		if f.has("title") || (o["medicationCodeableConcept"] == nil && o["medicationReference"] == nil) {
			if mr := child(o, "medicationReference"); mr != nil {
				mr["display"] = is.Title
			} else {
				setConcept(o, "medicationCodeableConcept", is.Title, "", false)
			}
		}
		set(o, "authoredOn", fhirDateTime(is.Begdate))
		if f.has("enddate") {
			if is.Enddate == "" {
				delete(child(o, "dispenseRequest"), "validityPeriod")
			} else {
				ensure(ensure(o, "dispenseRequest"), "validityPeriod")["end"] = fhirDateTime(is.Enddate)
				o["status"] = "completed"
			}
		}
		if f.has("diagnosis") {
			if cs := codings(is.Diagnosis); len(cs) > 0 {
				o["reasonCode"] = []any{obj{"coding": cs}}
			} else {
				delete(o, "reasonCode")
			}
		}
		if f.has("comments") {
			setNote(o, is.Comments)
		}
		return nil
	},
}

// surgeryType is the patient's surgeries: Procedures with the surgical
// procedure category.
var surgeryType = &recordType[Issue]{
	cacheable: true,
	name:      "surgery", fhirType: "Procedure", patientParam: "patient", checks: issueChecks,
	query:    issueQuery,
	fixed:    url.Values{"category": {sysSNOMED + "|" + surgicalCategory}},
	sortable: map[string]string{"begdate": "date"},
	match:    func(o obj) bool { return codeOf(o, "category", sysSNOMED) == surgicalCategory },
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Issue, error) {
		is, err := issueBase(m, "surgery", r, o)
		if err != nil {
			return nil, err
		}
		code := child(o, "code")
		is.Title = textOf(code)
		if rc := first(o, "reasonCode"); rc != nil {
			is.Diagnosis = diagnosisOf(rc)
		}
		if p := child(o, "performedPeriod"); p != nil {
			is.Begdate, is.Enddate = apiDateTime(str(p, "start")), apiDateTime(str(p, "end"))
		} else {
			is.Begdate = apiDateTime(str(o, "performedDateTime"))
		}
		return is, nil
	},
	toFHIR: func(m *mapper, is *Issue, f fields, o obj, patient string) error {
		setRef(o, "subject", "Patient", patient)
		if o["status"] == nil {
			o["status"] = "completed"
		}
		o["category"] = concept(coding{sysSNOMED, surgicalCategory, "Surgical procedure"})
		setConcept(o, "code", is.Title, "", false)
		delete(o, "performedDateTime")
		p := obj{}
		set(p, "start", fhirDateTime(is.Begdate))
		set(p, "end", fhirDateTime(is.Enddate))
		if len(p) > 0 {
			o["performedPeriod"] = p
		} else {
			delete(o, "performedPeriod")
		}
		if f.has("diagnosis") {
			if cs := codings(is.Diagnosis); len(cs) > 0 {
				o["reasonCode"] = []any{obj{"coding": cs}}
			} else {
				delete(o, "reasonCode")
			}
		}
		if f.has("comments") {
			setNote(o, is.Comments)
		}
		return nil
	},
}

const (
	sysSNOMED        = "http://snomed.info/sct"
	surgicalCategory = "387713003"
)

func issueRoutes() []Route {
	var rs []Route
	rs = append(rs, crud(medicationType, "/patient/{pid}/medication", "pid", "mid", allOps, "a patient's medications")...)
	rs = append(rs, crud(surgeryType, "/patient/{pid}/surgery", "pid", "sid", allOps, "a patient's surgeries")...)
	rs = append(rs, crud(dentalType, "/patient/{pid}/dental_issue", "pid", "did", allOps, "a patient's dental issues")...)
	return rs
}
