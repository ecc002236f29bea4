package seed

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FHIR R4 primitive formats, from the specification.
var (
	fhirDate      = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$`)
	fhirDateTime  = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`)
	fhirInstant   = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)
	looksLikeDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
)

// Elements of type date and instant among those the generator writes; every
// other date-like value must be a dateTime.
var (
	dateKeys    = map[string]bool{"birthDate": true, "startDate": true, "dueDate": true}
	instantKeys = map[string]bool{"issued": true, "recorded": true, "date": true}
)

func parseFHIRTime(s string) (time.Time, error) {
	if len(s) == 10 {
		return time.Parse("2006-01-02", s)
	}
	return time.Parse(time.RFC3339, s)
}

// patientOf returns the patient a resource belongs to, if any.
func patientOf(obj map[string]any) string {
	for _, k := range []string{"subject", "patient", "beneficiary"} {
		if m, ok := obj[k].(map[string]any); ok {
			if ref, _ := m["reference"].(string); strings.HasPrefix(ref, "Patient/") {
				return ref
			}
		}
	}
	if obj["resourceType"] == "Appointment" {
		for _, p := range obj["participant"].([]any) {
			ref, _ := p.(map[string]any)["actor"].(map[string]any)["reference"].(string)
			if strings.HasPrefix(ref, "Patient/") {
				return ref
			}
		}
	}
	return ""
}

func TestDatesAreValidAndConsistent(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 80, Seed: 11, Now: testNow})
	births := map[string]time.Time{}
	future := 0
	for _, d := range decodeAll(t, rs) {
		key := d.Type + "/" + d.ID
		if d.Type == "Patient" {
			b, err := time.Parse("2006-01-02", d.obj["birthDate"].(string))
			if err != nil {
				t.Fatalf("%s: birthDate: %v", key, err)
			}
			births[key] = b
		}
		birth, hasBirth := births[patientOf(d.obj)]
		booked := d.Type == "Appointment" && d.obj["status"] == "booked"
		walk(d.Type, d.obj, func(path string, v any) {
			if m, ok := v.(map[string]any); ok {
				start, ok1 := m["start"].(string)
				end, ok2 := m["end"].(string)
				if ok1 && ok2 {
					s, _ := parseFHIRTime(start)
					e, _ := parseFHIRTime(end)
					if e.Before(s) {
						t.Errorf("%s: %s ends (%s) before it starts (%s)", key, path, end, start)
					}
				}
				return
			}
			s, ok := v.(string)
			if !ok || !looksLikeDate.MatchString(s) {
				return
			}
			leaf := path[strings.LastIndexByte(path, '.')+1:]
			switch {
			case dateKeys[leaf]:
				if !fhirDate.MatchString(s) {
					t.Errorf("%s: %s = %q is not a FHIR date", key, path, s)
				}
			case instantKeys[leaf]:
				if !fhirInstant.MatchString(s) {
					t.Errorf("%s: %s = %q is not a FHIR instant", key, path, s)
				}
			default:
				if !fhirDateTime.MatchString(s) {
					t.Errorf("%s: %s = %q is not a FHIR dateTime", key, path, s)
				}
			}
			at, err := parseFHIRTime(s)
			if err != nil {
				t.Errorf("%s: %s = %q: %v", key, path, s, err)
				return
			}
			if at.After(testNow) {
				switch {
				case booked && (leaf == "start" || leaf == "end"):
					future++
				case d.Type == "Goal" && leaf == "dueDate":
				default:
					t.Errorf("%s: %s = %s is after now", key, path, s)
				}
			}
			if hasBirth && at.Before(birth) {
				t.Errorf("%s: %s = %s is before the patient's birth %s", key, path, s, birth.Format(time.DateOnly))
			}
		})
	}
	if future == 0 {
		t.Error("no upcoming appointments")
	}
}

