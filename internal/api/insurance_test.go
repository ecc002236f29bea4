package api_test

import (
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"testing"
)

func policy(iid int64, typ, date string, over map[string]any) map[string]any {
	b := map[string]any{"type": typ, "provider": fmt.Sprint(iid), "policy_number": "P-" + typ + date, "subscriber_relationship": "self",
		"subscriber_fname": "Ada", "subscriber_lname": "Lovelace", "subscriber_DOB": "1980-02-03", "subscriber_sex": "Female",
		"subscriber_street": "1 Analytical Way", "subscriber_city": "London", "subscriber_postal_code": "W1", "subscriber_state": "LN",
		"accept_assignment": "TRUE", "date": date}
	for k, v := range over {
		b[k] = v
	}
	return b
}

// TestInsuranceRules checks the policy business rules and
// $swap-insurance.
func TestInsuranceRules(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newFixture(t, e)
		coll := "/api/patient/" + f.pa + "/insurance"
		var primary api.Created
		e.must(201, "POST", coll, e.staff, policy(f.iid, "primary", "2024-01-01", nil)).into(t, &primary)
		var self api.Insurance
		e.must(200, "GET", coll+"/"+primary.UUID, e.staff, nil).into(t, &self)
		if self.SubscriberFname != "Ada" || self.SubscriberRelationship != "self" || self.Type != "primary" {
			t.Errorf("self policy = %+v", self)
		}
		if o := e.Read(e.t, "Coverage", primary.UUID); api.RefID(o, "subscriber", "Patient") != f.pa {
			t.Errorf("self subscriber is not the patient: %v", o["subscriber"])
		}
		before := e.Count(e.t, "Coverage")
		tests := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"self must be the patient", policy(f.iid, "secondary", "2024-01-01", map[string]any{"subscriber_fname": "Grace"}), "subscriber_fname"},
			{"duplicate type and date", policy(f.iid, "primary", "2024-01-01", map[string]any{"date_end": "2024-06-01"}), "date"},
			{"one current policy per type", policy(f.iid, "primary", "2024-02-01", nil), "date_end"},
			{"end before start", policy(f.iid, "secondary", "2024-02-01", map[string]any{"date_end": "2024-01-01"}), "date_end"},
			{"unknown company", policy(999, "secondary", "2024-02-01", nil), "insurance_company_id"},
			{"other relationship with the patient's ssn", policy(f.iid, "tertiary", "2024-02-01", map[string]any{"subscriber_relationship": "spouse", "subscriber_ss": "900-11-2222"}), ""},
		}
		// Give the patient an SSN so the last rule applies.
		e.must(200, "PUT", "/api/patient/"+f.pa, e.staff, map[string]any{"ss": "900-11-2222"})
		tests[len(tests)-1].field = "subscriber_ss"
		for _, tc := range tests {
			a := e.do("POST", coll, e.staff, tc.body)
			if a.Status != 400 || a.ValidationErrors[tc.field] == nil {
				t.Errorf("%s: %d %s", tc.name, a.Status, a.Raw)
			}
		}
		if n := e.Count(e.t, "Coverage"); n != before {
			t.Errorf("rejected policies wrote %d coverages", n-before)
		}
		var secondary api.Created
		e.must(201, "POST", coll, e.staff, policy(f.iid, "secondary", "2024-03-01", nil)).into(t, &secondary)
		// Swap: the secondary becomes primary and the primary secondary.
		var after []api.Insurance
		e.must(200, "GET", coll+"/$swap-insurance?type=primary&uuid="+secondary.UUID, e.staff, nil).into(t, &after)
		types := map[string]string{}
		for _, in := range after {
			types[in.UUID] = in.Type
		}
		if types[secondary.UUID] != "primary" || types[primary.UUID] != "secondary" {
			t.Errorf("after swap: %v", types)
		}
		a := e.must(400, "GET", coll+"/$swap-insurance?type=fourth", e.staff, nil)
		if a.ValidationErrors["type"] == nil || a.ValidationErrors["uuid"] == nil {
			t.Errorf("bad swap: %s", a.Raw)
		}
		e.must(404, "GET", "/api/patient/"+f.pb+"/insurance/$swap-insurance?type=primary&uuid="+secondary.UUID, e.staff, nil)
		e.must(403, "GET", coll+"/$swap-insurance?type=primary&uuid="+secondary.UUID, e.token("api:oemr user/insurance.read"), nil)
	})
}
