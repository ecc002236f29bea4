package api

import (
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
)

// Appointment is a calendar entry: a FHIR Appointment. pc_eid is its
// integer id; pc_eventDate and pc_startTime (HH:MM, UTC) its start,
// pc_duration its length in seconds; pc_apptstatus a code of the apptstat
// list, kept exactly and mapped onto the FHIR status; pc_facility and
// pc_aid the integer ids of the facility and the practitioner.
type Appointment struct {
	PcEid             int64  `json:"pc_eid"`
	UUID              string `json:"uuid" api:"readonly"`
	Pid               int64  `json:"pid"`
	PUUID             string `json:"puuid" api:"readonly"`
	PcCatid           string `json:"pc_catid"`
	PcTitle           string `json:"pc_title"`
	PcDuration        string `json:"pc_duration"`
	PcHometext        string `json:"pc_hometext"`
	PcApptstatus      string `json:"pc_apptstatus"`
	PcEventDate       string `json:"pc_eventDate"`
	PcStartTime       string `json:"pc_startTime"`
	PcEndTime         string `json:"pc_endTime" api:"readonly"`
	PcFacility        string `json:"pc_facility"`
	PcBillingLocation string `json:"pc_billing_location"`
	PcAid             string `json:"pc_aid"`
	Status            string `json:"status" api:"readonly"`
}

// AppointmentCreated is the data of a 201 from creating an appointment.
type AppointmentCreated struct {
	ID   int64  `json:"id"`
	UUID string `json:"uuid"`
}

// apptStatuses is the apptstat list: each code with its title and the FHIR
// Appointment status it means.
var apptStatuses = []struct{ code, title, fhir string }{
	{"-", "None", "booked"}, {"*", "Reminder done", "booked"}, {"+", "Chart pulled", "booked"},
	{"x", "Canceled", "cancelled"}, {"?", "No show", "noshow"}, {"@", "Arrived", "arrived"},
	{"~", "Arrived late", "arrived"}, {"!", "Left w/o visit", "noshow"}, {"#", "Ins/fin issue", "booked"},
	{"<", "In exam room", "arrived"}, {">", "Checked out", "fulfilled"}, {"$", "Coding done", "fulfilled"},
	{"%", "Canceled < 24h", "cancelled"}, {"^", "Pending", "pending"},
}

func apptCodes() []string {
	out := make([]string, len(apptStatuses))
	for i, s := range apptStatuses {
		out[i] = s.code
	}
	return out
}

// apptFromFHIR is the apptstat code for a FHIR status, for appointments
// written through FHIR.
func apptFromFHIR(status string) string {
	switch status {
	case "cancelled", "entered-in-error":
		return "x"
	case "noshow":
		return "?"
	case "arrived", "checked-in":
		return "@"
	case "fulfilled":
		return ">"
	case "pending", "proposed":
		return "^"
	}
	return "-"
}

const (
	extApptStatus      = "urn:emp:apptstat"         // the exact apptstat code
	extBillingLocation = "urn:emp:billing-location" // pc_billing_location
)

var appointmentType = &recordType[Appointment]{
	cacheable: true,
	name:      "appointment", fhirType: "Appointment", patientParam: "patient",
	checks: []check{
		{field: "pc_catid", label: "Category", required: true, format: numeric},
		{field: "pc_title", label: "Title", required: true, min: 2, max: 150, text: true},
		{field: "pc_duration", label: "Duration", required: true, format: numeric},
		{field: "pc_hometext", label: "Comments", required: true, text: true},
		{field: "pc_apptstatus", label: "Status", required: true, oneOf: apptCodes()},
		{field: "pc_eventDate", label: "Date", required: true, format: dateYMD},
		{field: "pc_startTime", label: "Start Time", required: true, format: clockHM},
		{field: "pc_facility", label: "Facility", required: true, format: numeric},
		{field: "pc_billing_location", label: "Billing Location", required: true, format: numeric},
		{field: "pc_aid", label: "Provider", format: numeric},
	},
	query:       map[string]queryField{"pc_eventDate": {param: "date"}, "status": {param: "status"}},
	sortable:    map[string]string{"pc_eventDate": "date"},
	created:     func(n int64, id string) any { return AppointmentCreated{ID: n, UUID: id} },
	createdType: typeOf[AppointmentCreated](),
	toRecord:    appointmentRecord,
	toFHIR:      appointmentFHIR,
	extra:       checkAppointmentRefs,
}

