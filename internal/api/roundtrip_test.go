package api_test

import (
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"strings"
	"testing"
)

// TestFHIRToAPI writes resources as a FHIR client would and reads them
// through the API: FHIR create → /api/ read, for every record type.
func TestFHIRToAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		pt := e.Create(e.t, `{"resourceType":"Patient","name":[{"family":"Russo","given":["Kelly","Ann"]}],"gender":"female","birthDate":"2013-05-24",
			"identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"urn:example:mrn","value":"MRN-77"}],
			"address":[{"line":["6601 Cedar Road"],"city":"Tempe","state":"AZ","postalCode":"85229"}],"telecom":[{"system":"phone","use":"mobile","value":"480-555-0190"}]}`)
		pr := e.Create(e.t, `{"resourceType":"Practitioner","name":[{"family":"Thomas","given":["Jesse"],"prefix":["Dr."]}],"identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}]}`)
		org := e.Create(e.t, `{"resourceType":"Organization","name":"Northstar","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1999999999"}]}`)
		loc := e.Create(e.t, `{"resourceType":"Location","name":"Northstar Phoenix","managingOrganization":{"reference":"Organization/`+org+`"},"address":{"city":"Phoenix","state":"AZ"}}`)
		payer := e.Create(e.t, `{"resourceType":"Organization","name":"Keystone","type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/organization-type","code":"pay"}]}],"address":[{"city":"Hartford"}]}`)
		enc := e.Create(e.t, `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
			"subject":{"reference":"Patient/`+pt+`"},"period":{"start":"2025-06-30T20:45:00Z"},"reasonCode":[{"text":"Cough"}],
			"location":[{"location":{"reference":"Location/`+loc+`"}}],"participant":[{"individual":{"reference":"Practitioner/`+pr+`"}}]}`)
		subj := `"subject":{"reference":"Patient/` + pt + `"}`
		var p api.Patient
		e.must(200, "GET", "/api/patient/"+pt, e.staff, nil).into(t, &p)
		pid, eid := fmt.Sprint(p.Pid), ""
		var en api.Encounter
		e.must(200, "GET", "/api/patient/"+pt+"/encounter/"+enc, e.staff, nil).into(t, &en)
		eid = fmt.Sprint(en.Encounter)
		prNum, _ := e.Store().APINumber(t.Context(), "practitioner", pr)
		facNum, _ := e.Store().APINumber(t.Context(), "facility", loc)
		payerNum, _ := e.Store().APINumber(t.Context(), "insurance_company", payer)
		tests := []struct {
			name, fhir, path string
			want             map[string]any
		}{
			{"patient", "", "/api/patient/" + pt, map[string]any{"fname": "Kelly", "mname": "Ann", "lname": "Russo", "pubpid": "MRN-77", "city": "Tempe", "phone_cell": "480-555-0190", "sex": "Female"}},
			{"encounter", "", "/api/patient/" + pt + "/encounter/" + enc, map[string]any{"reason": "Cough", "class_code": "AMB", "date": "2025-06-30 20:45:00", "facility_id": fmt.Sprint(facNum), "provider_id": fmt.Sprint(prNum), "pid": pid}},
			{"practitioner", "", "/api/practitioner/" + pr, map[string]any{"fname": "Jesse", "lname": "Thomas", "title": "Dr.", "npi": "1234567893"}},
			{"facility", "", "/api/facility/" + loc, map[string]any{"name": "Northstar Phoenix", "facility_npi": "1999999999", "city": "Phoenix"}},
			{"insurance_company", "", "/api/insurance_company/" + payer, map[string]any{"name": "Keystone", "city": "Hartford"}},
			{"medical_problem", `{"resourceType":"Condition","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}],"code":{"text":"Asthma","coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"J45.909"}]},"onsetDateTime":"2020-01-02",` + subj + `}`,
				"/api/patient/" + pt + "/medical_problem/{id}", map[string]any{"title": "Asthma", "diagnosis": "ICD10:J45.909", "begdate": "2020-01-02"}},
			{"dental_issue", `{"resourceType":"Condition","category":[{"coding":[{"system":"urn:emp:issue-type","code":"dental"}]}],"code":{"text":"Caries"},` + subj + `}`,
				"/api/patient/" + pid + "/dental_issue/{id}", map[string]any{"title": "Caries"}},
			{"allergy", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/` + pt + `"},"code":{"text":"Peanut"},"reaction":[{"manifestation":[{"text":"Hives"}],"severity":"severe"}]}`,
				"/api/patient/" + pt + "/allergy/{id}", map[string]any{"title": "Peanut", "reaction": "Hives", "severity_al": "severe"}},
			{"medication", `{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"Metformin 500 MG"},"authoredOn":"2024-01-02T10:00:00Z",` + subj + `}`,
				"/api/patient/" + pid + "/medication/{id}", map[string]any{"title": "Metformin 500 MG", "begdate": "2024-01-02 10:00:00"}},
			{"prescription", `{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"Amoxicillin"},"dosageInstruction":[{"text":"twice a day"}],"dispenseRequest":{"quantity":{"value":20}},"requester":{"reference":"Practitioner/` + pr + `"},` + subj + `}`,
				"/api/prescription/{id}", map[string]any{"drug": "Amoxicillin", "dosage": "twice a day", "quantity": "20", "provider_id": fmt.Sprint(prNum), "patient_id": pid}},
			{"surgery", `{"resourceType":"Procedure","status":"completed","category":{"coding":[{"system":"http://snomed.info/sct","code":"387713003"}]},"code":{"text":"Appendectomy"},"performedDateTime":"2001-02-03",` + subj + `}`,
				"/api/patient/" + pid + "/surgery/{id}", map[string]any{"title": "Appendectomy", "begdate": "2001-02-03"}},
			{"procedure", `{"resourceType":"Procedure","status":"completed","code":{"text":"Depression screening","coding":[{"system":"http://snomed.info/sct","code":"171207006"}]},"performedDateTime":"2025-06-30T20:57:00Z",` + subj + `}`,
				"/api/procedure/{id}", map[string]any{"code_text": "Depression screening", "code": "171207006", "code_type": "SNOMED-CT", "date": "2025-06-30 20:57:00"}},
			{"immunization", `{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"08"}],"text":"Hep B"},"patient":{"reference":"Patient/` + pt + `"},"occurrenceDateTime":"2013-05-25T15:00:00Z","lotNumber":"RM1"}`,
				"/api/immunization/{id}", map[string]any{"cvx_code": "08", "cvx_code_text": "Hep B", "lot_number": "RM1", "administered_date": "2013-05-25 15:00:00", "patient_id": pid}},
			{"drug", `{"resourceType":"Medication","code":{"text":"Lisinopril 10 MG","coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"314076"}]}}`,
				"/api/drug/{id}", map[string]any{"name": "Lisinopril 10 MG", "drug_code": "314076"}},
			{"appointment", `{"resourceType":"Appointment","status":"noshow","description":"Follow-up","start":"2026-07-30T20:15:00Z","end":"2026-07-30T20:45:00Z","participant":[{"actor":{"reference":"Patient/` + pt + `"},"status":"accepted"},{"actor":{"reference":"Location/` + loc + `"},"status":"accepted"}]}`,
				"/api/patient/" + pid + "/appointment/{id}", map[string]any{"pc_title": "Follow-up", "pc_apptstatus": "?", "pc_eventDate": "2026-07-30", "pc_startTime": "20:15", "pc_duration": "1800", "pc_facility": fmt.Sprint(facNum)}},
			{"insurance", `{"resourceType":"Coverage","status":"active","order":2,"beneficiary":{"reference":"Patient/` + pt + `"},"payor":[{"reference":"Organization/` + payer + `"}],"subscriberId":"K86","relationship":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/subscriber-relationship","code":"self"}]},"subscriber":{"reference":"Patient/` + pt + `"},"period":{"start":"2020-09-20"}}`,
				"/api/patient/" + pt + "/insurance/{id}", map[string]any{"type": "secondary", "policy_number": "K86", "provider": fmt.Sprint(payerNum), "subscriber_fname": "Kelly", "subscriber_relationship": "self", "date": "2020-09-20"}},
			{"message", `{"resourceType":"Communication","status":"in-progress","category":[{"coding":[{"system":"urn:emp:note-type","code":"Insurance"}]}],"payload":[{"contentString":"Card expired"}],"sender":{"display":"admin"},"recipient":[{"display":"billing"}],` + subj + `}`,
				"/api/patient/" + pid + "/message/{id}", map[string]any{"title": "Insurance", "body": "Card expired", "from": "admin", "to": "billing"}},
			{"transaction", `{"resourceType":"ServiceRequest","status":"active","intent":"order","category":[{"coding":[{"system":"urn:emp:transaction-type","code":"LBTref"}]}],"code":{"text":"Referral"},"authoredOn":"2024-02-03","note":[{"text":"Cardiology"}],` + subj + `}`,
				"/api/patient/" + pid + "/transaction/{id}", map[string]any{"body": "Cardiology", "referralDate": "2024-02-03", "type": "LBTref"}},
			{"soap_note", `{"resourceType":"DocumentReference","status":"current","category":[{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category","code":"clinical-note"}]}],"type":{"text":"Note"},"context":{"encounter":[{"reference":"Encounter/` + enc + `"}]},"content":[{"attachment":{"contentType":"text/plain","data":"U3ViamVjdGl2ZTogVGlyZWQuCk9iamVjdGl2ZTogQWZlYnJpbGUuClBsYW46CiAtIFJlc3Q="}}],` + subj + `}`,
				"/api/patient/" + pid + "/encounter/" + eid + "/soap_note/{id}", map[string]any{"subjective": "Tired.", "objective": "Afebrile.", "plan": "- Rest"}},
			{"vital", `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":70,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"},"effectiveDateTime":"2025-06-30T20:48:00Z","encounter":{"reference":"Encounter/` + enc + `"},` + subj + `}`,
				"/api/patient/" + pid + "/encounter/" + eid + "/vital/{id}", map[string]any{"weight": "154.32", "date": "2025-06-30 20:48:00"}},
		}
		for _, tc := range tests {
			path := tc.path
			if tc.fhir != "" {
				id := e.Create(e.t, tc.fhir)
				path = strings.ReplaceAll(path, "{id}", id)
			}
			got := record(t, e.must(200, "GET", path, e.staff, nil))
			checkFields(t, tc.name, got, tc.want)
		}
	})
}

