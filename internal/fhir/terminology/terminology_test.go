package terminology

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const (
	gender          = "http://hl7.org/fhir/administrative-gender"
	confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	v2Sex           = "http://terminology.hl7.org/CodeSystem/v2-0001"
)

func tables(t *testing.T) *Tables {
	t.Helper()
	tb, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// wantNotSupported fails unless err is a NotSupportedError whose reason
// contains the text.
func wantNotSupported(t *testing.T, err error, text string) {
	t.Helper()
	var ns *NotSupportedError
	if !errors.As(err, &ns) || !strings.Contains(ns.Reason, text) {
		t.Fatalf("want a NotSupportedError with %q, got %v", text, err)
	}
}

func codes(es []Entry) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Code
	}
	return strings.Join(out, ",")
}

// TestExpand expands value sets the packages carry, of every kind of
// compose: a whole code system, listed codes, hierarchy filters, an
// exclude, other value sets; and the ones that cannot be expanded here.
func TestExpand(t *testing.T) {
	tb := tables(t)
	tests := []struct {
		name, url string
		want      string // the codes in order, or the start of them ending in "…"
		notSupp   string // a NotSupportedError containing this
	}{
		{"whole system", "http://hl7.org/fhir/ValueSet/administrative-gender", "male,female,other,unknown", ""},
		{"whole system with version", "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1", "male,female,other,unknown", ""},
		{"listed codes", "http://terminology.hl7.org/ValueSet/v3-ConfidentialityClassification", "U,L,M,N,R,V", ""},
		{"is-a", "http://terminology.hl7.org/ValueSet/v3-ActMoodIntent",
			"INT,_ActMoodDesire,_ActMoodActRequest,ARQ,PERMRQ,RQO,PRP,RMD,PRMS,APT", ""},
		{"descendent-of leaves the root out", "http://hl7.org/fhir/ValueSet/inactive",
			"CRT,EVN.CRT,GOL.CRT,INT.CRT,PRMS.CRT,RQO.CRT,RSK.CRT,EXPEC,GOL,RSK,OPT", ""},
		{"is-not-a", "http://hl7.org/fhir/ValueSet/patient-contactrelationship", "BP,C,CP,E,EP,F,I,N,PR,S,U", ""},
		{"exclude", "http://terminology.hl7.org/ValueSet/v3-ActClassROI", "ROIBND,ROIOVL", ""},
		{"other value sets", "http://hl7.org/fhir/ValueSet/security-labels", "U,L,M,N,R,V,_InformationSensitivityPolicy,…", ""},
		{"unknown value set", "http://example.org/ValueSet/none", "", "not known to this server"},
		{"a system not carried, whole", "http://hl7.org/fhir/ValueSet/example-intensional", "", "not available on this server"},
		{"a filter not supported", "http://hl7.org/fhir/ValueSet/example-filter", "", "not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tb.Expand(tc.url)
			if tc.notSupp != "" {
				wantNotSupported(t, err, tc.notSupp)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			have := codes(got)
			if prefix, ok := strings.CutSuffix(tc.want, "…"); ok {
				if !strings.HasPrefix(have, prefix) {
					t.Errorf("codes %s…, want them to start with %s", have[:min(len(have), 200)], prefix)
				}
				return
			}
			if have != tc.want {
				t.Errorf("codes %s, want %s", have, tc.want)
			}
		})
	}
}

