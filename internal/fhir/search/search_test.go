package search

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

func micros(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

func TestDateRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi string // inclusive bounds; empty hi means malformed
	}{
		{"2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999999Z"},
		{"2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.999999Z"},
		{"2023-02-28", "2023-02-28T00:00:00Z", "2023-02-28T23:59:59.999999Z"},
		{"2024-03-05T10:00:00Z", "2024-03-05T10:00:00Z", "2024-03-05T10:00:00.999999Z"},
		{"2024-03-05T10:00:00+02:00", "2024-03-05T08:00:00Z", "2024-03-05T08:00:00.999999Z"},
		{"2024-03-05T10:00:00.5Z", "2024-03-05T10:00:00.5Z", "2024-03-05T10:00:00.599999Z"},
		{"2023-02-29", "", ""},
		{"2024-13", "", ""},
		{"24", "", ""},
		{"2024-03-05X10", "", ""},
		{"abcd", "", ""},
	}
	for _, tt := range tests {
		lo, hi, ok := DateRange(tt.in)
		if tt.hi == "" {
			if ok {
				t.Errorf("DateRange(%q) accepted a malformed date", tt.in)
			}
			continue
		}
		if !ok || lo != micros(tt.lo) || hi != micros(tt.hi) {
			t.Errorf("DateRange(%q) = %d, %d, %v; want %s .. %s", tt.in, lo, hi, ok, tt.lo, tt.hi)
		}
	}
}

