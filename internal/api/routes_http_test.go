package api_test

import (
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/server"
	"strings"
	"testing"
)

// recordCase is one record type written through the API: where its
// collection is, a good and a bad body (with the fields the 400 must
// name), an update, and the FHIR type it lands in.
type recordCase struct {
	name      string
	resource  string // scope resource name
	coll      string // collection path; {pa} {pid} {eid} are filled in
	body      map[string]any
	bad       map[string]any
	badFields []string
	update    map[string]any // nil: no update route
	fhirType  string
	delete    bool
	// also lists other paths that read the record ({id} and {uuid} filled).
	also []string
	// updatePath is where the update goes when not at the collection.
	updatePath string
}

// fixture is what every record case hangs off: two patients, a
// practitioner, a facility and an encounter of the first patient.
type fixture struct {
	pa, pb         string // patient uuids
	pid, pidB      int64
	prID, facID    int64
	enc            string
	eid            int64
	practitionerID string
	iid            int64
}

func newFixture(t *testing.T, e *testEnv) *fixture {
	f := &fixture{}
	f.pa, f.pid = e.newPatient("Ada", "Lovelace")
	f.pb, f.pidB = e.newPatient("Grace", "Hopper")
	var c api.Created
	e.must(201, "POST", "/api/practitioner", e.staff, map[string]any{"fname": "Jesse", "lname": "Thomas", "npi": "1234567893"}).into(t, &c)
	f.prID, f.practitionerID = c.ID, c.UUID
	e.must(201, "POST", "/api/facility", e.staff, map[string]any{"name": "Main Clinic", "facility_npi": "1987654321", "city": "Phoenix"}).into(t, &c)
	f.facID = c.ID
	var ic api.InsuranceCompanyCreated
	e.must(201, "POST", "/api/insurance_company", e.staff, map[string]any{"name": "Keystone Health", "cms_id": "KH123", "ins_type_code": "2"}).into(t, &ic)
	f.iid = ic.IID
	var ec api.EncounterCreated
	e.must(201, "POST", "/api/patient/"+f.pa+"/encounter", e.staff, map[string]any{
		"pc_catid": "5", "class_code": "AMB", "date": "2024-01-02 10:00:00", "reason": "Checkup",
		"facility_id": fmt.Sprint(f.facID), "provider_id": fmt.Sprint(f.prID),
	}).into(t, &ec)
	f.enc, f.eid = ec.UUID, ec.Encounter
	return f
}

func (f *fixture) fill(s string, pa, pid string) string {
	r := strings.NewReplacer("{pa}", pa, "{pid}", pid, "{eid}", fmt.Sprint(f.eid), "{enc}", f.enc)
	return r.Replace(s)
}