// TestAPIToFHIR writes records through the API and checks the FHIR
// resources behind them: /api/ create → FHIR read, for the core types.
func TestAPIToFHIR(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newFixture(t, e)
		pid := fmt.Sprint(f.pid)
		check := func(name, path string, body map[string]any, rtype string, want func(o fhirjson.Object) bool) {
			t.Helper()
			a := e.must(201, "POST", path, e.staff, body)
			uuid, _ := record(t, a)["uuid"].(string)
			o := e.Read(e.t, rtype, uuid)
			if !want(o) {
				t.Errorf("%s: FHIR %s = %v", name, rtype, o)
			}
		}
		check("patient", "/api/patient", map[string]any{"fname": "Alan", "mname": "M", "lname": "Turing", "sex": "Male", "DOB": "1912-06-23", "ss": "900-22-3333", "pubpid": "T1"}, "Patient", func(o fhirjson.Object) bool {
			n := api.OfficialName(o)
			return api.Str(n, "family") == "Turing" && strings.Join(api.Strs(n, "given"), " ") == "Alan M" && o["gender"] == "male" &&
				api.Identifier(o, api.SysSSN) == "900-22-3333" && api.MRN(o) == "T1"
		})
		check("encounter", "/api/patient/"+f.pa+"/encounter", map[string]any{"pc_catid": "5", "class_code": "VR", "date": "2024-05-06", "facility_id": fmt.Sprint(f.facID)}, "Encounter", func(o fhirjson.Object) bool {
			return api.RefID(o, "subject", "Patient") == f.pa && api.Str(api.Child(o, "class"), "code") == "VR" && api.Str(api.Child(o, "period"), "start") == "2024-05-06" &&
				api.RefID(api.First(o, "location"), "location", "Location") != ""
		})
		check("medical_problem", "/api/patient/"+f.pa+"/medical_problem", map[string]any{"title": "Hypertension", "begdate": "2020-01-02", "diagnosis": "ICD10:I10"}, "Condition", func(o fhirjson.Object) bool {
			return api.HasCode(o, "category", "problem-list-item") && api.CodeOf(o, "code", "http://hl7.org/fhir/sid/icd-10-cm") == "I10" && o["onsetDateTime"] == "2020-01-02" &&
				api.CodeOf(o, "clinicalStatus", api.SysConditionClinical) == "active"
		})
		check("allergy", "/api/patient/"+f.pa+"/allergy", map[string]any{"title": "Penicillin", "begdate": "2019-05-06"}, "AllergyIntolerance", func(o fhirjson.Object) bool {
			return api.RefID(o, "patient", "Patient") == f.pa && api.TextOf(api.Child(o, "code")) == "Penicillin"
		})
		check("appointment", "/api/patient/"+pid+"/appointment", map[string]any{"pc_catid": "5", "pc_title": "Visit", "pc_duration": "1800", "pc_hometext": "x",
			"pc_apptstatus": "x", "pc_eventDate": "2025-05-06", "pc_startTime": "09:15", "pc_facility": fmt.Sprint(f.facID), "pc_billing_location": fmt.Sprint(f.facID)}, "Appointment", func(o fhirjson.Object) bool {
			return o["status"] == "cancelled" && o["start"] == "2025-05-06T09:15:00Z" && o["end"] == "2025-05-06T09:45:00Z" && api.PatientOf(o) == f.pa
		})
		check("vital", "/api/patient/"+pid+"/encounter/"+fmt.Sprint(f.eid)+"/vital", map[string]any{"bps": "120", "bpd": "80", "weight": "150"}, "Observation", func(o fhirjson.Object) bool {
			// The set's uuid is the panel; its members are the measurements.
			if api.CodeOf(o, "code", api.SysLOINC) != api.LOINCPanel || len(api.List(o, "hasMember")) != 2 {
				return false
			}
			for _, m := range api.List(o, "hasMember") {
				id := strings.TrimPrefix(api.Str(m, "reference"), "Observation/")
				mo := e.Read(e.t, "Observation", id)
				if api.RefID(mo, "encounter", "Encounter") != f.enc || !api.HasCode(mo, "category", "vital-signs") {
					return false
				}
			}
			return true
		})
	})
}