func TestNumberRange(t *testing.T) {
	tests := []struct {
		in           string
		v, low, high float64
		ok           bool
	}{
		{"100", 100, 99.5, 100.5, true},
		{"1.0", 1, 0.95, 1.05, true},
		{"1e2", 100, 50, 150, true},
		{"-2.50", -2.5, -2.505, -2.495, true},
		{"abc", 0, 0, 0, false},
		{"NaN", 0, 0, 0, false},
		{"1e999", 0, 0, 0, false},
	}
	const eps = 1e-9
	near := func(a, b float64) bool { return a-b < eps && b-a < eps }
	for _, tt := range tests {
		v, lo, hi, ok := NumberRange(tt.in)
		if ok != tt.ok || (ok && (!near(v, tt.v) || !near(lo, tt.low) || !near(hi, tt.high))) {
			t.Errorf("NumberRange(%q) = %v [%v, %v) %v; want %v [%v, %v) %v", tt.in, v, lo, hi, ok, tt.v, tt.low, tt.high, tt.ok)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"  Ødegård  Åse ": "odegard ase",
		"MÜLLER":          "muller",
		"Smith":           "smith",
		"Çelik-Şahin":     "celik-sahin",
		"":                "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		rtype, query string
		check        func(*testing.T, *Query)
	}{
		{"Patient", "family=Ødegård", func(t *testing.T, q *Query) {
			if len(q.Clauses) != 1 || q.Clauses[0].Values[0].Text != "odegard" {
				t.Errorf("string clause = %+v", q.Clauses)
			}
		}},
		{"Observation", "code=http://loinc.org|8867-4,|9279-1&category=vital-signs", func(t *testing.T, q *Query) {
			var code *Clause
			for i := range q.Clauses {
				if q.Clauses[i].Param.Code == "code" {
					code = &q.Clauses[i]
				}
			}
			if code == nil || len(code.Values) != 2 {
				t.Fatalf("code clause = %+v", q.Clauses)
			}
			a, b := code.Values[0], code.Values[1]
			if a.System != "http://loinc.org" || a.Code != "8867-4" || !a.HasSystem || b.System != "" || !b.HasSystem || b.Code != "9279-1" {
				t.Errorf("token values = %+v %+v", a, b)
			}
		}},
		{"Observation", "date=ge2024-01-01&date=lt2024-02", func(t *testing.T, q *Query) {
			if len(q.Clauses) != 2 || q.Clauses[0].Values[0].Prefix != Ge || q.Clauses[1].Values[0].Prefix != Lt {
				t.Errorf("date clauses = %+v", q.Clauses)
			}
		}},
		{"Observation", "subject=Patient/p1&_count=5&_sort=-date", func(t *testing.T, q *Query) {
			v := q.Clauses[0].Values[0]
			if v.RefType != "Patient" || v.RefID != "p1" || q.Count != 5 || len(q.Sort) != 1 || !q.Sort[0].Desc {
				t.Errorf("query = %+v", q)
			}
		}},
		{"Observation", "_count=100000", func(t *testing.T, q *Query) {
			if q.Count != MaxCount {
				t.Errorf("_count capped to %d, want %d", q.Count, MaxCount)
			}
		}},
		{"Observation", "subject.name=peter,paul", func(t *testing.T, q *Query) {
			c := q.Clauses[0]
			var types []string
			for _, l := range c.Chain {
				types = append(types, l.Type)
				if l.Clause.Param.Code != "name" || len(l.Clause.Values) != 2 || l.Clause.Values[1].Text != "paul" {
					t.Errorf("link %s clause = %+v", l.Type, l.Clause)
				}
			}
			// Of subject's targets (Group, Device, Patient, Location) only
			// Patient and Location have a name parameter.
			if c.Param.Code != "subject" || strings.Join(types, ",") != "Patient,Location" && strings.Join(types, ",") != "Location,Patient" {
				t.Errorf("chain = %s on %s", types, c.Param.Code)
			}
		}},
		{"Encounter", "subject:Patient.organization.name=acme&subject:Patient.name=a", func(t *testing.T, q *Query) {
			if len(q.Clauses) != 2 {
				t.Fatalf("clauses = %+v", q.Clauses)
			}
			org := q.Clauses[1].Chain[0].Clause
			if q.Clauses[1].Chain[0].Type != "Patient" || org.Param.Code != "organization" || len(org.Chain) != 1 || org.Chain[0].Type != "Organization" {
				t.Errorf("two-link chain = %+v", q.Clauses[1])
			}
		}},
		{"Organization", "_has:Patient:organization:_has:Observation:patient:code=1234-5", func(t *testing.T, q *Query) {
			h := q.Clauses[0].Has
			if q.Clauses[0].Param.Code != "organization" || h.Type != "Patient" || h.Clause.Has == nil || h.Clause.Has.Type != "Observation" || h.Clause.Has.Clause.Values[0].Code != "1234-5" {
				t.Errorf("nested _has = %+v", q.Clauses[0])
			}
			var types []string
			Links(q.Clauses, func(l *Link) error { types = append(types, l.Type); return nil })
			if strings.Join(types, ",") != "Patient,Observation" {
				t.Errorf("Links visits %v", types)
			}
		}},
		{"MedicationRequest", "_include=MedicationRequest:medication&_include:iterate=Medication:manufacturer&_revinclude:iterate=Provenance:target", func(t *testing.T, q *Query) {
			if len(q.Include) != 2 || q.Include[0].Iterate || !q.Include[1].Iterate || q.Include[1].Source != "Medication" {
				t.Errorf("includes = %+v", q.Include)
			}
			if len(q.RevInclude) != 1 || !q.RevInclude[0].Iterate || !q.RevInclude[0].PointsAt("Medication") {
				t.Errorf("revincludes = %+v", q.RevInclude)
			}
		}},
		{"Condition", "code:missing=true", func(t *testing.T, q *Query) {
			if !q.Clauses[0].Values[0].Missing {
				t.Errorf(":missing not parsed: %+v", q.Clauses[0])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.rtype+"?"+tt.query, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.query)
			q, err := Parse(tt.rtype, v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, q)
		})
	}
}

// TestParseErrorsNameTheParameter: every refusal says which parameter.
func TestParseErrorsNameTheParameter(t *testing.T) {
	tests := []struct{ rtype, query, field string }{
		{"Patient", "shoe-size=42", "shoe-size"},
		{"Observation", "date=2024-13-45", "date"},
		{"Observation", "date=xx2024", "date"},
		{"Observation", "value-quantity=abc", "value-quantity"},
		{"Patient", "_count=-1", "_count"},
		{"Patient", "_count=ten", "_count"},
		{"Patient", "_sort=shoe-size", "_sort"},
		{"Patient", "family:fuzzy=x", "family:fuzzy"},
		{"Observation", "subject.shoe-size=x", "subject.shoe-size"},
		{"Observation", "status.name=x", "status.name"},
		{"Observation", "subject:Medication.name=x", "subject:Medication.name"},
		{"Observation", "subject:missing.name=x", "subject:missing.name"},
		{"Observation", "subject:Patient.birthdate=notadate", "subject:Patient.birthdate"},
		{"Observation", "subject:Patient.name:fuzzy=x", "subject:Patient.name:fuzzy"},
		{"Encounter", "subject:Patient.organization.partof.partof.name=x", "subject:Patient.organization.partof.partof.name"},
		{"Provenance", "target.name=x", "target.name"},
		{"Patient", "_has:Nope:patient:code=x", "_has:Nope:patient:code"},
		{"Patient", "_has:Observation:status:code=x", "_has:Observation:status:code"},
		{"Patient", "_has:Observation:encounter:code=x", "_has:Observation:encounter:code"},
		{"Patient", "_has:Observation:patient:shoe-size=x", "_has:Observation:patient:shoe-size"},
		{"Patient", "_has:Observation:patient:date=notadate", "_has:Observation:patient:date"},
		{"Patient", "_has:Observation=x", "_has:Observation"},
		{"Patient", "_has:Observation:patient:subject.name=x", "_has:Observation:patient:subject.name"},
		{"Organization", "_has:Patient:organization:_has:Observation:patient:_has:Provenance:target:agent=x", "_has:Patient:organization:_has:Observation:patient:_has:Provenance:target:agent"},
		{"Patient", "_summary=sometimes", "_summary"},
		{"MedicationRequest", "_include:iterate=Medication:*", "_include:iterate"},
		{"MedicationRequest", "_include:iterate=Medication:nothing", "_include:iterate"},
		{"Encounter", "_revinclude:iterate=Observation:encounter:Patient", "_revinclude:iterate"},
		{"Encounter", "_include:recurse=Encounter:subject", "_include:recurse"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) { expectParseError(t, tt.rtype, tt.query, tt.field, "") })
	}
}