func recordCases(f *fixture) []recordCase {
	return []recordCase{
		{name: "patient", resource: "patient", coll: "/api/patient", fhirType: "Patient",
			body:      map[string]any{"fname": "Alan", "lname": "Turing", "sex": "Male", "DOB": "1912-06-23", "city": "London", "pubpid": "MRN-1"},
			bad:       map[string]any{"fname": "", "lname": "T", "sex": "M", "DOB": "23/06/1912"},
			badFields: []string{"DOB", "fname", "lname", "sex"},
			update:    map[string]any{"phone_cell": "555-0100"}},
		{name: "encounter", resource: "encounter", coll: "/api/patient/{pa}/encounter", fhirType: "Encounter",
			body: map[string]any{"pc_catid": "9", "class_code": "AMB", "date": "2024-03-04 09:30:00", "reason": "Cough",
				"facility_id": fmt.Sprint(f.facID), "provider_id": fmt.Sprint(f.prID)},
			bad:       map[string]any{"class_code": "XYZ", "facility_id": "999"},
			badFields: []string{"class_code", "facility_id", "pc_catid"},
			update:    map[string]any{"reason": "Follow-up"}},
		{name: "medical_problem", resource: "medical_problem", coll: "/api/patient/{pa}/medical_problem", fhirType: "Condition", delete: true,
			body:      map[string]any{"title": "Hypertension", "begdate": "2020-01-02", "diagnosis": "ICD10:I10"},
			bad:       map[string]any{"title": "x", "begdate": "2020/01/02"},
			badFields: []string{"begdate", "title"},
			update:    map[string]any{"enddate": "2021-01-01"},
			also:      []string{"/api/medical_problem/{uuid}"}},
		{name: "allergy", resource: "allergy", coll: "/api/patient/{pa}/allergy", fhirType: "AllergyIntolerance", delete: true,
			body:      map[string]any{"title": "Penicillin", "begdate": "2019-05-06", "reaction": "Hives", "severity_al": "mild"},
			bad:       map[string]any{"severity_al": "deadly"},
			badFields: []string{"severity_al", "title"},
			update:    map[string]any{"comments": "Confirmed by the patient"},
			also:      []string{"/api/allergy/{uuid}"}},
		{name: "medication", resource: "medication", coll: "/api/patient/{pid}/medication", fhirType: "MedicationRequest", delete: true,
			body:      map[string]any{"title": "Lisinopril 10 MG", "begdate": "2020-01-02 10:00:00", "diagnosis": "ICD10:I10"},
			bad:       map[string]any{"title": "Lisinopril", "begdate": "yesterday"},
			badFields: []string{"begdate"},
			update:    map[string]any{"enddate": "2021-02-03 00:00:00"}},
		{name: "surgery", resource: "surgery", coll: "/api/patient/{pid}/surgery", fhirType: "Procedure", delete: true,
			body:      map[string]any{"title": "Appendectomy", "begdate": "2001-02-03"},
			bad:       map[string]any{"diagnosis": "x"},
			badFields: []string{"diagnosis", "title"},
			update:    map[string]any{"enddate": "2001-02-04"}},
		{name: "dental_issue", resource: "dental_issue", coll: "/api/patient/{pid}/dental_issue", fhirType: "Condition", delete: true,
			body:      map[string]any{"title": "Caries", "begdate": "2022-02-03"},
			bad:       map[string]any{"title": 5},
			badFields: []string{"title"},
			update:    map[string]any{"comments": "Lower left molar"}},
		{name: "appointment", resource: "appointment", coll: "/api/patient/{pid}/appointment", fhirType: "Appointment", delete: true,
			body: map[string]any{"pc_catid": "5", "pc_title": "Office Visit", "pc_duration": "900", "pc_hometext": "Annual",
				"pc_apptstatus": "-", "pc_eventDate": "2025-05-06", "pc_startTime": "09:15", "pc_facility": fmt.Sprint(f.facID),
				"pc_billing_location": fmt.Sprint(f.facID), "pc_aid": fmt.Sprint(f.prID)},
			bad: map[string]any{"pc_catid": "5", "pc_title": "Office Visit", "pc_duration": "900", "pc_hometext": "Annual",
				"pc_apptstatus": "Z", "pc_eventDate": "2025-05-06", "pc_startTime": "9am", "pc_facility": "1", "pc_billing_location": "1"},
			badFields: []string{"pc_apptstatus", "pc_startTime"},
			update:    map[string]any{"pc_apptstatus": "@", "pc_startTime": "10:00"},
			also:      []string{"/api/appointment/{uuid}", "/api/appointment/{id}"}},
		{name: "practitioner", resource: "practitioner", coll: "/api/practitioner", fhirType: "Practitioner",
			body:      map[string]any{"fname": "Lauren", "lname": "Bautista", "npi": "1112223334", "email": "lb@example.org", "specialty": "Nursing"},
			bad:       map[string]any{"npi": "12", "email": "nope"},
			badFields: []string{"email", "fname", "lname", "npi"},
			update:    map[string]any{"city": "Boston", "phone": "617-555-0100"}},
		{name: "facility", resource: "facility", coll: "/api/facility", fhirType: "Location",
			body:      map[string]any{"name": "North Clinic", "facility_npi": "1231231234", "street": "1 Main St", "city": "Tempe", "state": "AZ", "postal_code": "85281", "phone": "480-555-0100"},
			bad:       map[string]any{"website": "not a url", "facility_npi": "abc"},
			badFields: []string{"facility_npi", "name", "website"},
			update:    map[string]any{"fax": "480-555-0101"}},
		{name: "prescription", resource: "prescription", coll: "/api/prescription", fhirType: "MedicationRequest", delete: true,
			body:      map[string]any{"drug": "Amoxicillin 500 MG", "patient_id": fmt.Sprint(f.pid), "dosage": "1 capsule three times a day", "quantity": "30", "provider_id": fmt.Sprint(f.prID)},
			bad:       map[string]any{"patient_id": "999999", "quantity": "lots"},
			badFields: []string{"drug", "patient_id", "quantity"}},
		{name: "vital", resource: "vital", coll: "/api/patient/{pid}/encounter/{eid}/vital", fhirType: "Observation",
			body:      map[string]any{"bps": "120", "bpd": "80", "weight": "150", "temperature": "98.6", "temp_method": "Oral", "note": "at rest", "date": "2024-01-02 10:05:00"},
			bad:       map[string]any{"weight": "heavy", "bps": "high"},
			badFields: []string{"bps", "weight"},
			update:    map[string]any{"pulse": "70", "weight": "151"}},
		{name: "insurance_company", resource: "insurance_company", coll: "/api/insurance_company", fhirType: "Organization",
			body:      map[string]any{"name": "Acme Mutual", "attn": "Claims", "cms_id": "AM1", "ins_type_code": "7", "line1": "1 Payer Way", "city": "Hartford", "state": "CT", "zip": "06101", "phone": "860-555-0100"},
			bad:       map[string]any{"ins_type_code": "99", "cms_id": "x"},
			badFields: []string{"cms_id", "ins_type_code", "name"},
			update:    map[string]any{"x12_receiver_id": "AM-X12"}},
		{name: "insurance", resource: "insurance", coll: "/api/patient/{pa}/insurance", fhirType: "Coverage",
			body: map[string]any{"type": "primary", "provider": fmt.Sprint(f.iid), "plan_name": "Silver", "policy_number": "POL123", "group_number": "G9",
				"subscriber_relationship": "spouse", "subscriber_fname": "William", "subscriber_lname": "King", "subscriber_DOB": "1975-01-02",
				"subscriber_sex": "Male", "subscriber_street": "12 St James Sq", "subscriber_city": "London", "subscriber_postal_code": "SW1",
				"subscriber_state": "LN", "subscriber_ss": "900-12-3456", "accept_assignment": "TRUE", "date": "2024-01-01", "copay": "20"},
			bad:       map[string]any{"type": "quaternary", "provider": "abc", "subscriber_relationship": "cousin", "accept_assignment": "yes"},
			badFields: []string{"accept_assignment", "date", "policy_number", "provider", "subscriber_relationship", "type"},
			update:    map[string]any{"plan_name": "Gold", "date_end": "2024-12-31"}},
		{name: "message", resource: "message", coll: "/api/patient/{pid}/message", fhirType: "Communication", delete: true,
			body:      map[string]any{"body": "Please call the patient back", "groupname": "Default", "from": "admin", "to": "jthomas", "title": "Chart Note", "message_status": "New"},
			bad:       map[string]any{"title": "Gossip", "message_status": "Lost"},
			badFields: []string{"body", "from", "groupname", "message_status", "title", "to"},
			update:    map[string]any{"message_status": "Done"}},
		{name: "transaction", resource: "transaction", coll: "/api/patient/{pid}/transaction", fhirType: "ServiceRequest",
			body: map[string]any{"type": "LBTref", "body": "Cardiology consult", "groupname": "Default", "referByNpi": "1234567893", "referToNpi": "1112223334",
				"referDiagnosis": "ICD10:I10", "riskLevel": "Low", "referralDate": "2024-02-03", "validFrom": "2024-02-03", "validThrough": "2024-08-03"},
			bad:        map[string]any{"referralDate": "soon", "referByNpi": "12"},
			badFields:  []string{"body", "groupname", "referByNpi", "referralDate"},
			update:     map[string]any{"riskLevel": "High"},
			updatePath: "/api/transaction/{uuid}"},
		{name: "soap_note", resource: "soap_note", coll: "/api/patient/{pid}/encounter/{eid}/soap_note", fhirType: "DocumentReference",
			body:      map[string]any{"subjective": "Feels well", "plan": "Return in a year"},
			bad:       map[string]any{"subjective": "x"},
			badFields: []string{"subjective"},
			update:    map[string]any{"assessment": "Healthy adult"}},
	}
}

