package api

import (
	"net/http"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Facility is a place of service: a FHIR Location, managed by the
// Organization that bills for it. A new facility creates both, in one
// transaction; its uuid and id are the Location's. The NPI and tax id are
// kept on the Location (and read from the Organization when the Location
// has none, as for locations written through FHIR).
type Facility struct {
	ID         int64  `json:"id"`
	UUID       string `json:"uuid" api:"readonly"`
	Name       string `json:"name"`
	NPI        string `json:"facility_npi"`
	Phone      string `json:"phone"`
	Fax        string `json:"fax"`
	Email      string `json:"email"`
	Street     string `json:"street"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country_code"`
	EIN        string `json:"federal_ein"`
	Website    string `json:"website"`
	Color      string `json:"color"`
	OrgUUID    string `json:"organization_uuid" api:"readonly"`
}

var facilityType = &recordType[Facility]{
	name: "facility", fhirType: "Location",
	checks: []check{
		{field: "name", label: "Name", required: true, min: 2, max: 255, text: true},
		{field: "facility_npi", label: "Facility NPI", required: true, min: 10, max: 15, format: numeric},
		{field: "phone", min: 3, max: 30}, {field: "fax", min: 3, max: 30},
		{field: "city", min: 2, max: 255, text: true}, {field: "state", min: 2, max: 50, text: true}, {field: "street", min: 2, max: 255, text: true},
		{field: "postal_code", min: 2, max: 11}, {field: "email", format: email}, {field: "country_code", min: 2, max: 30},
		{field: "federal_ein", min: 2, max: 15}, {field: "website", format: webURL}, {field: "color", min: 4, max: 7},
	},
	query: map[string]queryField{
		"name": {param: "name"}, "city": {param: "address-city"}, "state": {param: "address-state"},
		"postal_code": {param: "address-postalcode"}, "street": {param: "address"}, "country_code": {param: "address-country"},
		"facility_npi": {param: "identifier", conv: func(v string) string { return sysNPI + "|" + v }},
	},
	sortable: map[string]string{"name": "name"},
	toRecord: facilityRecord,
	toFHIR:   facilityFHIR,
}

func facilityRecord(m *mapper, r *store.Resource, o obj) (*Facility, error) {
	f := &Facility{UUID: r.ID, Name: str(o, "name")}
	var err error
	if f.ID, err = m.num("facility", r.ID); err != nil {
		return nil, err
	}
	f.NPI = identifier(o, sysNPI)
	f.EIN = identifier(o, sysTIN)
	f.OrgUUID = refID(o, "managingOrganization", "Organization")
	if f.NPI == "" && f.OrgUUID != "" {
		if or, err := m.s.Read(m.ctx, "Organization", f.OrgUUID, search.Compartment{}); err == nil {
			if org, err := fhirjson.Decode(or.Body); err == nil {
				f.NPI = identifier(org, sysNPI)
				if f.EIN == "" {
					f.EIN = identifier(org, sysTIN)
				}
			}
		}
	}
	f.Phone = telecom(o, "phone", "")
	f.Fax = telecom(o, "fax", "")
	f.Email = telecom(o, "email", "")
	f.Website = telecom(o, "url", "")
	if a := child(o, "address"); a != nil {
		if l := strs(a, "line"); len(l) > 0 {
			f.Street = l[0]
		}
		f.City, f.State, f.PostalCode, f.Country = str(a, "city"), str(a, "state"), str(a, "postalCode"), str(a, "country")
	}
	for _, e := range list(o, "extension") {
		if str(e, "url") == extColor {
			f.Color = str(e, "valueString")
		}
	}
	return f, nil
}

const extColor = "urn:emp:calendar-color" // the facility's colour in the practice calendar

func facilityFHIR(m *mapper, f *Facility, fs fields, o obj, _ string) error {
	set(o, "name", f.Name)
	if o["status"] == nil {
		o["status"] = "active"
	}
	setIdentifier(o, sysNPI, f.NPI, nil)
	if fs.has("federal_ein") {
		setIdentifier(o, sysTIN, f.EIN, nil)
	}
	for _, t := range []struct{ field, system, value string }{
		{"phone", "phone", f.Phone}, {"fax", "fax", f.Fax}, {"email", "email", f.Email}, {"website", "url", f.Website},
	} {
		if fs.has(t.field) {
			setTelecom(o, t.system, "", t.value)
		}
	}
	if fs.has("street") || fs.has("city") || fs.has("state") || fs.has("postal_code") || fs.has("country_code") {
		a := ensure(o, "address")
		setStrs(a, "line", f.Street)
		set(a, "city", f.City)
		set(a, "state", f.State)
		set(a, "postalCode", f.PostalCode)
		set(a, "country", f.Country)
	}
	if fs.has("color") {
		setExtensionValue(o, extColor, f.Color)
	}
	return nil
}

// setExtensionValue replaces the valueString extension of the url.
func setExtensionValue(o obj, url, v string) {
	a, _ := o["extension"].([]any)
	out := make([]any, 0, len(a)+1)
	for _, e := range a {
		if m, ok := e.(map[string]any); ok && str(m, "url") == url {
			continue
		}
		out = append(out, e)
	}
	if v != "" {
		out = append(out, obj{"url": url, "valueString": v})
	}
	if len(out) == 0 {
		delete(o, "extension")
		return
	}
	o["extension"] = out
}

func extensionValue(o obj, url string) string {
	for _, e := range list(o, "extension") {
		if str(e, "url") == url {
			return str(e, "valueString")
		}
	}
	return ""
}

// createFacility writes the Organization and the Location together.
func createFacility(c *call) (*reply, error) {
	k := facilityType
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if err := k.check(c, f, true, ""); err != nil {
		return nil, err
	}
	rec := new(Facility)
	overlay(rec, f)
	loc := obj{"resourceType": "Location"}
	if err := facilityFHIR(c.m, rec, f, loc, ""); err != nil {
		return nil, err
	}
	orgID, err := c.h.cfg.Store.NewID()
	if err != nil {
		return nil, err
	}
	loc["managingOrganization"] = ref("Organization", orgID)
	org := obj{"resourceType": "Organization", "active": true, "name": rec.Name,
		"type": []any{concept(coding{"http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider"})}}
	setIdentifier(org, sysNPI, rec.NPI, nil)
	setIdentifier(org, sysTIN, rec.EIN, nil)
	if a := child(loc, "address"); a != nil {
		org["address"] = []any{a}
	}
	for _, r := range []struct {
		t string
		o obj
	}{{"Organization", org}, {"Location", loc}} {
		if err := validFHIR(r.t, r.o); err != nil {
			return nil, err
		}
	}
	out, err := c.h.cfg.Store.CreateAll(c.ctx, []store.NewResource{
		{Type: "Organization", ID: orgID, Body: org},
		{Type: "Location", Body: loc, Numbered: "facility"},
	}, search.Compartment{})
	if err != nil {
		return nil, err
	}
	c.resID = out[1].ID
	return &reply{status: http.StatusCreated, data: Created{ID: out[1].Num, UUID: out[1].ID}}, nil
}

func facilityRoutes() []Route {
	rs := crud(facilityType, "/facility", "", "fuuid", ops{list: true, get: true, update: true}, "facilities")
	return append(rs, Route{Method: http.MethodPost, Path: "/facility", Resource: "facility", Interaction: scope.Create,
		Summary: "create a facility", Request: typeOf[Facility](), Response: typeOf[Created](), Status: 201, handle: createFacility})
}