// TestExpandFlags checks what the expansion says of each concept: inactive
// and abstract from the code system's properties, designations from the
// value set's compose and the code system, displays filled in from the
// code system.
func TestExpandFlags(t *testing.T) {
	tb := tables(t)
	all, err := tb.Expand("http://terminology.hl7.org/ValueSet/v3-Confidentiality")
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]Entry{}
	for _, e := range all {
		byCode[e.Code] = e
	}
	for code, want := range map[string][2]bool{ // inactive, abstract
		"N": {false, false}, "_Confidentiality": {false, false},
		"_ConfidentialityByAccessKind": {true, true}, "B": {true, false}, "HIV": {true, false},
	} {
		e, ok := byCode[code]
		if !ok || e.Inactive != want[0] || e.Abstract != want[1] {
			t.Errorf("%s: %+v, want inactive %v abstract %v", code, e, want[0], want[1])
		}
	}
	listed, err := tb.Expand("http://terminology.hl7.org/ValueSet/v3-ConfidentialityClassification")
	if err != nil {
		t.Fatal(err)
	}
	if listed[0].Code != "U" || listed[0].Display != "unrestricted" {
		t.Errorf("a listed code without display takes its code system's: %+v", listed[0])
	}
	sex, err := tb.Expand("http://terminology.hl7.org/ValueSet/v2-0001")
	if err != nil {
		t.Fatal(err)
	}
	if f := sex[1]; f.Code != "F" || len(f.Designation) != 2 || f.Designation[0].Language != "de" || f.Designation[0].Value != "weiblich" {
		t.Errorf("designations of F: %+v", f)
	}
	languages, err := tb.Expand("http://hl7.org/fhir/ValueSet/languages")
	if err != nil {
		t.Fatal(err)
	}
	if len(languages) == 0 || languages[0].Code != "ar" || DisplayIn(languages[0].Display, languages[0].Designation, "da") != "Arabisk" {
		t.Errorf("designations listed in the compose: %+v", languages[:min(1, len(languages))])
	}
}

// TestExpandCompose expands composes as a stored ValueSet carries them,
// including compose.inactive false.
func TestExpandCompose(t *testing.T) {
	tb := tables(t)
	tests := []struct{ name, compose, want, notSupp string }{
		{"listed", `{"include":[{"system":"` + gender + `","concept":[{"code":"female"},{"code":"male","display":"Man"}]}]}`, "female,male", ""},
		{"listed, system not carried", `{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"38341003"}]}]}`, "38341003", ""},
		{"whole system, inactive false", `{"inactive":false,"include":[{"system":"` + confidentiality + `"}]}`, "_Confidentiality,L,M,N,R,U,V", ""},
		{"is-a with exclude", `{"include":[{"system":"` + confidentiality + `","filter":[{"property":"concept","op":"is-a","value":"_ConfidentialityModifiers"}]}],` +
			`"exclude":[{"system":"` + confidentiality + `","concept":[{"code":"_ConfidentialityModifiers"}]}]}`, "C,S,T", ""},
		{"code list filter", `{"include":[{"system":"` + gender + `","filter":[{"property":"concept","op":"in","value":"other, unknown"}]}]}`, "other,unknown", ""},
		{"include of a value set intersected with a system", `{"include":[{"system":"` + confidentiality + `","filter":[{"property":"concept","op":"=","value":"N,B"}],` +
			`"valueSet":["http://terminology.hl7.org/ValueSet/v3-ConfidentialityClassification"]}]}`, "N", ""},
		{"a filter on an unknown code", `{"include":[{"system":"` + confidentiality + `","filter":[{"property":"concept","op":"is-a","value":"nope"}]}]}`, "", "does not hold"},
		{"a system only partly carried", `{"include":[{"system":"http://snomed.info/sct"}]}`, "", "not available"},
		{"a value set including itself ends", `{"include":[{"valueSet":["http://hl7.org/fhir/ValueSet/administrative-gender"]}]}`, "male,female,other,unknown", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Compose
			if err := json.Unmarshal([]byte(tc.compose), &c); err != nil {
				t.Fatal(err)
			}
			got, err := tb.ExpandCompose(&c)
			if tc.notSupp != "" {
				wantNotSupported(t, err, tc.notSupp)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if have := codes(got); have != tc.want {
				t.Errorf("codes %s, want %s", have, tc.want)
			}
		})
	}
}

