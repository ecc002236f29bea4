package api

import "strings"

// The original API writes a diagnosis as "<codetype>:<code>", several
// separated by ";" (ICD10:H02.839;SNOMED-CT:12345). These are the code
// types and the FHIR code systems they stand for.
var codeTypes = []struct{ name, system string }{
	{"ICD10", "http://hl7.org/fhir/sid/icd-10-cm"},
	{"SNOMED-CT", "http://snomed.info/sct"},
	{"RXCUI", "http://www.nlm.nih.gov/research/umls/rxnorm"},
	{"CPT4", "http://www.ama-assn.org/go/cpt"},
	{"LOINC", "http://loinc.org"},
	{"CVX", "http://hl7.org/fhir/sid/cvx"},
	{"ICD9", "http://hl7.org/fhir/sid/icd-9-cm"},
}

func codeTypeOf(system string) string {
	for _, c := range codeTypes {
		if c.system == system {
			return c.name
		}
	}
	return ""
}

func systemOf(codeType string) string {
	u := strings.ToUpper(codeType)
	switch u {
	case "SNOMED", "SNOMEDCT", "SNOMED-CT":
		u = "SNOMED-CT"
	case "RXNORM":
		u = "RXCUI"
	case "CPT":
		u = "CPT4"
	}
	for _, c := range codeTypes {
		if c.name == u {
			return c.system
		}
	}
	return "urn:emp:codetype:" + strings.ToLower(codeType)
}

// diagnosisOf writes the codings of a CodeableConcept as a diagnosis string.
func diagnosisOf(cc obj) string {
	var parts []string
	for _, cd := range list(cc, "coding") {
		ct := codeTypeOf(str(cd, "system"))
		if ct == "" {
			ct = strings.TrimPrefix(str(cd, "system"), "urn:emp:codetype:")
			if strings.Contains(ct, "/") || strings.Contains(ct, ":") {
				continue
			}
			ct = strings.ToUpper(ct)
		}
		if c := str(cd, "code"); c != "" {
			parts = append(parts, ct+":"+c)
		}
	}
	return strings.Join(parts, ";")
}

// codings turns a diagnosis string into codings; a part without a code
// type is left out.
func codings(diagnosis string) []any {
	var out []any
	for _, part := range strings.Split(diagnosis, ";") {
		ct, code, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || ct == "" || code == "" {
			continue
		}
		out = append(out, obj{"system": systemOf(ct), "code": code})
	}
	return out
}

// setConcept writes a CodeableConcept at key from a title (its text) and a
// diagnosis (its codings). Codings the diagnosis does not change keep their
// displays.
func setConcept(o obj, key, title, diagnosis string, diagnosisSent bool) {
	cc := child(o, key)
	if cc == nil {
		cc = obj{}
	}
	set(cc, "text", title)
	if diagnosisSent {
		old := list(cc, "coding")
		cs := codings(diagnosis)
		for _, c := range cs {
			n := c.(obj)
			for _, o := range old {
				if str(o, "system") == str(n, "system") && str(o, "code") == str(n, "code") && str(o, "display") != "" {
					n["display"] = str(o, "display")
				}
			}
		}
		if len(cs) == 0 {
			delete(cc, "coding")
		} else {
			cc["coding"] = cs
		}
	}
	if len(cc) == 0 {
		delete(o, key)
		return
	}
	o[key] = cc
}
