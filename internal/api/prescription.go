package api

import (
	"strconv"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
)

// Prescription is an order for a drug: a FHIR MedicationRequest.
// patient_id is the patient's pid (or uuid); provider_id the practitioner's
// id.
type Prescription struct {
	ID         int64  `json:"id"`
	UUID       string `json:"uuid" api:"readonly"`
	PatientID  string `json:"patient_id"`
	PUUID      string `json:"puuid" api:"readonly"`
	Drug       string `json:"drug"`
	RxNorm     string `json:"rxnorm_drugcode"`
	Dosage     string `json:"dosage"`
	Quantity   string `json:"quantity"`
	Refills    string `json:"refills"`
	ProviderID string `json:"provider_id"`
	StartDate  string `json:"start_date"`
	Active     string `json:"active" api:"readonly"`
	Status     string `json:"status" api:"readonly"`
	Note       string `json:"note"`
}

var prescriptionType = &recordType[Prescription]{
	cacheable: true,
	name:      "prescription", fhirType: "MedicationRequest", patientParam: "patient",
	checks: []check{
		{field: "drug", label: "Drug", required: true, min: 1, max: 255, text: true},
		{field: "patient_id", label: "Patient", required: true},
		{field: "quantity", format: numeric}, {field: "refills", format: numeric},
		{field: "provider_id", format: numeric}, {field: "start_date", format: dateTime},
	},
	query: map[string]queryField{
		"puuid": {param: "patient"}, "patient.uuid": {param: "patient"}, "drug": {param: "code:text"},
		"start_date": {param: "authoredon"}, "status": {param: "status"},
	},
	sortable: map[string]string{"start_date": "authoredon"},
	extra: func(c *call, f fields, create bool, _ string) errs.Multi {
		v, ok := f["patient_id"]
		if !ok || v == "" {
			return nil
		}
		if _, err := prescriptionPatient(c.m, v); err != nil {
			return errs.Multi{fieldErr("patient_id", "exists", "no patient %q", v)}
		}
		return nil
	},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Prescription, error) {
		p := &Prescription{UUID: r.ID, PUUID: patientOf(o), Status: str(o, "status")}
		var err error
		if p.ID, err = m.num("prescription", r.ID); err != nil {
			return nil, err
		}
		pid, err := m.num("patient", p.PUUID)
		if err != nil {
			return nil, err
		}
		p.PatientID = strconv.FormatInt(pid, 10)
		if cc := child(o, "medicationCodeableConcept"); cc != nil {
			p.Drug = textOf(cc)
			p.RxNorm = codeOf(o, "medicationCodeableConcept", sysRxNorm)
		} else {
			p.Drug = str(child(o, "medicationReference"), "display")
		}
		if d := first(o, "dosageInstruction"); d != nil {
			p.Dosage = str(d, "text")
		}
		dr := child(o, "dispenseRequest")
		p.Quantity = number(child(dr, "quantity"), "value")
		p.Refills = number(dr, "numberOfRepeatsAllowed")
		if id := refID(o, "requester", "Practitioner"); id != "" {
			n, err := m.num("practitioner", id)
			if err != nil {
				return nil, err
			}
			p.ProviderID = strconv.FormatInt(n, 10)
		}
		p.StartDate = apiDateTime(str(o, "authoredOn"))
		p.Active = "0"
		if p.Status == "active" {
			p.Active = "1"
		}
		if n := first(o, "note"); n != nil {
			p.Note = str(n, "text")
		}
		return p, nil
	},
	toFHIR: func(m *mapper, p *Prescription, f fields, o obj, _ string) error {
		pt, err := prescriptionPatient(m, p.PatientID)
		if err != nil {
			return fieldErr("patient_id", "exists", "no patient %q", p.PatientID)
		}
		setRef(o, "subject", "Patient", pt)
		if o["status"] == nil {
			o["status"] = "active"
		}
		if o["intent"] == nil {
			o["intent"] = "order"
		}
		if f.has("drug") || f.has("rxnorm_drugcode") {
			diag := ""
			if p.RxNorm != "" {
				diag = "RXCUI:" + p.RxNorm
			}
			delete(o, "medicationReference")
			setConcept(o, "medicationCodeableConcept", p.Drug, diag, true)
		}
		if f.has("dosage") {
			if p.Dosage == "" {
				delete(o, "dosageInstruction")
			} else {
				ensureFirst(o, "dosageInstruction")["text"] = p.Dosage
			}
		}
		if f.has("quantity") && p.Quantity != "" {
			ensure(ensure(o, "dispenseRequest"), "quantity")["value"] = jsonNumber(p.Quantity)
		}
		if f.has("refills") && p.Refills != "" {
			n, _ := strconv.ParseFloat(p.Refills, 64)
			ensure(o, "dispenseRequest")["numberOfRepeatsAllowed"] = jsonInt(int64(n))
		}
		if f.has("provider_id") {
			id, err := m.uuidOf("practitioner", p.ProviderID)
			if err != nil {
				return err
			}
			setRef(o, "requester", "Practitioner", id)
		}
		set(o, "authoredOn", fhirDateTime(p.StartDate))
		if f.has("note") {
			setNote(o, p.Note)
		}
		return nil
	},
}

// prescriptionPatient resolves patient_id (a pid or a uuid) to an existing
// patient.
func prescriptionPatient(m *mapper, v string) (string, error) {
	id := v
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if id, err = m.s.APIUUID(m.ctx, "patient", n); err != nil {
			return "", err
		}
	} else if !search.ValidID(v) {
		return "", errs.E(errs.NotFound, "no patient %q", v)
	}
	if _, err := m.s.Read(m.ctx, "Patient", id, search.Compartment{}); err != nil {
		return "", err
	}
	return id, nil
}

func prescriptionRoutes() []Route {
	return crud(prescriptionType, "/prescription", "", "uuid", ops{list: true, get: true, create: true, delete: true}, "prescriptions")
}
