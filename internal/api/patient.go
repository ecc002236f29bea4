package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Patient is a patient's demographics: a FHIR Patient. pid is the
// patient's stable integer id; pubpid the medical record number the
// practice shows (the Patient's MR identifier, or the pid when it has none).
type Patient struct {
	ID        int64  `json:"id"`
	Pid       int64  `json:"pid"`
	UUID      string `json:"uuid" api:"readonly"`
	Pubpid    string `json:"pubpid"`
	Title     string `json:"title"`
	Fname     string `json:"fname"`
	Mname     string `json:"mname"`
	Lname     string `json:"lname"`
	Street    string `json:"street"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postal    string `json:"postal_code"`
	Country   string `json:"country_code"`
	PhoneHome string `json:"phone_home"`
	PhoneBiz  string `json:"phone_biz"`
	PhoneCell string `json:"phone_cell"`
	Email     string `json:"email"`
	DOB       string `json:"DOB"`
	Sex       string `json:"sex"`
	Race      string `json:"race"`
	Ethnicity string `json:"ethnicity"`
	SS        string `json:"ss"`
	Status    string `json:"status"`
}

// PatientCreated is the data of a 201 from POST /api/patient.
type PatientCreated struct {
	Pid  int64  `json:"pid"`
	UUID string `json:"uuid"`
}

const (
	sysSSN       = "http://hl7.org/fhir/sid/us-ssn"
	sysMRN       = "urn:oid:2.16.840.1.113883.3.7418.1" // the practice's medical record numbers
	sysV2ID      = "http://terminology.hl7.org/CodeSystem/v2-0203"
	extRace      = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
	extEthnicity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
	sysMarital   = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
)

var patientType = &recordType[Patient]{
	cacheable: true,
	name:      "patient", fhirType: "Patient", patientParam: "",
	checks: []check{
		{field: "fname", label: "First Name", required: true, min: 1, max: 255, text: true},
		{field: "lname", label: "Last Name", required: true, min: 2, max: 255, text: true},
		{field: "sex", label: "Sex", required: true, oneOf: []string{"Female", "Male", "Other", "Unknown"}, fold: true},
		{field: "DOB", label: "Date of Birth", required: true, format: dateYMD},
		{field: "email", label: "Email", format: email},
		{field: "title", max: 255, text: true}, {field: "mname", max: 255, text: true}, {field: "street", max: 255, text: true},
		{field: "city", max: 255, text: true}, {field: "state", max: 255, text: true}, {field: "postal_code", max: 255},
		{field: "pubpid", max: 255}, {field: "ss", max: 255},
	},
	query: map[string]queryField{
		"fname": {param: "given"}, "lname": {param: "family"}, "street": {param: "address"},
		"city": {param: "address-city"}, "state": {param: "address-state"}, "postal_code": {param: "address-postalcode"},
		"country_code": {param: "address-country"},
		"phone_home":   {param: "phone"}, "phone_biz": {param: "phone"}, "phone_cell": {param: "phone"},
		"email": {param: "email"}, "sex": {param: "gender", conv: lower}, "DOB": {param: "birthdate"},
		"ss":     {param: "identifier", conv: func(v string) string { return sysSSN + "|" + v }},
		"pubpid": {param: "identifier"},
	},
	sortable: map[string]string{"fname": "given", "lname": "family", "DOB": "birthdate", "sex": "gender"},
	created:  func(n int64, id string) any { return PatientCreated{Pid: n, UUID: id} },
	toRecord: patientRecord,
	toFHIR:   patientFHIR,
}

func patientRecord(m *mapper, r *store.Resource, o obj) (*Patient, error) {
	p := &Patient{UUID: r.ID}
	n, err := m.num("patient", r.ID)
	if err != nil {
		return nil, err
	}
	p.ID, p.Pid = n, n
	if name := officialName(o); name != nil {
		given := strs(name, "given")
		if len(given) > 0 {
			p.Fname = given[0]
		}
		if len(given) > 1 {
			p.Mname = strings.Join(given[1:], " ")
		}
		p.Lname = str(name, "family")
		if pre := strs(name, "prefix"); len(pre) > 0 {
			p.Title = pre[0]
		}
	}
	if a := first(o, "address"); a != nil {
		if l := strs(a, "line"); len(l) > 0 {
			p.Street = strings.Join(l, ", ")
		}
		p.City, p.State, p.Postal, p.Country = str(a, "city"), str(a, "state"), str(a, "postalCode"), str(a, "country")
	}
	p.PhoneHome = telecom(o, "phone", "home")
	p.PhoneBiz = telecom(o, "phone", "work")
	p.PhoneCell = telecom(o, "phone", "mobile")
	p.Email = telecom(o, "email", "")
	p.DOB = str(o, "birthDate")
	p.Sex = sexFromGender(str(o, "gender"))
	p.Race = extensionText(o, extRace)
	p.Ethnicity = extensionText(o, extEthnicity)
	p.SS = identifier(o, sysSSN)
	p.Pubpid = mrn(o)
	if p.Pubpid == "" {
		p.Pubpid = strconv.FormatInt(n, 10)
	}
	p.Status = textOf(child(o, "maritalStatus"))
	return p, nil
}

// officialName is the name the API shows: the official one, else the first.
func officialName(o obj) obj {
	names := list(o, "name")
	for _, n := range names {
		if str(n, "use") == "official" {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return nil
}

// mrn is the value of the medical record number identifier (type MR).
func mrn(o obj) string {
	for _, id := range list(o, "identifier") {
		if codeOf(id, "type", sysV2ID) == "MR" {
			return str(id, "value")
		}
	}
	return identifier(o, sysMRN)
}

func patientFHIR(m *mapper, p *Patient, f fields, o obj, _ string) error {
	name := officialName(o)
	if name == nil {
		name = obj{"use": "official"}
		o["name"] = append([]any{name}, anySlice(o["name"])...)
	}
	set(name, "family", p.Lname)
	setStrs(name, "given", append([]string{p.Fname}, strings.Fields(p.Mname)...)...)
	if f.has("title") {
		setStrs(name, "prefix", p.Title)
	}
	set(name, "text", strings.Join(nonEmpty(p.Title, p.Fname, p.Mname, p.Lname), " "))
	if f.has("street") || f.has("city") || f.has("state") || f.has("postal_code") || f.has("country_code") {
		a := ensureFirst(o, "address")
		setStrs(a, "line", p.Street)
		set(a, "city", p.City)
		set(a, "state", p.State)
		set(a, "postalCode", p.Postal)
		set(a, "country", p.Country)
	}
	for _, t := range []struct{ field, system, use, value string }{
		{"phone_home", "phone", "home", p.PhoneHome}, {"phone_biz", "phone", "work", p.PhoneBiz},
		{"phone_cell", "phone", "mobile", p.PhoneCell}, {"email", "email", "", p.Email},
	} {
		if f.has(t.field) {
			setTelecom(o, t.system, t.use, t.value)
		}
	}
	set(o, "birthDate", p.DOB)
	set(o, "gender", genderFromSex(p.Sex))
	if f.has("ss") {
		setIdentifier(o, sysSSN, p.SS, obj{"type": concept(coding{sysV2ID, "SS", "Social Security number"})})
	}
	if f.has("pubpid") {
		setMRN(o, p.Pubpid)
	}
	if f.has("race") {
		setExtensionText(o, extRace, p.Race)
	}
	if f.has("ethnicity") {
		setExtensionText(o, extEthnicity, p.Ethnicity)
	}
	if f.has("status") {
		setMarital(o, p.Status)
	}
	if _, ok := o["active"]; !ok {
		o["active"] = true
	}
	return nil
}

func setMRN(o obj, v string) {
	for _, id := range list(o, "identifier") {
		if codeOf(id, "type", sysV2ID) == "MR" {
			if v != "" {
				id["value"] = v
				return
			}
		}
	}
	setIdentifier(o, sysMRN, v, obj{"use": "usual", "type": concept(coding{sysV2ID, "MR", "Medical Record Number"})})
}

var maritalCodes = map[string]string{"married": "M", "single": "S", "divorced": "D", "widowed": "W", "separated": "L", "domestic partner": "T"}

func setMarital(o obj, status string) {
	if status == "" {
		delete(o, "maritalStatus")
		return
	}
	if code, ok := maritalCodes[strings.ToLower(status)]; ok {
		o["maritalStatus"] = obj{"coding": []any{obj{"system": sysMarital, "code": code}}, "text": status}
		return
	}
	o["maritalStatus"] = obj{"text": status}
}

// sexFromGender and genderFromSex translate FHIR's administrative gender
// and the API's sex list (Male, Female, …).
func sexFromGender(g string) string {
	switch g {
	case "male":
		return "Male"
	case "female":
		return "Female"
	case "other":
		return "Other"
	case "unknown":
		return "Unknown"
	}
	return ""
}

func genderFromSex(s string) string {
	switch g := strings.ToLower(s); g {
	case "male", "female", "other", "unknown":
		return g
	case "":
		return ""
	}
	return "other"
}

// extensionText reads the text of a US Core race or ethnicity extension.
func extensionText(o obj, url string) string {
	for _, e := range list(o, "extension") {
		if str(e, "url") != url {
			continue
		}
		for _, sub := range list(e, "extension") {
			if str(sub, "url") == "text" {
				return str(sub, "valueString")
			}
		}
	}
	return ""
}

// setExtensionText replaces a race or ethnicity extension by one holding
// only the text (the API carries no codes for them).
func setExtensionText(o obj, url, text string) {
	a, _ := o["extension"].([]any)
	out := make([]any, 0, len(a)+1)
	for _, e := range a {
		if m, ok := e.(map[string]any); ok && str(m, "url") == url {
			continue
		}
		out = append(out, e)
	}
	if text != "" {
		out = append(out, obj{"url": url, "extension": []any{obj{"url": "text", "valueString": text}}})
	}
	if len(out) == 0 {
		delete(o, "extension")
		return
	}
	o["extension"] = out
}

func nonEmpty(vs ...string) []string {
	out := vs[:0:0]
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func anySlice(v any) []any { a, _ := v.([]any); return a }

func patientRoutes() []Route {
	k := patientType
	q := queryNames(k.query)
	return []Route{
		{Method: http.MethodGet, Path: "/patient", Resource: "patient", Interaction: scope.Search, List: true, Query: q,
			Summary: "search patients", Response: typeOf[Patient](), Status: 200,
			handle: func(c *call) (*reply, error) { return k.list(c, "") }},
		{Method: http.MethodPost, Path: "/patient", Resource: "patient", Interaction: scope.Create,
			Summary: "create a patient", Request: typeOf[Patient](), Response: typeOf[PatientCreated](), Status: 201,
			handle: func(c *call) (*reply, error) { return k.create(c, "") }},
		{Method: http.MethodGet, Path: "/patient/{puuid}", Resource: "patient", Interaction: scope.Read,
			Summary: "read a patient by uuid or pid", Response: typeOf[Patient](), Status: 200,
			handle: func(c *call) (*reply, error) {
				id, err := c.resolveID("puuid", "patient")
				if err != nil {
					return nil, err
				}
				return k.get(c, "", id)
			}},
		{Method: http.MethodPut, Path: "/patient/{puuid}", Resource: "patient", Interaction: scope.Update,
			Summary: "update a patient (only the fields sent)", Request: typeOf[Patient](), Response: typeOf[Patient](), Status: 200,
			handle: func(c *call) (*reply, error) {
				id, err := c.resolveID("puuid", "patient")
				if err != nil {
					return nil, err
				}
				return k.update(c, "", id)
			}},
	}
}
