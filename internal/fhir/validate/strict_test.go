package validate

import "testing"

// Control characters in any string-typed primitive are refused, naming the
// element (FHIR datatypes: strings SHALL NOT hold characters below U+0020
// other than tab, CR and LF; DEL and C1 are refused too, see ctrlchar).
func TestControlCharacters(t *testing.T) {
	const msg = "must not contain control characters"
	runCases(t, []badCase{
		{"NUL in string", "", `{"resourceType":"Patient","name":[{"family":"a\u0000b"}]}`, []string{`Patient.name[0].family: ` + msg}},
		{"escape in code", "", `{"resourceType":"Patient","gender":"male\u001b"}`, []string{`Patient.gender: ` + msg}},
		{"form feed in markdown", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"note":[{"text":"a\fb"}]}`, []string{`Observation.note[0].text: ` + msg}},
		{"vertical tab in uri", "", `{"resourceType":"Patient","extension":[{"url":"http://x\u000b","valueString":"a"}]}`, []string{`Patient.extension[0].url: ` + msg}},
		{"DEL in id", "", `{"resourceType":"Patient","id":"a\u007f"}`, []string{`Patient.id: ` + msg}},
		{"C1 in string", "", `{"resourceType":"Patient","name":[{"text":"a\u0085"}]}`, []string{`Patient.name[0].text: U+0085`}},
		{"in a primitive's extension id", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":{"id":"\u0001"}}`, []string{`Patient._birthDate.id: ` + msg}},
		{"in a contained resource", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"\u0002"}],"managingOrganization":{"reference":"#o"}}`, []string{`Patient.contained[0].name: ` + msg}},
		{"in a date", "", `{"resourceType":"Patient","birthDate":"2020\u0000"}`, []string{`Patient.birthDate: ` + msg}},
	})
	// Tab, CR and LF are text.
	if got := check(t, "Patient", `{"resourceType":"Patient","name":[{"text":"a\tb\r\nc"}]}`); got != nil {
		t.Fatalf("tab, CR, LF refused: %v", got)
	}
}
