package api

import (
	"github.com/emedpractice/emp/internal/store"
)

// Procedure is a procedure done for a patient: a FHIR Procedure.
type Procedure struct {
	ID            int64  `json:"id"`
	UUID          string `json:"uuid" api:"readonly"`
	PUUID         string `json:"puuid"`
	Pid           int64  `json:"pid"`
	Code          string `json:"code"`
	CodeType      string `json:"code_type"`
	CodeText      string `json:"code_text"`
	Date          string `json:"date"`
	Status        string `json:"status"`
	EncounterUUID string `json:"encounter_uuid"`
	ProviderUUID  string `json:"provider_uuid"`
	Category      string `json:"category"`
}

var procedureType = &recordType[Procedure]{
	cacheable: true,
	name:      "procedure", fhirType: "Procedure", patientParam: "patient",
	query: map[string]queryField{
		"puuid": {param: "patient"}, "date": {param: "date"}, "code": {param: "code"}, "status": {param: "status"},
	},
	sortable: map[string]string{"date": "date"},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Procedure, error) {
		p := &Procedure{UUID: r.ID, PUUID: patientOf(o), Status: str(o, "status")}
		var err error
		if p.ID, err = m.num("procedure", r.ID); err != nil {
			return nil, err
		}
		if p.Pid, err = m.num("patient", p.PUUID); err != nil {
			return nil, err
		}
		code := child(o, "code")
		p.CodeText = textOf(code)
		if cd := first(code, "coding"); cd != nil {
			p.Code, p.CodeType = str(cd, "code"), codeTypeOf(str(cd, "system"))
		}
		if pp := child(o, "performedPeriod"); pp != nil {
			p.Date = apiDateTime(str(pp, "start"))
		} else {
			p.Date = apiDateTime(str(o, "performedDateTime"))
		}
		p.EncounterUUID = refID(o, "encounter", "Encounter")
		if pf := first(o, "performer"); pf != nil {
			p.ProviderUUID = refID(pf, "actor", "Practitioner")
		}
		p.Category = textOf(child(o, "category"))
		return p, nil
	},
}

func procedureRoutes() []Route {
	return crud(procedureType, "/procedure", "", "uuid", ops{list: true, get: true}, "procedures")
}
