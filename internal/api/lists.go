package api

import (
	"net/http"
	"sort"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
)

// ListOption is one value of a named list (GET /api/list/:list_name): the
// code a record holds and its title.
type ListOption struct {
	ListID   string `json:"list_id"`
	OptionID string `json:"option_id"`
	Title    string `json:"title"`
	Seq      int    `json:"seq"`
}

// InsuranceType is one value of the insurance type list.
type InsuranceType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// optionLists are the lists the API's records draw values from. They are
// fixed: records store codes from them and the mappings translate the codes.
func optionLists() map[string][][2]string {
	appt := make([][2]string, len(apptStatuses))
	for i, s := range apptStatuses {
		appt[i] = [2]string{s.code, s.title}
	}
	classes := make([][2]string, 0, len(encounterClasses))
	for _, k := range sortedKeys(encounterClasses) {
		classes = append(classes, [2]string{k, encounterClasses[k]})
	}
	return map[string][][2]string{
		"sex":                        {{"Female", "Female"}, {"Male", "Male"}, {"Other", "Other"}, {"Unknown", "Unknown"}},
		"apptstat":                   appt,
		"_ActEncounterCode":          classes,
		"sub_relation":               {{"self", "Self"}, {"spouse", "Spouse"}, {"child", "Child"}, {"other", "Other"}},
		"note_type":                  {{"Unassigned", "Unassigned"}, {"Chart Note", "Chart Note"}, {"Insurance", "Insurance"}, {"New Document", "New Document"}, {"Pharmacy", "Pharmacy"}, {"Prior Auth", "Prior Auth"}, {"Referral", "Referral"}, {"Test Scheduling", "Test Scheduling"}, {"Bill/Collect", "Bill/Collect"}, {"Other", "Other"}},
		"message_status":             {{"Done", "Done"}, {"Forwarded", "Forwarded"}, {"New", "New"}, {"Read", "Read"}},
		"allergy_severity":           {{"mild", "Mild"}, {"moderate", "Moderate"}, {"severe", "Severe"}},
		"marital":                    {{"married", "Married"}, {"single", "Single"}, {"divorced", "Divorced"}, {"widowed", "Widowed"}, {"separated", "Separated"}, {"domestic partner", "Domestic Partner"}},
		"insurance_type":             {{"primary", "Primary"}, {"secondary", "Secondary"}, {"tertiary", "Tertiary"}},
		"encounter_status":           pairs(encounterStatuses),
		"verification":               pairs([]string{"unconfirmed", "confirmed", "refuted", "entered-in-error"}),
		"medical_problem_issue_list": {{"active", "Active"}, {"resolved", "Resolved"}},
	}
}

func pairs(vs []string) [][2]string {
	out := make([][2]string, len(vs))
	for i, v := range vs {
		out[i] = [2]string{v, v}
	}
	return out
}

// insuranceTypes is the ins_type_code list of insurance companies.
var insuranceTypes = []string{"Other HCFA", "Medicare Part B", "Medicaid", "ChampUSVA", "ChampUS", "Blue Cross Blue Shield",
	"FECA", "Self Pay", "Central Certification", "Other Non-Federal Programs", "Preferred Provider Organization (PPO)",
	"Point of Service (POS)", "Exclusive Provider Organization (EPO)", "Indemnity Insurance", "Health Maintenance Organization (HMO) Medicare Risk",
	"Automobile Medical", "Commercial Insurance Co.", "Disability", "Health Maintenance Organization", "Liability", "Liability Medical",
	"Other Federal Program", "Title V", "Veterans Administration Plan", "Workers Compensation Health Plan", "Mutually Defined"}

func getList(c *call) (*reply, error) {
	name := c.r.PathValue("list_name")
	opts, ok := optionLists()[name]
	if !ok {
		return nil, errs.E(errs.NotFound, "no list %q", name)
	}
	out := make([]ListOption, len(opts))
	for i, o := range opts {
		out[i] = ListOption{ListID: name, OptionID: o[0], Title: o[1], Seq: (i + 1) * 10}
	}
	return &reply{data: out}, nil
}

func getInsuranceTypes(c *call) (*reply, error) {
	out := make([]InsuranceType, len(insuranceTypes))
	for i, n := range insuranceTypes {
		out[i] = InsuranceType{ID: i + 1, Name: n}
	}
	return &reply{data: out}, nil
}

// ListNames lists the names GET /api/list/:list_name answers, for
// documentation.
func ListNames() []string {
	m := optionLists()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func listRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/list/{list_name}", Resource: "list", Interaction: scope.Read,
			Summary: "the values of a named list", Response: typeOf[ListOption](), List: true, Status: 200, handle: getList},
		{Method: http.MethodGet, Path: "/insurance_type", Resource: "insurance_type", Interaction: scope.Search,
			Summary: "the insurance types", Response: typeOf[InsuranceType](), List: true, Status: 200, handle: getInsuranceTypes},
	}
}
