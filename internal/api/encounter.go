package api

import (
	"strconv"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
)

// Encounter is a visit: a FHIR Encounter. encounter (and id) is its
// integer number; facility_id the integer id of the facility (a Location),
// provider_id that of the practitioner who saw the patient.
type Encounter struct {
	ID          int64  `json:"id"`
	Encounter   int64  `json:"encounter"`
	UUID        string `json:"uuid" api:"readonly"`
	Pid         int64  `json:"pid"`
	PUUID       string `json:"puuid" api:"readonly"`
	Date        string `json:"date"`
	EndDate     string `json:"end_date"`
	Reason      string `json:"reason"`
	Facility    string `json:"facility" api:"readonly"`
	FacilityID  string `json:"facility_id"`
	ProviderID  string `json:"provider_id"`
	PcCatid     string `json:"pc_catid"`
	PcCatname   string `json:"pc_catname"`
	ClassCode   string `json:"class_code"`
	ClassTitle  string `json:"class_title" api:"readonly"`
	Status      string `json:"status"`
	ExternalID  string `json:"external_id"`
	Sensitivity string `json:"sensitivity"`
}

// EncounterCreated is the data of a 201 from creating an encounter.
type EncounterCreated struct {
	Encounter int64  `json:"encounter"`
	UUID      string `json:"uuid"`
}

const (
	sysActCode     = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysCategory    = "urn:emp:visit-category" // the practice's visit and appointment categories (pc_catid)
	sysExternalID  = "urn:emp:external-id"
	sysConfidental = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
)

// encounterClasses is the _ActEncounterCode list the class_code must come
// from, with the display the API shows as class_title.
var encounterClasses = map[string]string{
	"AMB": "ambulatory", "EMER": "emergency", "FLD": "field", "HH": "home health", "IMP": "inpatient encounter",
	"ACUTE": "inpatient acute", "NONAC": "inpatient non-acute", "OBSENC": "observation encounter",
	"PRENC": "pre-admission", "SS": "short stay", "VR": "virtual",
}

var encounterStatuses = []string{"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"}

var encounterType = &recordType[Encounter]{
	cacheable: true,
	name:      "encounter", fhirType: "Encounter", patientParam: "patient",
	checks: []check{
		{field: "pc_catid", label: "Visit Category", required: true, format: numeric},
		{field: "class_code", label: "Class", required: true, oneOf: sortedKeys(encounterClasses)},
		{field: "date", label: "Date", format: dateTime},
		{field: "end_date", label: "End Date", format: dateTime},
		{field: "reason", max: 65535},
		{field: "facility_id", label: "Facility", format: numeric},
		{field: "provider_id", label: "Provider", format: numeric},
		{field: "status", oneOf: encounterStatuses},
		{field: "sensitivity", max: 30},
	},
	query: map[string]queryField{
		"date": {param: "date"}, "class_code": {param: "class"}, "status": {param: "status"},
	},
	sortable:    map[string]string{"date": "date"},
	created:     func(n int64, id string) any { return EncounterCreated{Encounter: n, UUID: id} },
	createdType: typeOf[EncounterCreated](),
	toRecord:    encounterRecord,
	toFHIR:      encounterFHIR,
	extra:       checkFacilityProvider,
}

func encounterRecord(m *mapper, r *store.Resource, o obj) (*Encounter, error) {
	e := &Encounter{UUID: r.ID, PUUID: refID(o, "subject", "Patient")}
	var err error
	if e.Encounter, err = m.num("encounter", r.ID); err != nil {
		return nil, err
	}
	e.ID = e.Encounter
	if e.Pid, err = m.num("patient", e.PUUID); err != nil {
		return nil, err
	}
	period := child(o, "period")
	e.Date = apiDateTime(str(period, "start"))
	e.EndDate = apiDateTime(str(period, "end"))
	if rc := first(o, "reasonCode"); rc != nil {
		e.Reason = textOf(rc)
	}
	if loc := first(o, "location"); loc != nil {
		l := child(loc, "location")
		e.Facility = str(l, "display")
		if id := refID(loc, "location", "Location"); id != "" {
			n, err := m.num("facility", id)
			if err != nil {
				return nil, err
			}
			e.FacilityID = strconv.FormatInt(n, 10)
		}
	}
	for _, p := range list(o, "participant") {
		if id := refID(p, "individual", "Practitioner"); id != "" {
			n, err := m.num("practitioner", id)
			if err != nil {
				return nil, err
			}
			e.ProviderID = strconv.FormatInt(n, 10)
			break
		}
	}
	for _, t := range list(o, "type") {
		for _, cd := range list(t, "coding") {
			if str(cd, "system") == sysCategory {
				e.PcCatid, e.PcCatname = str(cd, "code"), str(cd, "display")
			}
		}
	}
	cls := child(o, "class")
	e.ClassCode = str(cls, "code")
	e.ClassTitle = str(cls, "display")
	e.Status = str(o, "status")
	e.ExternalID = identifier(o, sysExternalID)
	for _, s := range list(child(o, "meta"), "security") {
		if str(s, "system") == sysConfidental {
			e.Sensitivity = str(s, "code")
		}
	}
	return e, nil
}