// TestSelect applies the $expand options: text filter, paging,
// activeOnly, designations and display language.
func TestSelect(t *testing.T) {
	tb := tables(t)
	conf, err := tb.Expand("http://terminology.hl7.org/ValueSet/v3-Confidentiality")
	if err != nil {
		t.Fatal(err)
	}
	sex, err := tb.Expand("http://terminology.hl7.org/ValueSet/v2-0001")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        []Entry
		o         Options
		total     int
		want      string // codes of the page
		displays  string // displays of the page, when compared
		designate bool   // whether the page carries designations
	}{
		{"all", conf, Options{Count: 100}, 20, codes(conf), "", false},
		{"paging", conf, Options{Offset: 2, Count: 3}, 20, "M,N,R", "", false},
		{"offset past the end", conf, Options{Offset: 50, Count: 3}, 20, "", "", false},
		{"count 0 gives the total only", conf, Options{Count: 0}, 20, "", "", false},
		{"filter on display, case folded", conf, Options{Filter: "RESTRICTED", Count: 100}, 3, "R,U,V", "", false},
		{"filter on code", conf, Options{Filter: "hiv", Count: 100}, 1, "HIV", "", false},
		{"filter then paging", conf, Options{Filter: "restricted", Offset: 1, Count: 1}, 3, "U", "", false},
		{"activeOnly", conf, Options{ActiveOnly: true, Count: 100}, 7, "_Confidentiality,L,M,N,R,U,V", "", false},
		{"activeOnly with filter", conf, Options{ActiveOnly: true, Filter: "related", Count: 100}, 0, "", "", false},
		{"excludeNotForUI", conf, Options{ExcludeNotForUI: true, Filter: "confidentiality", Count: 100}, 1, "_Confidentiality", "", false},
		{"designations left out by default", sex, Options{Count: 2}, 6, "A,F", "Ambiguous,Female", false},
		{"includeDesignations", sex, Options{Count: 2, IncludeDesignations: true}, 6, "A,F", "Ambiguous,Female", true},
		{"displayLanguage", sex, Options{Count: 3, DisplayLanguage: "de"}, 6, "A,F,M", "mehrdeutig,weiblich,männlich", false},
		{"displayLanguage with a region", sex, Options{Count: 2, DisplayLanguage: "de-CH"}, 6, "A,F", "mehrdeutig,weiblich", false},
		{"displayLanguage without designations", sex, Options{Count: 2, DisplayLanguage: "fr"}, 6, "A,F", "Ambiguous,Female", false},
		{"filter in the display language", sex, Options{Filter: "weib", DisplayLanguage: "de", Count: 10}, 1, "F", "weiblich", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := json.Marshal(tc.in)
			total, page := Select(tc.in, tc.o)
			if total != tc.total || codes(page) != tc.want {
				t.Errorf("total %d codes %s, want %d %s", total, codes(page), tc.total, tc.want)
			}
			if tc.displays != "" {
				var ds []string
				for _, e := range page {
					ds = append(ds, e.Display)
				}
				if got := strings.Join(ds, ","); got != tc.displays {
					t.Errorf("displays %s, want %s", got, tc.displays)
				}
			}
			for _, e := range page {
				if (len(e.Designation) > 0) != tc.designate {
					t.Errorf("%s designations %v, want them: %v", e.Code, e.Designation, tc.designate)
				}
			}
			if after, _ := json.Marshal(tc.in); string(after) != string(before) {
				t.Error("Select changed the expansion it was given")
			}
		})
	}
}