// record reads a record as a JSON object.
func record(t *testing.T, a answer) map[string]any {
	t.Helper()
	var m map[string]any
	a.into(t, &m)
	return m
}

func checkFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("%s: %s = %v, want %v", what, k, got[k], v)
		}
	}
}

// TestRecordRoutes runs every record type through its routes: the gate,
// bad input, create, reads by uuid and integer id, list, update, unknown
// ids, another patient's path, delete, and the FHIR resource behind it.
func TestRecordRoutes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newFixture(t, e)
		for _, rc := range recordCases(f) {
			t.Run(rc.name, func(t *testing.T) {
				coll := f.fill(rc.coll, f.pa, fmt.Sprint(f.pid))
				// The gate: no token, a token without the resource's scope,
				// a token without api:oemr, a patient's token.
				wrong := e.token("api:oemr user/drug.read")
				for _, tc := range []struct {
					name, token string
					want        int
				}{
					{"no token", "", 401}, {"bad token", "garbage", 401}, {"wrong scope", wrong, 403},
					{"read-only scope", e.token("api:oemr user/" + rc.resource + ".read"), 403},
					{"no api:oemr", e.token("user/*.cruds"), 403},
					{"patient token", e.patientToken("api:oemr patient/*.cruds", f.pa), 403},
				} {
					method := "POST"
					if tc.name == "wrong scope" || tc.name == "no token" {
						if a := e.do("GET", coll, tc.token, nil); a.Status != tc.want {
							t.Errorf("%s: GET %s = %d, want %d", tc.name, coll, a.Status, tc.want)
						}
					}
					if a := e.do(method, coll, tc.token, rc.body); a.Status != tc.want {
						t.Errorf("%s: POST %s = %d, want %d: %s", tc.name, coll, a.Status, tc.want, a.Raw)
					}
				}
				before := e.Count(e.t, rc.fhirType)
				// Bad input: 400 naming each field, nothing written.
				a := e.must(400, "POST", coll, e.staff, rc.bad)
				for _, fld := range rc.badFields {
					if a.ValidationErrors[fld] == nil {
						t.Errorf("bad body: no error for %s: %s", fld, a.Raw)
					}
				}
				if n := e.Count(e.t, rc.fhirType); n != before {
					t.Errorf("bad body wrote %d %s", n-before, rc.fhirType)
				}
				// Create, then read by uuid and by integer id.
				a = e.must(201, "POST", coll, e.staff, rc.body)
				created := record(t, a)
				uuid, _ := created["uuid"].(string)
				var num string
				for _, k := range []string{"id", "pid", "encounter", "vid", "sid", "iid", "mid"} {
					if v, ok := created[k]; ok {
						num = fmt.Sprint(v)
						break
					}
				}
				if uuid == "" || num == "" || num == "0" {
					t.Fatalf("create answered %s", a.Raw)
				}
				for _, p := range append([]string{coll + "/" + uuid, coll + "/" + num}, rc.also...) {
					p = strings.NewReplacer("{uuid}", uuid, "{id}", num).Replace(p)
					got := record(t, e.must(200, "GET", p, e.staff, nil))
					checkFields(t, "GET "+p, got, rc.body)
				}
				// The record is in its list.
				var items []map[string]any
				e.must(200, "GET", coll, e.staff, nil).into(t, &items)
				found := false
				for _, it := range items {
					found = found || it["uuid"] == uuid
				}
				if !found {
					t.Errorf("GET %s does not list %s", coll, uuid)
				}
				// /api → FHIR: the record is a resource of its type at once.
				if rc.fhirType != "Observation" {
					e.Read(e.t, rc.fhirType, uuid)
				} else {
					e.Read(e.t, "Observation", uuid)
				}
				// Update only what is sent; the rest stays.
				if rc.update != nil {
					up := coll + "/" + uuid
					if rc.updatePath != "" {
						up = strings.ReplaceAll(rc.updatePath, "{uuid}", uuid)
					}
					got := record(t, e.must(200, "PUT", up, e.staff, rc.update))
					checkFields(t, "PUT", got, rc.update)
					got = record(t, e.must(200, "GET", coll+"/"+num, e.staff, nil))
					checkFields(t, "GET after PUT", got, rc.update)
					keep := map[string]any{}
					for k, v := range rc.body {
						if _, changed := rc.update[k]; !changed {
							keep[k] = v
						}
					}
					checkFields(t, "GET after PUT (unchanged fields)", got, keep)
					e.must(400, "PUT", up, e.staff, rc.bad)
				}
				// Unknown ids are 404; malformed ones 400.
				e.must(404, "GET", coll+"/0f9c3c5e-0000-4000-8000-000000000000", e.staff, nil)
				e.must(404, "GET", coll+"/987654", e.staff, nil)
				e.must(400, "GET", coll+"/bad$id", e.staff, nil)
				// Another patient's path does not reach the record.
				if strings.Contains(rc.coll, "{pa}") || strings.Contains(rc.coll, "{pid}") {
					other := f.fill(rc.coll, f.pb, fmt.Sprint(f.pidB))
					if !strings.Contains(rc.coll, "{eid}") {
						e.must(404, "GET", other+"/"+uuid, e.staff, nil)
						var none []map[string]any
						e.must(200, "GET", other, e.staff, nil).into(t, &none)
						for _, it := range none {
							if it["uuid"] == uuid {
								t.Errorf("another patient's list shows %s", uuid)
							}
						}
					} else {
						e.must(404, "GET", other+"/"+uuid, e.staff, nil)
					}
				}
				if rc.delete {
					e.must(200, "DELETE", coll+"/"+uuid, e.staff, nil)
					e.must(404, "GET", coll+"/"+uuid, e.staff, nil)
					e.must(404, "DELETE", coll+"/"+uuid, e.staff, nil)
				}
			})
		}
	})
}

