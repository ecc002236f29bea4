package auth

// category is a granular sub-scope the consent page offers in place of a
// whole Condition or Observation grant: the US Core categories the ONC
// (g)(10) criterion names (HTI-1 granular scopes).
type category struct {
	Type, System, Code, Label string
}

const (
	condCategory  = "http://terminology.hl7.org/CodeSystem/condition-category"
	usCoreCondCat = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
	obsCategory   = "http://terminology.hl7.org/CodeSystem/observation-category"
	usCoreObsCat  = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
)

// categories is read-only.
var categories = []category{
	{"Condition", condCategory, "problem-list-item", "Problem list"},
	{"Condition", condCategory, "encounter-diagnosis", "Encounter diagnoses"},
	{"Condition", usCoreCondCat, "health-concern", "Health concerns"},
	{"Observation", obsCategory, "laboratory", "Laboratory results"},
	{"Observation", obsCategory, "vital-signs", "Vital signs"},
	{"Observation", obsCategory, "social-history", "Social history"},
	{"Observation", obsCategory, "survey", "Surveys and assessments"},
	{"Observation", obsCategory, "procedure", "Clinical tests"},
	{"Observation", obsCategory, "imaging", "Imaging results"},
	{"Observation", usCoreObsCat, "sdoh", "Social determinants of health"},
}

// categoriesOf lists the categories of a resource type.
func categoriesOf(resourceType string) []category {
	var out []category
	for _, c := range categories {
		if c.Type == resourceType {
			out = append(out, c)
		}
	}
	return out
}