func appointmentRecord(m *mapper, r *store.Resource, o obj) (*Appointment, error) {
	a := &Appointment{UUID: r.ID, PUUID: patientOf(o), Status: str(o, "status")}
	var err error
	if a.PcEid, err = m.num("appointment", r.ID); err != nil {
		return nil, err
	}
	if a.Pid, err = m.num("patient", a.PUUID); err != nil {
		return nil, err
	}
	a.PcTitle = str(o, "description")
	a.PcHometext = str(o, "comment")
	a.PcApptstatus = extensionValue(o, extApptStatus)
	if a.PcApptstatus == "" || apptFHIR(a.PcApptstatus) != a.Status {
		a.PcApptstatus = apptFromFHIR(a.Status)
	}
	if start, err := time.Parse(time.RFC3339, str(o, "start")); err == nil {
		start = start.UTC()
		a.PcEventDate, a.PcStartTime = start.Format("2006-01-02"), start.Format("15:04")
		if end, err := time.Parse(time.RFC3339, str(o, "end")); err == nil {
			a.PcEndTime = end.UTC().Format("15:04")
			a.PcDuration = strconv.FormatInt(int64(end.Sub(start)/time.Second), 10)
		}
	}
	if a.PcDuration == "" {
		if d := number(o, "minutesDuration"); d != "" {
			if n, err := strconv.Atoi(d); err == nil {
				a.PcDuration = strconv.Itoa(n * 60)
			}
		}
	}
	for _, cc := range list(o, "serviceCategory") {
		for _, cd := range list(cc, "coding") {
			if str(cd, "system") == sysCategory {
				a.PcCatid = str(cd, "code")
			}
		}
	}
	for _, p := range list(o, "participant") {
		if id := refID(p, "actor", "Location"); id != "" && a.PcFacility == "" {
			n, err := m.num("facility", id)
			if err != nil {
				return nil, err
			}
			a.PcFacility = strconv.FormatInt(n, 10)
		}
		if id := refID(p, "actor", "Practitioner"); id != "" && a.PcAid == "" {
			n, err := m.num("practitioner", id)
			if err != nil {
				return nil, err
			}
			a.PcAid = strconv.FormatInt(n, 10)
		}
	}
	a.PcBillingLocation = extensionValue(o, extBillingLocation)
	if a.PcBillingLocation == "" {
		a.PcBillingLocation = a.PcFacility
	}
	return a, nil
}

func apptFHIR(code string) string {
	for _, s := range apptStatuses {
		if s.code == code {
			return s.fhir
		}
	}
	return "booked"
}

func appointmentFHIR(m *mapper, a *Appointment, f fields, o obj, patient string) error {
	if f.has("pc_apptstatus") || o["status"] == nil {
		o["status"] = apptFHIR(a.PcApptstatus)
		setExtensionValue(o, extApptStatus, a.PcApptstatus)
	}
	set(o, "description", a.PcTitle)
	set(o, "comment", a.PcHometext)
	if f.has("pc_eventDate") || f.has("pc_startTime") || f.has("pc_duration") {
		start, err := time.Parse("2006-01-02 15:04", a.PcEventDate+" "+a.PcStartTime)
		if err != nil {
			return fieldErr("pc_startTime", "time", "the start is not a date and time: %q %q", a.PcEventDate, a.PcStartTime)
		}
		secs, _ := strconv.ParseFloat(a.PcDuration, 64)
		if secs < 0 {
			return fieldErr("pc_duration", "numeric", "the duration must not be negative")
		}
		end := start.Add(time.Duration(secs) * time.Second)
		o["start"] = start.UTC().Format(time.RFC3339)
		o["end"] = end.UTC().Format(time.RFC3339)
		if mins := int64(secs) / 60; mins > 0 {
			o["minutesDuration"] = jsonInt(mins)
		} else {
			delete(o, "minutesDuration")
		}
	}
	if f.has("pc_catid") {
		setCategoryType(o, "serviceCategory", a.PcCatid, "")
	}
	if f.has("pc_billing_location") {
		setExtensionValue(o, extBillingLocation, a.PcBillingLocation)
	}
	// Participants: the patient, the provider and the facility; others
	// (written through FHIR) are kept.
	var keep []any
	for _, p := range list(o, "participant") {
		switch {
		case refID(p, "actor", "Patient") != "" && patient != "":
		case refID(p, "actor", "Practitioner") != "" && f.has("pc_aid"):
		case refID(p, "actor", "Location") != "" && f.has("pc_facility"):
		default:
			keep = append(keep, p)
		}
	}
	var add []any
	if patient != "" {
		add = append(add, obj{"actor": ref("Patient", patient), "status": "accepted", "required": "required"})
	}
	if f.has("pc_aid") && a.PcAid != "" {
		id, err := m.uuidOf("practitioner", a.PcAid)
		if err != nil {
			return err
		}
		add = append(add, obj{"actor": ref("Practitioner", id), "status": "accepted", "required": "required"})
	}
	if f.has("pc_facility") && a.PcFacility != "" {
		id, err := m.uuidOf("facility", a.PcFacility)
		if err != nil {
			return err
		}
		add = append(add, obj{"actor": ref("Location", id), "status": "accepted", "required": "information-only"})
	}
	o["participant"] = append(add, keep...)
	return nil
}

// checkAppointmentRefs checks that pc_facility and pc_aid name existing
// records.
func checkAppointmentRefs(c *call, f fields, create bool, patient string) errs.Multi {
	g := fields{}
	if v, ok := f["pc_facility"]; ok {
		g["facility_id"] = v
	}
	if v, ok := f["pc_aid"]; ok {
		g["provider_id"] = v
	}
	bad := checkFacilityProvider(c, g, create, patient)
	for _, e := range bad {
		switch e.Field {
		case "facility_id":
			e.Field = "pc_facility"
		case "provider_id":
			e.Field = "pc_aid"
		}
	}
	return bad
}

func appointmentRoutes() []Route {
	k := appointmentType
	rs := crud(k, "/appointment", "", "eid", ops{list: true, get: true}, "appointments")
	return append(rs, crud(k, "/patient/{pid}/appointment", "pid", "eid", allOps, "a patient's appointments")...)
}