func encounterFHIR(m *mapper, e *Encounter, f fields, o obj, patient string) error {
	setRef(o, "subject", "Patient", patient)
	if e.Status == "" {
		e.Status = "finished"
	}
	o["status"] = e.Status
	if f.has("class_code") || o["class"] == nil {
		o["class"] = obj{"system": sysActCode, "code": e.ClassCode, "display": encounterClasses[e.ClassCode]}
	}
	if f.has("date") || f.has("end_date") {
		p := ensure(o, "period")
		set(p, "start", fhirDateTime(e.Date))
		set(p, "end", fhirDateTime(e.EndDate))
		if len(p) == 0 {
			delete(o, "period")
		}
	}
	if f.has("reason") {
		if e.Reason == "" {
			delete(o, "reasonCode")
		} else if rc := first(o, "reasonCode"); rc != nil {
			rc["text"] = e.Reason
		} else {
			o["reasonCode"] = []any{obj{"text": e.Reason}}
		}
	}
	if f.has("pc_catid") || f.has("pc_catname") {
		setCategoryType(o, "type", e.PcCatid, e.PcCatname)
	}
	if f.has("facility_id") {
		id, err := m.uuidOf("facility", e.FacilityID)
		if err != nil {
			return err
		}
		if id == "" {
			delete(o, "location")
		} else {
			o["location"] = []any{obj{"location": ref("Location", id)}}
		}
	}
	if f.has("provider_id") {
		id, err := m.uuidOf("practitioner", e.ProviderID)
		if err != nil {
			return err
		}
		if id == "" {
			delete(o, "participant")
		} else {
			o["participant"] = []any{obj{"individual": ref("Practitioner", id)}}
		}
	}
	if f.has("external_id") {
		setIdentifier(o, sysExternalID, e.ExternalID, nil)
	}
	if f.has("sensitivity") {
		meta := ensure(o, "meta")
		if e.Sensitivity == "" {
			delete(meta, "security")
		} else {
			meta["security"] = []any{obj{"system": sysConfidental, "code": e.Sensitivity}}
		}
	}
	return nil
}

// setCategoryType puts the practice's category (pc_catid) into the
// CodeableConcept list at key, keeping the other codings.
func setCategoryType(o obj, key, catid, name string) {
	a, _ := o[key].([]any)
	out := make([]any, 0, len(a)+1)
	for _, e := range a {
		if m, ok := e.(map[string]any); ok {
			keep := true
			for _, cd := range list(m, "coding") {
				if str(cd, "system") == sysCategory {
					keep = false
				}
			}
			if !keep {
				continue
			}
		}
		out = append(out, e)
	}
	if catid != "" {
		cd := obj{"system": sysCategory, "code": catid}
		if name != "" {
			cd["display"] = name
		}
		out = append(out, obj{"coding": []any{cd}})
	}
	if len(out) == 0 {
		delete(o, key)
		return
	}
	o[key] = out
}

// uuidOf turns an integer id the client sent into the record's uuid; ""
// for "". An unknown number is a 400 naming the recordName's field.
func (m *mapper) uuidOf(recordName, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if search.ValidID(v) {
			return v, nil
		}
		return "", fieldErr(recordName+"_id", "id", "%q is not a %s id", v, recordName)
	}
	id, err := m.s.APIUUID(m.ctx, recordName, n)
	if errs.KindOf(err) == errs.NotFound {
		return "", fieldErr(recordName+"_id", "exists", "no %s has the id %d", recordName, n)
	}
	return id, err
}

// checkFacilityProvider checks that facility_id and provider_id name
// existing records, so that nothing refers to what is not there.
func checkFacilityProvider(c *call, f fields, _ bool, _ string) errs.Multi {
	var out errs.Multi
	for _, x := range []struct{ field, recordName, rtype string }{{"facility_id", "facility", "Location"}, {"provider_id", "practitioner", "Practitioner"}} {
		v := f[x.field]
		n, err := strconv.ParseInt(v, 10, 64)
		if v == "" || err != nil {
			continue
		}
		id, err := c.h.cfg.Store.APIUUID(c.ctx, x.recordName, n)
		if err == nil {
			_, err = c.h.cfg.Store.Read(c.ctx, x.rtype, id, search.Compartment{})
		}
		if err != nil {
			out = append(out, fieldErr(x.field, "exists", "no %s has the id %s", x.recordName, v))
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func encounterRoutes() []Route {
	return crud(encounterType, "/patient/{puuid}/encounter", "puuid", "euuid", ops{list: true, get: true, create: true, update: true}, "a patient's encounters")
}