func TestParseLenientIgnoresUnknown(t *testing.T) {
	v, _ := url.ParseQuery("shoe-size=42&family=smith")
	q, err := Parse("Patient", v, Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Ignored) != 1 || q.Ignored[0] != "shoe-size" || len(q.Clauses) != 1 {
		t.Errorf("lenient parse: ignored %v, clauses %d", q.Ignored, len(q.Clauses))
	}
	// An unknown chained parameter is ignored like an unknown parameter.
	v, _ = url.ParseQuery("subject.shoe-size=42&_has:Observation:patient:shoe-size=1&code=x")
	q, err = Parse("Observation", v, Options{Lenient: true})
	if err == nil {
		t.Fatal("_has:Observation:patient on Observation was accepted")
	}
	v, _ = url.ParseQuery("general-practitioner.shoe-size=42&_has:Observation:patient:shoe-size=1&family=x")
	q, err = Parse("Patient", v, Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(q.Ignored, ",") != "_has:Observation:patient:shoe-size,general-practitioner.shoe-size" || len(q.Clauses) != 1 {
		t.Errorf("lenient chained parse: ignored %v, clauses %d", q.Ignored, len(q.Clauses))
	}
	// A malformed value of a known parameter is still an error.
	v, _ = url.ParseQuery("birthdate=notadate")
	if _, err := Parse("Patient", v, Options{Lenient: true}); err == nil {
		t.Error("lenient parse accepted a malformed date")
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExtractObservation(t *testing.T) {
	e := Extract("Observation", decode(t, `{
		"resourceType":"Observation","id":"o1","status":"final",
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Pulse"},
		"subject":{"reference":"Patient/p1"},
		"effectiveDateTime":"2024-03-05T10:00:00Z",
		"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`))
	hasToken := func(param, system, code string) bool {
		for _, x := range e.Tokens {
			if x.Param == param && x.System == system && x.Code == code {
				return true
			}
		}
		return false
	}
	if !hasToken("code", "http://loinc.org", "8867-4") || !hasToken("status", "http://hl7.org/fhir/observation-status", "final") && !hasToken("status", "", "final") {
		t.Errorf("tokens = %+v", e.Tokens)
	}
	if !hasToken("category", "http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs") {
		t.Errorf("category token missing: %+v", e.Tokens)
	}
	var subject, patient bool
	for _, r := range e.References {
		if r.TargetType == "Patient" && r.TargetID == "p1" {
			subject = subject || r.Param == "subject"
			patient = patient || r.Param == "patient"
		}
	}
	// patient shares subject's rows (spec.SearchParam.RowsOf): it has
	// no entries of its own.
	if !subject || patient {
		t.Errorf("references = %+v", e.References)
	}
	var date bool
	for _, d := range e.Dates {
		if d.Param == "date" && d.Low == micros("2024-03-05T10:00:00Z") {
			date = true
		}
	}
	if !date {
		t.Errorf("dates = %+v", e.Dates)
	}
	var qty bool
	for _, q := range e.Quantities {
		if q.Param == "value-quantity" && q.Value == 72 && q.Code == "/min" && q.System == "http://unitsofmeasure.org" {
			qty = true
		}
	}
	if !qty {
		t.Errorf("quantities = %+v", e.Quantities)
	}
}

func TestExtractPatientStrings(t *testing.T) {
	e := Extract("Patient", decode(t, `{"resourceType":"Patient","name":[{"family":"Ødegård","given":["Åse","Marie"]}],"birthDate":"1980-02-03","gender":"female"}`))
	var family, given int
	for _, s := range e.Strings {
		switch {
		case s.Param == "family" && s.Norm == "odegard" && s.Value == "Ødegård":
			family++
		case s.Param == "given" && (s.Norm == "ase" || s.Norm == "marie"):
			given++
		}
	}
	if family != 1 || given != 2 {
		t.Errorf("strings = %+v", e.Strings)
	}
	var birth bool
	for _, d := range e.Dates {
		if d.Param == "birthdate" && d.Low == micros("1980-02-03T00:00:00Z") && d.High == micros("1980-02-03T23:59:59.999999Z") {
			birth = true
		}
	}
	if !birth {
		t.Errorf("dates = %+v", e.Dates)
	}
}

// A concept's text gets a row of its own only when no coding displays the
// same text: :text finds the coding's row either way.
func TestExtractConceptText(t *testing.T) {
	count := func(body string) int {
		t.Helper()
		n := 0
		for _, x := range Extract("Condition", decode(t, body)).Tokens {
			if x.Param == "code" {
				n++
			}
		}
		return n
	}
	same := `{"resourceType":"Condition","code":{"coding":[{"system":"s","code":"c","display":"Heart Rate"}],"text":"heart rate"}}`
	other := `{"resourceType":"Condition","code":{"coding":[{"system":"s","code":"c","display":"Pulse"}],"text":"heart rate"}}`
	alone := `{"resourceType":"Condition","code":{"text":"heart rate"}}`
	if n := count(same); n != 1 {
		t.Errorf("text equal to the display: %d rows, want 1", n)
	}
	if n := count(other); n != 2 {
		t.Errorf("text unlike the display: %d rows, want 2", n)
	}
	if n := count(alone); n != 1 {
		t.Errorf("text alone: %d rows, want 1", n)
	}
}

// expectParseError checks that Parse refuses query as Invalid with an error
// that names field and says says.
func expectParseError(t *testing.T, rtype, query, field, says string) {
	t.Helper()
	v, _ := url.ParseQuery(query)
	_, err := Parse(rtype, v, Options{})
	if errs.KindOf(err) != errs.Invalid {
		t.Fatalf("Parse = %v, want an Invalid error", err)
	}
	if !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), says) {
		t.Errorf("error %q does not name %q or say %q", err, field, says)
	}
}
