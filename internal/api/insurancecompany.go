package api

import (
	"strconv"

	"github.com/emedpractice/emp/internal/store"
)

// InsuranceCompany is a payer: a FHIR Organization of type pay. iid is its
// integer id; ins_type_code a number of the insurance type list.
type InsuranceCompany struct {
	ID                  int64  `json:"id"`
	IID                 int64  `json:"iid"`
	UUID                string `json:"uuid" api:"readonly"`
	Name                string `json:"name"`
	Attn                string `json:"attn"`
	CMSID               string `json:"cms_id"`
	AltCMSID            string `json:"alt_cms_id"`
	InsTypeCode         string `json:"ins_type_code"`
	X12ReceiverID       string `json:"x12_receiver_id"`
	X12DefaultPartnerID string `json:"x12_default_partner_id"`
	Line1               string `json:"line1"`
	Line2               string `json:"line2"`
	City                string `json:"city"`
	State               string `json:"state"`
	Zip                 string `json:"zip"`
	Country             string `json:"country"`
	Phone               string `json:"phone"`
}

// InsuranceCompanyCreated is the data of a 201.
type InsuranceCompanyCreated struct {
	IID  int64  `json:"iid"`
	UUID string `json:"uuid"`
}

const (
	sysOrgType     = "http://terminology.hl7.org/CodeSystem/organization-type"
	sysCMSID       = "urn:emp:payer:cms-id" // the payer's id with the claims clearinghouse
	sysAltCMSID    = "urn:emp:payer:alt-cms-id"
	sysX12Receiver = "urn:emp:payer:x12-receiver-id"
	sysX12Partner  = "urn:emp:payer:x12-partner-id"
	extInsType     = "urn:emp:payer:ins-type-code"
)

var insuranceCompanyType = &recordType[InsuranceCompany]{
	cacheable: true,
	name:      "insurance_company", fhirType: "Organization",
	checks: []check{
		{field: "name", label: "Name", required: true, min: 2, max: 255, text: true},
		{field: "attn", min: 2, max: 255, text: true}, {field: "cms_id", min: 2, max: 15}, {field: "alt_cms_id", min: 2, max: 15},
		{field: "ins_type_code", format: numeric, oneOf: insTypeCodes()}, {field: "x12_receiver_id", min: 2, max: 25},
		{field: "x12_default_partner_id", format: numeric}, {field: "line1", max: 255, text: true}, {field: "line2", max: 255, text: true},
		{field: "city", max: 255, text: true}, {field: "state", max: 35, text: true}, {field: "zip", max: 35}, {field: "country", max: 255, text: true},
	},
	query:       map[string]queryField{"name": {param: "name"}, "city": {param: "address-city"}, "state": {param: "address-state"}},
	sortable:    map[string]string{"name": "name"},
	fixed:       map[string][]string{"type": {sysOrgType + "|pay"}},
	match:       func(o obj) bool { return hasCode(o, "type", "pay") },
	created:     func(n int64, id string) any { return InsuranceCompanyCreated{IID: n, UUID: id} },
	createdType: typeOf[InsuranceCompanyCreated](),
	toRecord: func(m *mapper, r *store.Resource, o obj) (*InsuranceCompany, error) {
		c := &InsuranceCompany{UUID: r.ID, Name: str(o, "name")}
		var err error
		if c.ID, err = m.num("insurance_company", r.ID); err != nil {
			return nil, err
		}
		c.IID = c.ID
		if ct := first(o, "contact"); ct != nil {
			c.Attn = str(child(ct, "name"), "text")
		}
		c.CMSID = identifier(o, sysCMSID)
		c.AltCMSID = identifier(o, sysAltCMSID)
		c.X12ReceiverID = identifier(o, sysX12Receiver)
		c.X12DefaultPartnerID = identifier(o, sysX12Partner)
		c.InsTypeCode = extensionValue(o, extInsType)
		if a := first(o, "address"); a != nil {
			l := strs(a, "line")
			if len(l) > 0 {
				c.Line1 = l[0]
			}
			if len(l) > 1 {
				c.Line2 = l[1]
			}
			c.City, c.State, c.Zip, c.Country = str(a, "city"), str(a, "state"), str(a, "postalCode"), str(a, "country")
		}
		c.Phone = telecom(o, "phone", "")
		return c, nil
	},
	toFHIR: func(m *mapper, c *InsuranceCompany, f fields, o obj, _ string) error {
		set(o, "name", c.Name)
		if o["active"] == nil {
			o["active"] = true
		}
		if !hasCode(o, "type", "pay") {
			o["type"] = append(anySlice(o["type"]), concept(coding{sysOrgType, "pay", "Payer"}))
		}
		if f.has("attn") {
			if c.Attn == "" {
				delete(o, "contact")
			} else {
				o["contact"] = []any{obj{"name": obj{"text": c.Attn}}}
			}
		}
		for _, x := range []struct{ field, system, value string }{
			{"cms_id", sysCMSID, c.CMSID}, {"alt_cms_id", sysAltCMSID, c.AltCMSID},
			{"x12_receiver_id", sysX12Receiver, c.X12ReceiverID}, {"x12_default_partner_id", sysX12Partner, c.X12DefaultPartnerID},
		} {
			if f.has(x.field) {
				setIdentifier(o, x.system, x.value, nil)
			}
		}
		if f.has("ins_type_code") {
			setExtensionValue(o, extInsType, c.InsTypeCode)
		}
		if f.has("line1") || f.has("line2") || f.has("city") || f.has("state") || f.has("zip") || f.has("country") {
			a := ensureFirst(o, "address")
			setStrs(a, "line", c.Line1, c.Line2)
			set(a, "city", c.City)
			set(a, "state", c.State)
			set(a, "postalCode", c.Zip)
			set(a, "country", c.Country)
		}
		if f.has("phone") {
			setTelecom(o, "phone", "", c.Phone)
		}
		return nil
	},
}

func insTypeCodes() []string {
	out := make([]string, len(insuranceTypes))
	for i := range insuranceTypes {
		out[i] = strconv.Itoa(i + 1)
	}
	return out
}

func insuranceCompanyRoutes() []Route {
	return crud(insuranceCompanyType, "/insurance_company", "", "iid", ops{list: true, get: true, create: true, update: true}, "insurance companies")
}
