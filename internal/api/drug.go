package api

import (
	"github.com/emedpractice/emp/internal/store"
)

// Drug is a drug of the formulary: a FHIR Medication.
type Drug struct {
	ID     int64  `json:"id"`
	UUID   string `json:"uuid" api:"readonly"`
	Name   string `json:"name"`
	RxNorm string `json:"drug_code"`
	Form   string `json:"form"`
	Status string `json:"status"`
}

const sysRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm"

var drugType = &recordType[Drug]{
	cacheable: true,
	name:      "drug", fhirType: "Medication",
	query: map[string]queryField{"name": {param: "code:text"}, "drug_code": {param: "code", conv: func(v string) string { return sysRxNorm + "|" + v }}},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Drug, error) {
		d := &Drug{UUID: r.ID, Status: str(o, "status")}
		var err error
		if d.ID, err = m.num("drug", r.ID); err != nil {
			return nil, err
		}
		d.Name = textOf(child(o, "code"))
		d.RxNorm = codeOf(o, "code", sysRxNorm)
		d.Form = textOf(child(o, "form"))
		return d, nil
	},
}

func drugRoutes() []Route {
	return crud(drugType, "/drug", "", "uuid", ops{list: true, get: true}, "drugs")
}