// TestEmptyListAndPaging checks the envelope of lists: [] when empty,
// _limit and _offset, links.next, and bad paging parameters.
func TestEmptyListAndPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		a := e.must(200, "GET", "/api/patient", e.staff, nil)
		if string(a.Data) != "[]" {
			t.Errorf("empty list data = %s", a.Data)
		}
		for i := range 5 {
			e.newPatient(fmt.Sprintf("Pat%d", i), "Page")
		}
		seen := map[string]bool{}
		next := "/api/patient?lname=Page&_limit=2&_sort=fname"
		pages := 0
		for next != "" {
			a := e.must(200, "GET", next, e.staff, nil)
			var ps []api.Patient
			a.into(t, &ps)
			for _, p := range ps {
				if seen[p.UUID] {
					t.Errorf("patient %s on two pages", p.UUID)
				}
				seen[p.UUID] = true
			}
			pages++
			next = ""
			if a.Links != nil && a.Links.Next != "" {
				next = strings.TrimPrefix(a.Links.Next, e.App.BaseURL)
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 5 || pages != 3 {
			t.Errorf("paged through %d patients in %d pages, want 5 in 3", len(seen), pages)
		}
		// Paging by cursor visits the same patients.
		seenC := map[string]bool{}
		next = "/api/patient?lname=Page&_limit=2&_cursor="
		for pages = 0; next != ""; pages++ {
			a := e.must(200, "GET", next, e.staff, nil)
			var ps []api.Patient
			a.into(t, &ps)
			for _, p := range ps {
				seenC[p.UUID] = true
			}
			next = strings.TrimPrefix(a.Links.Next, e.App.BaseURL)
			if pages > 5 {
				t.Fatal("cursor paging does not end")
			}
		}
		if len(seenC) != 5 || pages != 3 {
			t.Errorf("cursor paging saw %d patients in %d pages", len(seenC), pages)
		}
		e.must(400, "GET", "/api/patient?_cursor=garbage", e.staff, nil)
		e.must(400, "GET", "/api/patient?_cursor=&_offset=2", e.staff, nil)
		var ps []api.Patient
		e.must(200, "GET", "/api/patient?_sort=-fname&lname=Page&_limit=1", e.staff, nil).into(t, &ps)
		if len(ps) != 1 || ps[0].Fname != "Pat4" {
			t.Errorf("sorted descending: %+v", ps)
		}
		for _, q := range []string{"_limit=abc", "_offset=-1", "_sort=nosuchfield", "DOB=notadate"} {
			a := e.must(400, "GET", "/api/patient?"+q, e.staff, nil)
			name, _, _ := strings.Cut(q, "=")
			if name == "DOB" || strings.HasPrefix(name, "_") {
				if a.ValidationErrors[name] == nil {
					t.Errorf("%s: errors %s", q, a.Raw)
				}
			}
		}
		e.must(200, "GET", "/api/patient?_limit=100000", e.staff, nil)
	})
}

// TestDisabled checks that the standard_api setting switches the whole
// face off, and that version needs no token.
func TestDisabled(t *testing.T) {
	e := newTestEnv(t, "sqlite")
	e.Set(t, server.SettingStandardAPI, "off")
	for _, p := range []string{"/api/version", "/api/patient", "/apis/default/api/patient"} {
		if r := e.Do("GET", p, "", ""); r.Status != 404 {
			t.Errorf("off: GET %s = %d", p, r.Status)
		}
	}
	e.Set(t, server.SettingStandardAPI, "on")
	if r := e.Do("GET", "/api/version", "", ""); r.Status != 200 {
		t.Errorf("on: GET /api/version = %d", r.Status)
	}
	e.must(404, "GET", "/api/nosuchthing", e.staff, nil)
}
