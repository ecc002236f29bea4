package api

import (
	"strings"

	"github.com/emedpractice/emp/internal/store"
)

// Practitioner is a clinician: a FHIR Practitioner. npi is the NPI
// identifier; specialty the first qualification.
type Practitioner struct {
	ID            int64  `json:"id"`
	UUID          string `json:"uuid" api:"readonly"`
	Title         string `json:"title"`
	Fname         string `json:"fname"`
	Mname         string `json:"mname"`
	Lname         string `json:"lname"`
	Suffix        string `json:"suffix"`
	NPI           string `json:"npi"`
	FederalTaxID  string `json:"federaltaxid"`
	FederalDrugID string `json:"federaldrugid"`
	Specialty     string `json:"specialty"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	PhoneCell     string `json:"phonecell"`
	Fax           string `json:"fax"`
	Street        string `json:"street"`
	Streetb       string `json:"streetb"`
	City          string `json:"city"`
	State         string `json:"state"`
	Zip           string `json:"zip"`
	Active        string `json:"active"`
}

const (
	sysNPI = "http://hl7.org/fhir/sid/us-npi"
	sysTIN = "urn:oid:2.16.840.1.113883.4.4" // US employer identification / tax id numbers
	sysDEA = "urn:oid:2.16.840.1.113883.4.814"
)

var practitionerChecks = []check{
	{field: "fname", label: "First Name", required: true, min: 2, max: 255, text: true},
	{field: "lname", label: "Last Name", required: true, min: 2, max: 255, text: true},
	{field: "npi", label: "NPI", required: true, min: 10, max: 15, format: numeric},
	{field: "email", label: "Email", format: email},
	{field: "active", oneOf: []string{"true", "false", "1", "0"}},
}

var practitionerQuery = map[string]queryField{
	"fname": {param: "given"}, "lname": {param: "family"}, "npi": {param: "identifier", conv: func(v string) string { return sysNPI + "|" + v }},
	"email": {param: "email"}, "phone": {param: "phone"}, "city": {param: "address-city"}, "state": {param: "address-state"},
	"zip": {param: "address-postalcode"}, "street": {param: "address"},
	"federaltaxid": {param: "identifier", conv: func(v string) string { return sysTIN + "|" + v }},
}

// practitionerType builds the record type over Practitioner under a name:
// "practitioner", and "user" for the staff list (which numbers its records
// separately, as the original's users table did).
func practitionerType(name string) *recordType[Practitioner] {
	return &recordType[Practitioner]{
		cacheable: true,
		name:      name, fhirType: "Practitioner", checks: practitionerChecks, query: practitionerQuery,
		sortable: map[string]string{"fname": "given", "lname": "family"},
		toRecord: func(m *mapper, r *store.Resource, o obj) (*Practitioner, error) {
			p := &Practitioner{UUID: r.ID}
			var err error
			if p.ID, err = m.num(name, r.ID); err != nil {
				return nil, err
			}
			if n := officialName(o); n != nil {
				given := strs(n, "given")
				if len(given) > 0 {
					p.Fname = given[0]
				}
				if len(given) > 1 {
					p.Mname = strings.Join(given[1:], " ")
				}
				p.Lname = str(n, "family")
				if v := strs(n, "prefix"); len(v) > 0 {
					p.Title = v[0]
				}
				if v := strs(n, "suffix"); len(v) > 0 {
					p.Suffix = v[0]
				}
			}
			p.NPI = identifier(o, sysNPI)
			p.FederalTaxID = identifier(o, sysTIN)
			p.FederalDrugID = identifier(o, sysDEA)
			if q := first(o, "qualification"); q != nil {
				p.Specialty = textOf(child(q, "code"))
			}
			p.Email = telecom(o, "email", "")
			p.Phone = telecom(o, "phone", "work")
			p.PhoneCell = telecom(o, "phone", "mobile")
			p.Fax = telecom(o, "fax", "")
			if a := first(o, "address"); a != nil {
				l := strs(a, "line")
				if len(l) > 0 {
					p.Street = l[0]
				}
				if len(l) > 1 {
					p.Streetb = l[1]
				}
				p.City, p.State, p.Zip = str(a, "city"), str(a, "state"), str(a, "postalCode")
			}
			if b, ok := o["active"].(bool); ok {
				p.Active = boolText(b)
			}
			return p, nil
		},
		toFHIR: func(m *mapper, p *Practitioner, f fields, o obj, _ string) error {
			n := officialName(o)
			if n == nil {
				n = obj{"use": "official"}
				o["name"] = append([]any{n}, anySlice(o["name"])...)
			}
			set(n, "family", p.Lname)
			setStrs(n, "given", append([]string{p.Fname}, strings.Fields(p.Mname)...)...)
			if f.has("title") {
				setStrs(n, "prefix", p.Title)
			}
			if f.has("suffix") {
				setStrs(n, "suffix", p.Suffix)
			}
			set(n, "text", strings.Join(nonEmpty(p.Title, p.Fname, p.Mname, p.Lname, p.Suffix), " "))
			setIdentifier(o, sysNPI, p.NPI, nil)
			if f.has("federaltaxid") {
				setIdentifier(o, sysTIN, p.FederalTaxID, nil)
			}
			if f.has("federaldrugid") {
				setIdentifier(o, sysDEA, p.FederalDrugID, nil)
			}
			if f.has("specialty") {
				if p.Specialty == "" {
					delete(o, "qualification")
				} else if q := first(o, "qualification"); q != nil {
					ensure(q, "code")["text"] = p.Specialty
				} else {
					o["qualification"] = []any{obj{"code": obj{"text": p.Specialty}}}
				}
			}
			for _, t := range []struct{ field, system, use, value string }{
				{"email", "email", "", p.Email}, {"phone", "phone", "work", p.Phone},
				{"phonecell", "phone", "mobile", p.PhoneCell}, {"fax", "fax", "", p.Fax},
			} {
				if f.has(t.field) {
					setTelecom(o, t.system, t.use, t.value)
				}
			}
			if f.has("street") || f.has("streetb") || f.has("city") || f.has("state") || f.has("zip") {
				a := ensureFirst(o, "address")
				setStrs(a, "line", p.Street, p.Streetb)
				set(a, "city", p.City)
				set(a, "state", p.State)
				set(a, "postalCode", p.Zip)
			}
			if f.has("active") || o["active"] == nil {
				o["active"] = p.Active != "false" && p.Active != "0"
			}
			return nil
		},
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func practitionerRoutes() []Route {
	rs := crud(practitionerType("practitioner"), "/practitioner", "", "pruuid", ops{list: true, get: true, create: true, update: true}, "practitioners")
	return append(rs, crud(practitionerType("user"), "/user", "", "uuid", ops{list: true, get: true}, "users")...)
}
