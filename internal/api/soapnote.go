package api

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/store"
)

// SoapNote is a visit note in the subjective, objective, assessment and
// plan layout: a FHIR DocumentReference (category clinical-note) of the
// encounter whose text/plain content holds the four sections, each headed
// "Subjective:", "Objective:", "Assessment:", "Plan:". Clinical notes
// written through FHIR in that layout read as SOAP notes too.
type SoapNote struct {
	ID         int64  `json:"id"`
	UUID       string `json:"uuid" api:"readonly"`
	Pid        int64  `json:"pid"`
	Eid        int64  `json:"eid"`
	Date       string `json:"date"`
	Subjective string `json:"subjective"`
	Objective  string `json:"objective"`
	Assessment string `json:"assessment"`
	Plan       string `json:"plan"`
}

// SoapNoteCreated is the data of a 201.
type SoapNoteCreated struct {
	Sid  int64  `json:"sid"`
	Fid  int64  `json:"fid"`
	UUID string `json:"uuid"`
}

const sysDocCategory = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"

var soapSections = []string{"Subjective", "Objective", "Assessment", "Plan"}

var soapNoteType = &recordType[SoapNote]{
	cacheable: true,
	name:      "soap_note", fhirType: "DocumentReference", patientParam: "patient",
	encounterParam: "encounter",
	encounterOf:    soapNoteEncounter,
	checks: []check{
		{field: "subjective", min: 2, max: 65535, text: true}, {field: "objective", min: 2, max: 65535, text: true},
		{field: "assessment", min: 2, max: 65535, text: true}, {field: "plan", min: 2, max: 65535, text: true},
	},
	fixed:       map[string][]string{"category": {"clinical-note"}},
	match:       func(o obj) bool { return hasCode(o, "category", "clinical-note") },
	created:     func(n int64, id string) any { return SoapNoteCreated{Sid: n, Fid: n, UUID: id} },
	createdType: typeOf[SoapNoteCreated](),
	toRecord: func(m *mapper, r *store.Resource, o obj) (*SoapNote, error) {
		n := &SoapNote{UUID: r.ID, Date: apiDateTime(str(o, "date"))}
		var err error
		if n.ID, err = m.num("soap_note", r.ID); err != nil {
			return nil, err
		}
		if n.Pid, err = m.num("patient", patientOf(o)); err != nil {
			return nil, err
		}
		if n.Eid, err = m.num("encounter", soapNoteEncounter(o)); err != nil {
			return nil, err
		}
		secs := parseSoap(noteText(o))
		n.Subjective, n.Objective, n.Assessment, n.Plan = secs["Subjective"], secs["Objective"], secs["Assessment"], secs["Plan"]
		return n, nil
	},
	toFHIR: func(m *mapper, n *SoapNote, f fields, o obj, patient string) error {
		setRef(o, "subject", "Patient", patient)
		if o["status"] == nil {
			o["status"] = "current"
		}
		if o["type"] == nil {
			o["type"] = concept(coding{sysLOINC, "34109-9", "Note"})
		}
		if !hasCode(o, "category", "clinical-note") {
			o["category"] = append(anySlice(o["category"]), concept(coding{sysDocCategory, "clinical-note", "Clinical Note"}))
		}
		if m.encounter != "" {
			ensure(o, "context")["encounter"] = []any{ref("Encounter", m.encounter)}
		}
		if o["date"] == nil {
			o["date"] = m.now().UTC().Truncate(time.Second).Format(time.RFC3339)
		}
		text := formatSoap(map[string]string{"Subjective": n.Subjective, "Objective": n.Objective, "Assessment": n.Assessment, "Plan": n.Plan})
		o["content"] = []any{obj{"attachment": obj{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte(text)), "title": "SOAP note"}}}
		return nil
	},
}

// soapNoteEncounter is the encounter a note belongs to.
func soapNoteEncounter(o obj) string {
	if e := first(child(o, "context"), "encounter"); e != nil {
		if t, id, ok := strings.Cut(str(e, "reference"), "/"); ok && t == "Encounter" {
			return id
		}
	}
	return ""
}

// noteText is the text of the first text/plain attachment.
func noteText(o obj) string {
	for _, c := range list(o, "content") {
		a := child(c, "attachment")
		if !strings.HasPrefix(str(a, "contentType"), "text/plain") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(str(a, "data"))
		if err == nil {
			return string(b)
		}
	}
	return ""
}

// parseSoap splits a note into its sections. A section runs from its
// heading ("Plan:" at the start of a line) to the next heading.
func parseSoap(text string) map[string]string {
	out := map[string]string{}
	cur := ""
	var buf []string
	flush := func() {
		if cur != "" {
			out[cur] = strings.TrimSpace(strings.Join(buf, "\n"))
		}
		buf = buf[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		heading := ""
		for _, s := range soapSections {
			if strings.HasPrefix(line, s+":") {
				heading = s
				break
			}
		}
		if heading != "" {
			flush()
			cur = heading
			buf = append(buf, strings.TrimPrefix(line, heading+":"))
			continue
		}
		if cur != "" {
			buf = append(buf, line)
		}
	}
	flush()
	return out
}

func formatSoap(secs map[string]string) string {
	var b strings.Builder
	for _, s := range soapSections {
		if v := secs[s]; v != "" {
			b.WriteString(s + ":\n" + v + "\n\n")
		}
	}
	return b.String()
}

func soapNoteRoutes() []Route {
	rs := crud(soapNoteType, "/patient/{pid}/encounter/{eid}/soap_note", "pid", "sid", ops{list: true, get: true, create: true, update: true}, "the SOAP notes of an encounter")
	for i := range rs {
		h := rs[i].handle
		rs[i].handle = func(c *call) (*reply, error) {
			p, err := c.patientFromPath("pid")
			if err != nil {
				return nil, err
			}
			e, err := c.resolveID("eid", "encounter")
			if err != nil {
				return nil, err
			}
			if _, _, err := encounterType.readResource(c, p, e); err != nil {
				return nil, err
			}
			c.resID = ""
			c.m.encounter = e
			return h(c)
		}
	}
	return rs
}