func TestAgesSpanLife(t *testing.T) {
	var under2, child, adult, elderly, oldest int
	_, err := Generate(t.Context(), Options{Patients: 400, Seed: 2, Now: testNow}, func(r Resource) error {
		if r.Type != "Patient" {
			return nil
		}
		var p struct{ BirthDate string }
		if err := json.Unmarshal(r.Body, &p); err != nil {
			return err
		}
		b, err := time.Parse(time.DateOnly, p.BirthDate)
		if err != nil {
			return err
		}
		age := testNow.Sub(b).Hours() / 24 / 365.25
		switch {
		case age < 0:
			t.Errorf("born in the future: %s", p.BirthDate)
		case age < 2:
			under2++
		case age < 18:
			child++
		case age < 65:
			adult++
		case age < 80:
			elderly++
		default:
			oldest++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]int{"under 2": under2, "2-17": child, "18-64": adult, "65-79": elderly, "80+": oldest} {
		if n < 4 {
			t.Errorf("only %d of 400 patients aged %s", n, name)
		}
	}
	if adult < 150 || child < 40 {
		t.Errorf("age mix off: %d adults, %d children of 400", adult, child)
	}
}

func coded(obj map[string]any, key string) (system, code string) {
	cc, _ := obj[key].(map[string]any)
	if cc == nil {
		return "", ""
	}
	c := cc["coding"].([]any)[0].(map[string]any)
	return c["system"].(string), c["code"].(string)
}

func codes(obj map[string]any, key string) []string {
	var out []string
	if cc, ok := obj[key].(map[string]any); ok {
		for _, c := range cc["coding"].([]any) {
			out = append(out, c.(map[string]any)["code"].(string))
		}
	}
	return out
}

func hasCategory(obj map[string]any, system, code string) bool {
	cats, _ := obj["category"].([]any)
	for _, c := range cats {
		for _, cd := range c.(map[string]any)["coding"].([]any) {
			m := cd.(map[string]any)
			if m["system"] == system && m["code"] == code {
				return true
			}
		}
	}
	return false
}

func num(v any) float64 {
	f, _ := v.(json.Number).Float64()
	return f
}

func checkUCUM(t *testing.T, key string, q map[string]any) float64 {
	t.Helper()
	if q["system"] != sysUCUM || q["code"] == nil || q["unit"] == nil {
		t.Errorf("%s: quantity without a UCUM unit: %v", key, q)
	}
	return num(q["value"])
}

func TestVitalSigns(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 80, Seed: 4, Now: testNow})
	// Plausible value ranges per LOINC code.
	limits := map[string][2]float64{
		"8867-4": {40, 220}, "9279-1": {8, 70}, "8310-5": {34, 42}, "8302-2": {40, 215},
		"29463-7": {2, 250}, "39156-5": {10, 70}, "2708-6": {80, 100}, "9843-4": {30, 55},
		"59576-9": {0, 100}, "77606-2": {0, 100}, "8289-1": {0, 100},
	}
	seen := map[string]int{}
	for _, d := range decodeAll(t, rs) {
		if d.Type != "Observation" || !hasCategory(d.obj, sysObsCategory, "vital-signs") {
			continue
		}
		key := "Observation/" + d.ID
		sys, code := coded(d.obj, "code")
		if sys != sysLOINC {
			t.Errorf("%s: code system %s", key, sys)
		}
		seen[code]++
		switch code {
		case "85353-1":
			if len(d.obj["hasMember"].([]any)) < 4 {
				t.Errorf("%s: vital signs panel with %d members", key, len(d.obj["hasMember"].([]any)))
			}
		case "85354-9":
			comps := d.obj["component"].([]any)
			var systolic, diastolic float64
			for _, c := range comps {
				cm := c.(map[string]any)
				_, cc := coded(cm, "code")
				v := checkUCUM(t, key, cm["valueQuantity"].(map[string]any))
				switch cc {
				case "8480-6":
					systolic = v
				case "8462-4":
					diastolic = v
				}
			}
			if systolic < 60 || systolic > 220 || diastolic < 30 || diastolic >= systolic {
				t.Errorf("%s: blood pressure %v/%v", key, systolic, diastolic)
			}
		default:
			q, ok := d.obj["valueQuantity"].(map[string]any)
			if !ok {
				t.Errorf("%s: vital sign %s without valueQuantity", key, code)
				continue
			}
			v := checkUCUM(t, key, q)
			if lim, ok := limits[code]; !ok {
				t.Errorf("%s: unexpected vital sign code %s", key, code)
			} else if v < lim[0] || v > lim[1] {
				t.Errorf("%s: %s = %v outside %v", key, code, v, lim)
			}
			if code == "2708-6" && !strings.Contains(strings.Join(codes(d.obj, "code"), ","), "59408-5") {
				t.Errorf("%s: pulse oximetry without 59408-5", key)
			}
		}
	}
	for _, code := range []string{"85353-1", "8867-4", "9279-1", "8310-5", "8302-2", "29463-7", "39156-5", "85354-9", "2708-6", "9843-4", "59576-9", "77606-2", "8289-1"} {
		if seen[code] == 0 {
			t.Errorf("no vital sign %s in the data set", code)
		}
	}
}