// TestValidateCodings checks $validate-code's verdicts: with and without
// system, with a right, a wrong and a translated display, codes in two
// systems, codes not in the set.
func TestValidateCodings(t *testing.T) {
	tb := tables(t)
	sex, err := tb.Expand("http://terminology.hl7.org/ValueSet/v2-0001")
	if err != nil {
		t.Fatal(err)
	}
	var c Compose
	if err := json.Unmarshal([]byte(`{"include":[{"system":"`+gender+`"},{"system":"`+v2Sex+`","concept":[{"code":"other","display":"Other (v2)"}]}]}`), &c); err != nil {
		t.Fatal(err)
	}
	both, err := tb.ExpandCompose(&c)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := tb.Expand("http://terminology.hl7.org/ValueSet/v3-Confidentiality")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		expansion []Entry
		codings   []Coding
		lang      string
		abstract  bool
		result    bool
		display   string
		message   string // contained in the message; "" wants none
	}{
		{"system and code", sex, []Coding{{System: v2Sex, Code: "F"}}, "", false, true, "Female", ""},
		{"code alone", sex, []Coding{{Code: "F"}}, "", false, true, "Female", ""},
		{"right display, case aside", sex, []Coding{{System: v2Sex, Code: "F", Display: "female "}}, "", false, true, "Female", ""},
		{"display in a designation", sex, []Coding{{System: v2Sex, Code: "F", Display: "Weiblich"}}, "", false, true, "Female", ""},
		{"wrong display", sex, []Coding{{System: v2Sex, Code: "F", Display: "Male"}}, "", false, false, "Female", `the display "Male" is not a display of`},
		{"display answered in a language", sex, []Coding{{System: v2Sex, Code: "F"}}, "de", false, true, "weiblich", ""},
		{"wrong system", sex, []Coding{{System: gender, Code: "F"}}, "", false, false, "", "is not in the value set VS"},
		{"code not in the set", sex, []Coding{{System: v2Sex, Code: "X"}}, "", false, false, "", v2Sex + `|X is not in the value set VS`},
		{"two systems, code in one", both, []Coding{{Code: "female"}}, "", false, true, "Female", ""},
		{"two systems hold the code, the system tells", both, []Coding{{System: v2Sex, Code: "other"}}, "", false, true, "Other (v2)", ""},
		{"ambiguous, then a match", both, []Coding{{Code: "other"}, {Code: "female"}}, "", false, true, "Female", ""},
		{"ambiguous code alone", both, []Coding{{Code: "other"}}, "", false, false, "", "in more than one system"},
		{"the second coding matches", sex, []Coding{{System: gender, Code: "female"}, {System: v2Sex, Code: "M"}}, "", false, true, "Male", ""},
		{"no coding", sex, nil, "", false, false, "", "no code was given"},
		{"the system's version", sex, []Coding{{System: v2Sex, Version: "2.9", Code: "F"}}, "", false, true, "Female", ""},
		{"another version of the system", sex, []Coding{{System: v2Sex, Version: "2.5", Code: "F"}}, "", false, false, "",
			"the code system " + v2Sex + " is known to this server in version 2.9, not 2.5"},
		{"abstract code", conf, []Coding{{System: confidentiality, Code: "_ConfidentialityModifiers"}}, "", false, false, "", "is abstract"},
		{"abstract code allowed", conf, []Coding{{System: confidentiality, Code: "_ConfidentialityModifiers"}}, "", true, true, "ConfidentialityModifiers", "is inactive"},
		{"inactive code is valid, with a message", conf, []Coding{{System: confidentiality, Code: "HIV"}}, "", false, true, "HIV related",
			"the code " + confidentiality + "|HIV is inactive in its code system"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tb.ValidateCodings(tc.expansion, "VS", tc.codings, CodeOptions{DisplayLanguage: tc.lang, Abstract: tc.abstract})
			if v.Result != tc.result || v.Display != tc.display {
				t.Errorf("%+v, want result %v display %q", v, tc.result, tc.display)
			}
			if (tc.message == "") != (v.Message == "") || !strings.Contains(v.Message, tc.message) {
				t.Errorf("message %q, want %q", v.Message, tc.message)
			}
		})
	}
}

// TestLookup finds codes in the carried code systems.
func TestLookup(t *testing.T) {
	tb := tables(t)
	tests := []struct {
		name, system, code string
		display, parent    string
		found              bool
		notSupp            string
	}{
		{"top concept", gender, "female", "Female", "", true, ""},
		{"nested concept", confidentiality, "HIV", "HIV related", "_ConfidentialityByInfoType", true, ""},
		{"not in a complete system", gender, "xx", "", "", false, ""},
		{"system not carried", "http://snomed.info/sct", "38341003", "", "", false, "not available"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, c, err := tb.Lookup(tc.system, tc.code)
			if tc.notSupp != "" {
				wantNotSupported(t, err, tc.notSupp)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c != nil) != tc.found {
				t.Fatalf("found %v, want %v", c != nil, tc.found)
			}
			if c != nil && (c.Display != tc.display || cs.Parent(c) != tc.parent) {
				t.Errorf("display %q parent %q, want %q %q", c.Display, cs.Parent(c), tc.display, tc.parent)
			}
		})
	}
	// A code system carried in part answers only for the codes it holds.
	partial := 0
	for _, cs := range tb.systems {
		if cs.Complete() || len(cs.Concepts) == 0 {
			continue
		}
		partial++
		if _, c, err := tb.Lookup(cs.URL, cs.Concepts[0].Code); err != nil || c == nil {
			t.Errorf("%s %s: %v %v", cs.URL, cs.Concepts[0].Code, c, err)
		}
		_, _, err := tb.Lookup(cs.URL, "\x00not-a-code")
		wantNotSupported(t, err, "holds only part of the code system "+cs.URL)
	}
	if partial == 0 {
		t.Error("no code system carried in part to look up")
	}
}

