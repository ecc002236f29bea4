package api

import (
	"github.com/emedpractice/emp/internal/store"
)

// Immunization is a vaccine given or reported: a FHIR Immunization.
type Immunization struct {
	ID                 int64  `json:"id"`
	UUID               string `json:"uuid" api:"readonly"`
	PUUID              string `json:"puuid" api:"readonly"`
	PatientID          int64  `json:"patient_id"`
	AdministeredDate   string `json:"administered_date"`
	CVXCode            string `json:"cvx_code"`
	CVXCodeText        string `json:"cvx_code_text"`
	Manufacturer       string `json:"manufacturer"`
	LotNumber          string `json:"lot_number"`
	ExpirationDate     string `json:"expiration_date"`
	Route              string `json:"route"`
	AdministrationSite string `json:"administration_site"`
	AmountAdministered string `json:"amount_administered"`
	AmountUnit         string `json:"amount_administered_unit"`
	CompletionStatus   string `json:"completion_status"`
	Note               string `json:"note"`
	PrimarySource      string `json:"primary_source"`
	InformationSource  string `json:"information_source"`
	EncounterUUID      string `json:"encounter_uuid"`
	AdministeredByUUID string `json:"administered_by_uuid"`
}

const sysCVX = "http://hl7.org/fhir/sid/cvx"

var immunizationType = &recordType[Immunization]{
	cacheable: true,
	name:      "immunization", fhirType: "Immunization", patientParam: "patient",
	query: map[string]queryField{
		"patient_id": {param: "patient"}, "puuid": {param: "patient"}, "administered_date": {param: "date"},
		"cvx_code":   {param: "vaccine-code", conv: func(v string) string { return sysCVX + "|" + v }},
		"lot_number": {param: "lot-number"}, "manufacturer": {param: "manufacturer:text"}, "status": {param: "status"},
	},
	sortable: map[string]string{"administered_date": "date"},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Immunization, error) {
		im := &Immunization{UUID: r.ID, PUUID: patientOf(o)}
		var err error
		if im.ID, err = m.num("immunization", r.ID); err != nil {
			return nil, err
		}
		if im.PatientID, err = m.num("patient", im.PUUID); err != nil {
			return nil, err
		}
		im.AdministeredDate = apiDateTime(str(o, "occurrenceDateTime"))
		vc := child(o, "vaccineCode")
		im.CVXCode = codeOf(o, "vaccineCode", sysCVX)
		im.CVXCodeText = textOf(vc)
		im.Manufacturer = str(child(o, "manufacturer"), "display")
		im.LotNumber = str(o, "lotNumber")
		im.ExpirationDate = str(o, "expirationDate")
		im.Route = textOf(child(o, "route"))
		im.AdministrationSite = textOf(child(o, "site"))
		dq := child(o, "doseQuantity")
		im.AmountAdministered = number(dq, "value")
		im.AmountUnit = str(dq, "unit")
		im.CompletionStatus = str(o, "status")
		if n := first(o, "note"); n != nil {
			im.Note = str(n, "text")
		}
		if b, ok := o["primarySource"].(bool); ok {
			im.PrimarySource = boolText(b)
		}
		im.InformationSource = textOf(child(o, "reportOrigin"))
		im.EncounterUUID = refID(o, "encounter", "Encounter")
		if p := first(o, "performer"); p != nil {
			im.AdministeredByUUID = refID(p, "actor", "Practitioner")
		}
		return im, nil
	},
}

func immunizationRoutes() []Route {
	return crud(immunizationType, "/immunization", "", "uuid", ops{list: true, get: true}, "immunizations")
}