func TestLabInterpretationsMatchRanges(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 60, Seed: 8, Now: testNow})
	var labs, reports, high int
	for _, d := range decodeAll(t, rs) {
		key := d.Type + "/" + d.ID
		if d.Type == "DiagnosticReport" && hasCategory(d.obj, sysV2_0074, "LAB") {
			reports++
			if len(d.obj["result"].([]any)) == 0 {
				t.Errorf("%s: lab report without results", key)
			}
		}
		if d.Type != "Observation" || !hasCategory(d.obj, sysObsCategory, "laboratory") {
			continue
		}
		labs++
		q, ok := d.obj["valueQuantity"].(map[string]any)
		if !ok {
			if _, ok := d.obj["valueCodeableConcept"]; !ok {
				t.Errorf("%s: lab result without a value", key)
			}
			continue
		}
		v := checkUCUM(t, key, q)
		rr := d.obj["referenceRange"].([]any)[0].(map[string]any)
		want := "N"
		if low, ok := rr["low"].(map[string]any); ok && v < num(low["value"]) {
			want = "L"
		}
		if hi, ok := rr["high"].(map[string]any); ok && v > num(hi["value"]) {
			want = "H"
		}
		if want == "H" {
			high++
		}
		interp := d.obj["interpretation"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]
		if interp != want {
			t.Errorf("%s: value %v interpreted %v, want %s", key, v, interp, want)
		}
	}
	if labs == 0 || reports == 0 || high == 0 {
		t.Errorf("%d lab results (%d high) in %d reports", labs, high, reports)
	}
}

func TestNarrativesAreXHTML(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 30, Seed: 6, Now: testNow})
	n := 0
	for _, d := range decodeAll(t, rs) {
		text, ok := d.obj["text"].(map[string]any)
		if !ok {
			if d.Type == "CarePlan" {
				t.Errorf("CarePlan/%s without narrative", d.ID)
			}
			continue
		}
		n++
		div := text["div"].(string)
		dec := xml.NewDecoder(strings.NewReader(div))
		dec.Strict = true
		first := true
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s/%s: narrative is not well-formed: %v", d.Type, d.ID, err)
				break
			}
			if se, ok := tok.(xml.StartElement); ok && first {
				first = false
				if se.Name.Local != "div" || se.Name.Space != xhtmlNS {
					t.Errorf("%s/%s: narrative root is %v", d.Type, d.ID, se.Name)
				}
			}
		}
		if d.Type == "CarePlan" && !hasCategory(d.obj, sysCarePlanCat, "assess-plan") {
			t.Errorf("CarePlan/%s without the assess-plan category", d.ID)
		}
	}
	if n == 0 {
		t.Error("no narratives")
	}
}

func TestNotesCarryText(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 40, Seed: 12, Now: testNow})
	names := map[string]string{}
	types := map[string]int{}
	for _, d := range decodeAll(t, rs) {
		key := d.Type + "/" + d.ID
		var forms []any
		switch d.Type {
		case "Patient":
			names[key] = d.obj["name"].([]any)[0].(map[string]any)["given"].([]any)[0].(string)
			continue
		case "DocumentReference":
			_, code := coded(d.obj, "type")
			types[code]++
			if !hasCategory(d.obj, sysDocCategory, "clinical-note") {
				t.Errorf("%s: not a clinical note", key)
			}
			for _, c := range d.obj["content"].([]any) {
				forms = append(forms, c.(map[string]any)["attachment"])
			}
		case "DiagnosticReport":
			if f, ok := d.obj["presentedForm"].([]any); ok {
				_, code := coded(map[string]any{"c": d.obj["category"].([]any)[0]}, "c")
				types[code]++
				forms = f
			}
		default:
			continue
		}
		for _, f := range forms {
			a := f.(map[string]any)
			if a["contentType"] != "text/plain" {
				t.Errorf("%s: content type %v", key, a["contentType"])
			}
			text, err := base64.StdEncoding.DecodeString(a["data"].(string))
			if err != nil {
				t.Errorf("%s: data is not base64: %v", key, err)
				continue
			}
			name := names[patientOf(d.obj)]
			if !bytes.Contains(text, []byte("Patient: "+name)) || bytes.Count(text, []byte("\n")) < 4 {
				t.Errorf("%s: note does not read like a note for %s:\n%s", key, name, text)
			}
		}
	}
	for _, code := range []string{"11506-3", "34117-2", "LP29684-5"} {
		if types[code] == 0 {
			t.Errorf("no note of type %s", code)
		}
	}
}

