package api_test

import (
	"testing"
)

// TestStrictBodies: control characters, JSON types that do not fit a field,
// values outside a field's list, and data after the body are refused with a
// 400 naming each field under the rule it failed; nothing is written.
func TestStrictBodies(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		id, _ := e.newPatient("Ada", "Lovelace")
		ok := func() map[string]any {
			return map[string]any{"fname": "Grace", "lname": "Hopper", "sex": "Female", "DOB": "1906-12-09"}
		}
		with := func(k string, v any) map[string]any { m := ok(); m[k] = v; return m }
		tests := []struct {
			name, method, path string
			body               any
			want               map[string]string // field → rule
		}{
			{"NUL in a name", "POST", "/api/patient", with("fname", "Gr\x00ace"), map[string]string{"fname": "control"}},
			{"escape in a city", "POST", "/api/patient", with("city", "Arling\x1bton"), map[string]string{"city": "control"}},
			{"C1 in a street", "POST", "/api/patient", with("street", "1 Main\u0085St"), map[string]string{"street": "control"}},
			{"control in a member name", "POST", "/api/patient", `{"fname":"Grace","lname":"Hopper","sex":"Female","DOB":"1906-12-09","x\u0000":"y"}`, map[string]string{`x\x00`: "control"}},
			{"number as a name", "POST", "/api/patient", with("fname", 5), map[string]string{"fname": "type"}},
			{"boolean as a name", "POST", "/api/patient", with("lname", true), map[string]string{"lname": "type"}},
			{"number as a street", "POST", "/api/patient", with("street", 221), map[string]string{"street": "type"}},
			{"number as a sex", "POST", "/api/patient", with("sex", 1), map[string]string{"sex": "type"}},
			{"Robot is not a sex", "POST", "/api/patient", with("sex", "Robot"), map[string]string{"sex": "list"}},
			{"date is a date", "POST", "/api/patient", with("DOB", "1906-02-30"), map[string]string{"DOB": "date"}},
			{"date as a number", "POST", "/api/patient", with("DOB", 19061209), map[string]string{"DOB": "type"}},
			{"trailing word", "POST", "/api/patient", `{"fname":"Grace","lname":"Hopper","sex":"Female","DOB":"1906-12-09"} xyz`, map[string]string{"request": "json"}},
			{"trailing brace", "POST", "/api/patient", `{"fname":"Grace","lname":"Hopper","sex":"Female","DOB":"1906-12-09"}}`, map[string]string{"request": "json"}},
			{"second object", "POST", "/api/patient", `{"fname":"Grace","lname":"Hopper","sex":"Female","DOB":"1906-12-09"} {}`, map[string]string{"request": "json"}},
			{"member twice", "POST", "/api/patient", `{"fname":"Grace","fname":"Ada","lname":"Hopper","sex":"Female","DOB":"1906-12-09"}`, map[string]string{"request": "json"}},
			{"update: number as a name", "PUT", "/api/patient/" + id, map[string]any{"lname": 7}, map[string]string{"lname": "type"}},
			{"update: NUL", "PUT", "/api/patient/" + id, map[string]any{"city": "\x00"}, map[string]string{"city": "control"}},
			{"update: trailing data", "PUT", "/api/patient/" + id, `{"city":"London"} ]`, map[string]string{"request": "json"}},
			{"NaN is not a number", "POST", "/api/insurance_company", map[string]any{"name": "Acme", "x12_default_partner_id": "NaN"}, map[string]string{"x12_default_partner_id": "numeric"}},
			{"hex float is not a number", "POST", "/api/insurance_company", map[string]any{"name": "Acme", "x12_default_partner_id": "0x1p-2"}, map[string]string{"x12_default_partner_id": "numeric"}},
			{"Inf is not a number", "POST", "/api/insurance_company", map[string]any{"name": "Acme", "x12_default_partner_id": "-Inf"}, map[string]string{"x12_default_partner_id": "numeric"}},
			{"boolean as a number", "POST", "/api/practitioner", map[string]any{"fname": "Jesse", "lname": "Thomas", "npi": true}, map[string]string{"npi": "type"}},
			{"list filter", "GET", "/api/patient?fname=Ad%00a", nil, map[string]string{"fname": "control"}},
			{"paging parameter", "GET", "/api/patient?_limit=5%01", nil, map[string]string{"_limit": "control"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := e.do(tt.method, tt.path, e.staff, tt.body)
				if a.Status != 400 {
					t.Fatalf("%s %s: %d %s; want 400", tt.method, tt.path, a.Status, a.Raw)
				}
				for f, r := range tt.want {
					if a.ValidationErrors[f][r] == "" {
						t.Errorf("no %s error for %s: %s", r, f, a.Raw)
					}
				}
				if len(a.ValidationErrors) != len(tt.want) {
					t.Errorf("errors %v, want %v", a.ValidationErrors, tt.want)
				}
			})
		}
		if n := e.Count(e.t, "Organization"); n != 0 {
			t.Errorf("%d organizations written by refused requests", n)
		}
		if n := e.Count(e.t, "Practitioner"); n != 0 {
			t.Errorf("%d practitioners written by refused requests", n)
		}
		if n := e.Count(e.t, "Patient"); n != 1 {
			t.Errorf("%d patients after refused requests, want 1", n)
		}
		if v := e.Read(e.t, "Patient", id)["meta"].(map[string]any)["versionId"]; v != "1" {
			t.Errorf("the patient was updated by a refused request: version %v", v)
		}

		// What the rules allow still goes through: a number for a numeric
		// field, a boolean for a true/false field, any case of a sex.
		// a number for an identifier without a word check (a medical record
		// number, a phone number), as the original API took them.
		e.must(201, "POST", "/api/practitioner", e.staff, map[string]any{"fname": "Jesse", "lname": "Thomas", "npi": 1234567893, "active": true})
		e.must(201, "POST", "/api/practitioner", e.staff, map[string]any{"fname": "Jo", "lname": "Ng", "npi": "1234567893", "active": 1})
		m := with("sex", "male")
		m["pubpid"], m["phone_home"] = 12345, 5551234
		e.must(201, "POST", "/api/patient", e.staff, m)
		e.must(200, "PUT", "/api/patient/"+id, e.staff, "{\"city\":\"Lon\\tdon\"}\n")
	})
}