// tree writes a nested expansion as code(child,child…) for comparison.
func tree(es []Entry) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Code
		if len(e.Contains) > 0 {
			out[i] += "(" + tree(e.Contains) + ")"
		}
	}
	return strings.Join(out, ",")
}

// TestNest arranges expansions as their code systems' hierarchy.
func TestNest(t *testing.T) {
	tb := tables(t)
	expand := func(url string) []Entry {
		es, err := tb.Expand(url)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	conf := expand("http://terminology.hl7.org/ValueSet/v3-Confidentiality")
	_, active := Select(conf, Options{ActiveOnly: true, Count: 100})
	_, concrete := Select(conf, Options{ExcludeNotForUI: true, Count: 100})
	tests := []struct {
		name string
		in   []Entry
		want string
	}{
		{"whole hierarchical system", conf, "_Confidentiality(L,M,N,R,U,V),_ConfidentialityByAccessKind(B,D,I)," +
			"_ConfidentialityByInfoType(ETH,HIV,PSY,SDV),_ConfidentialityModifiers(C,S,T)"},
		{"a system without hierarchy", expand("http://hl7.org/fhir/ValueSet/administrative-gender"), "male,female,other,unknown"},
		{"nearest ancestor in the expansion", concrete, "_Confidentiality(L,M,N,R,U,V),B,D,I,ETH,HIV,PSY,SDV,C,S,T"},
		{"inactive ones left out first", active, "_Confidentiality(L,M,N,R,U,V)"},
		{"a filtered hierarchy", expand("http://terminology.hl7.org/ValueSet/v3-ActMoodIntent"),
			"INT(_ActMoodDesire(_ActMoodActRequest(ARQ,PERMRQ,RQO),PRP(RMD)),PRMS(APT))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nested := tb.Nest(tc.in)
			if got := tree(nested); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
			if tree(tc.in) != codes(tc.in) {
				t.Error("Nest changed the expansion it was given")
			}
		})
	}
}

func TestDisplayIn(t *testing.T) {
	display := &Coding{System: "http://terminology.hl7.org/CodeSystem/designation-usage", Code: "display"}
	definition := &Coding{System: "http://terminology.hl7.org/CodeSystem/designation-usage", Code: "definition"}
	ds := []Designation{
		{Language: "nl", Use: definition, Value: "Een omschrijving"},
		{Language: "nl", Use: display, Value: "Vrouw"},
		{Language: "de-AT", Value: "Weiblich (AT)"},
		{Language: "de", Use: display, Value: "weiblich"},
		{Language: "fr", Use: definition, Value: "Une définition"},
	}
	tests := []struct{ lang, want string }{
		{"", "Female"},
		{"nl", "Vrouw"},            // a definition is not a display
		{"de", "weiblich"},         // the exact tag first
		{"de-AT", "Weiblich (AT)"}, // exact, without a use
		{"de-CH", "weiblich"},      // a related tag
		{"DE", "weiblich"},         // case folded
		{"fr", "Female"},           // only a definition: the default display
		{"en", "Female"},           // none
	}
	for _, tc := range tests {
		if got := DisplayIn("Female", ds, tc.lang); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.lang, got, tc.want)
		}
	}
}

func TestContainsFold(t *testing.T) {
	tests := []struct {
		s, lower string
		want     bool
	}{
		{"Ambulatory", "ambul", true},
		{"AMBULATORY", "tory", true},
		{"Ambulatory", "ambulatoryx", false},
		{"Ambulatory", "", true},
		{"", "a", false},
		{"in-Patient", "t-p", false},
		{"in-Patient", "n-p", true},
		{"MÄNNLICH", "männ", true}, // not ASCII: folded the long way
		{"männlich", "xä", false},
	}
	for _, tc := range tests {
		if got := containsFold(tc.s, tc.lower); got != tc.want {
			t.Errorf("containsFold(%q, %q) = %v", tc.s, tc.lower, got)
		}
	}
}