// Every patient record is the target of exactly one Provenance, so
// _revinclude=Provenance:target finds one for any of them.
func TestProvenanceCoversRecords(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 25, Seed: 13, Now: testNow})
	targeted := map[string]int{}
	for _, d := range decodeAll(t, rs) {
		if d.Type != "Provenance" {
			continue
		}
		agent := d.obj["agent"].([]any)[0].(map[string]any)
		if _, ok := agent["who"]; !ok {
			t.Errorf("Provenance/%s without agent.who", d.ID)
		}
		if _, ok := agent["onBehalfOf"]; !ok {
			t.Errorf("Provenance/%s without agent.onBehalfOf", d.ID)
		}
		for _, tg := range d.obj["target"].([]any) {
			targeted[tg.(map[string]any)["reference"].(string)]++
		}
	}
	shared := map[string]bool{"Organization": true, "Location": true, "Practitioner": true, "PractitionerRole": true, "Medication": true, "Group": true, "Provenance": true}
	for _, r := range rs {
		if shared[r.Type] {
			continue
		}
		n := targeted[r.Type+"/"+r.ID]
		switch {
		case r.Type == "Patient":
			// Every Provenance of the patient's records names the patient
			// too, so that it is in the patient's compartment.
			if n < 2 {
				t.Errorf("%s/%s is the target of %d Provenances, want every one of its records' Provenances", r.Type, r.ID, n)
			}
		case n != 1:
			t.Errorf("%s/%s is the target of %d Provenances", r.Type, r.ID, n)
		}
	}
}

func TestConditionsCategorised(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 40, Seed: 14, Now: testNow})
	var problems, diagnoses int
	for _, d := range decodeAll(t, rs) {
		if d.Type != "Condition" {
			continue
		}
		key := "Condition/" + d.ID
		systems := map[string]bool{}
		for _, c := range d.obj["code"].(map[string]any)["coding"].([]any) {
			systems[c.(map[string]any)["system"].(string)] = true
		}
		if !systems[sysSNOMED] || !systems[sysICD10] {
			t.Errorf("%s: codings %v, want SNOMED CT and ICD-10-CM", key, systems)
		}
		_, hasEnc := d.obj["encounter"]
		switch {
		case hasCategory(d.obj, sysCondCat, "problem-list-item"):
			problems++
			if hasEnc {
				t.Errorf("%s: problem-list item tied to an encounter", key)
			}
		case hasCategory(d.obj, sysCondCat, "encounter-diagnosis"):
			diagnoses++
			if !hasEnc {
				t.Errorf("%s: encounter diagnosis without an encounter", key)
			}
		default:
			t.Errorf("%s: no US Core category", key)
		}
		if _, ok := d.obj["clinicalStatus"]; !ok {
			t.Errorf("%s: no clinicalStatus", key)
		}
	}
	if problems == 0 || diagnoses == 0 {
		t.Errorf("%d problems, %d diagnoses", problems, diagnoses)
	}
}

// What happened at a visit is dated within it.
func TestVisitRecordsWithinEncounter(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 40, Seed: 15, Now: testNow})
	type span struct{ start, end time.Time }
	encounters := map[string]span{}
	checked := 0
	for _, d := range decodeAll(t, rs) {
		key := d.Type + "/" + d.ID
		if d.Type == "Encounter" {
			p := d.obj["period"].(map[string]any)
			s, _ := parseFHIRTime(p["start"].(string))
			e, _ := parseFHIRTime(p["end"].(string))
			encounters[key] = span{s, e}
			continue
		}
		ref, ok := d.obj["encounter"].(map[string]any)
		if !ok {
			continue
		}
		enc, ok := encounters[ref["reference"].(string)]
		if !ok {
			t.Errorf("%s: encounter %v not seen", key, ref["reference"])
			continue
		}
		for _, k := range []string{"effectiveDateTime", "performedDateTime", "occurrenceDateTime", "authoredOn", "recordedDate"} {
			s, ok := d.obj[k].(string)
			if !ok || len(s) == 10 {
				continue
			}
			at, _ := parseFHIRTime(s)
			checked++
			if at.Before(enc.start) || at.After(enc.end) {
				t.Errorf("%s: %s %s outside its encounter %s..%s", key, k, s, enc.start.Format(time.RFC3339), enc.end.Format(time.RFC3339))
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d in-visit times checked", checked)
	}
}
