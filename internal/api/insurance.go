package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Insurance is a patient's insurance policy: a FHIR Coverage. type is its
// rank (primary, secondary, tertiary: Coverage.order 1-3); provider the
// insurance company's id; the subscriber is the patient for relationship
// self, and otherwise a RelatedPerson contained in the Coverage.
type Insurance struct {
	ID                     int64  `json:"id"`
	UUID                   string `json:"uuid" api:"readonly"`
	Pid                    int64  `json:"pid"`
	PUUID                  string `json:"puuid" api:"readonly"`
	Type                   string `json:"type"`
	Provider               string `json:"provider"`
	PlanName               string `json:"plan_name"`
	PolicyNumber           string `json:"policy_number"`
	GroupNumber            string `json:"group_number"`
	SubscriberLname        string `json:"subscriber_lname"`
	SubscriberMname        string `json:"subscriber_mname"`
	SubscriberFname        string `json:"subscriber_fname"`
	SubscriberRelationship string `json:"subscriber_relationship"`
	SubscriberSS           string `json:"subscriber_ss"`
	SubscriberDOB          string `json:"subscriber_DOB"`
	SubscriberStreet       string `json:"subscriber_street"`
	SubscriberPostalCode   string `json:"subscriber_postal_code"`
	SubscriberCity         string `json:"subscriber_city"`
	SubscriberState        string `json:"subscriber_state"`
	SubscriberCountry      string `json:"subscriber_country"`
	SubscriberPhone        string `json:"subscriber_phone"`
	SubscriberSex          string `json:"subscriber_sex"`
	Copay                  string `json:"copay"`
	Date                   string `json:"date"`
	DateEnd                string `json:"date_end"`
	AcceptAssignment       string `json:"accept_assignment"`
	PolicyType             string `json:"policy_type"`
}

const (
	sysSubscriberRel = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
	sysCoverageClass = "http://terminology.hl7.org/CodeSystem/coverage-class"
	sysCopay         = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"
	extAcceptAssign  = "urn:emp:coverage:accept-assignment"
	extPolicyType    = "urn:emp:coverage:policy-type"
)

var insuranceRanks = []string{"primary", "secondary", "tertiary"}

var insuranceChecks = []check{
	{field: "type", label: "Type", required: true, oneOf: insuranceRanks},
	{field: "provider", label: "Insurance company", required: true, format: numeric},
	{field: "policy_number", label: "Policy number", required: true, min: 2, max: 255},
	{field: "subscriber_lname", label: "Subscriber last name", required: true, min: 2, max: 255, text: true},
	{field: "subscriber_fname", label: "Subscriber first name", required: true, min: 1, max: 255, text: true},
	{field: "subscriber_relationship", label: "Relationship", required: true, oneOf: []string{"self", "spouse", "child", "other"}},
	{field: "subscriber_DOB", label: "Subscriber date of birth", required: true, format: dateYMD},
	{field: "subscriber_street", label: "Subscriber street", required: true, min: 2, max: 255, text: true},
	{field: "subscriber_postal_code", label: "Subscriber postal code", required: true, min: 2, max: 255},
	{field: "subscriber_city", label: "Subscriber city", required: true, min: 2, max: 255, text: true},
	{field: "subscriber_state", label: "Subscriber state", required: true, min: 2, max: 255, text: true},
	{field: "subscriber_sex", label: "Subscriber sex", required: true, oneOf: []string{"Female", "Male", "Other", "Unknown"}},
	{field: "accept_assignment", label: "Accept assignment", required: true, oneOf: []string{"TRUE", "FALSE"}},
	{field: "date", label: "Start date", required: true, format: dateYMD},
	{field: "date_end", label: "End date", format: dateYMD},
	{field: "copay", format: numeric},
	{field: "plan_name", max: 255, text: true}, {field: "group_number", max: 255},
}

var insuranceType = &recordType[Insurance]{
	name: "insurance", fhirType: "Coverage", patientParam: "patient", checks: insuranceChecks,
	toRecord: insuranceRecord, toFHIR: insuranceFHIR,
}

func insuranceRecord(m *mapper, r *store.Resource, o obj) (*Insurance, error) {
	in := &Insurance{UUID: r.ID, PUUID: patientOf(o)}
	var err error
	if in.ID, err = m.num("insurance", r.ID); err != nil {
		return nil, err
	}
	if in.Pid, err = m.num("patient", in.PUUID); err != nil {
		return nil, err
	}
	in.Type = "primary"
	if n, err := strconv.Atoi(number(o, "order")); err == nil && n >= 1 && n <= 3 {
		in.Type = insuranceRanks[n-1]
	}
	if p := first(o, "payor"); p != nil {
		if id := refID(obj{"r": p}, "r", "Organization"); id != "" {
			n, err := m.num("insurance_company", id)
			if err != nil {
				return nil, err
			}
			in.Provider = strconv.FormatInt(n, 10)
		}
	}
	for _, c := range list(o, "class") {
		switch codeOf(c, "type", sysCoverageClass) {
		case "plan":
			in.PlanName = str(c, "name")
		case "group":
			in.GroupNumber = str(c, "value")
		}
	}
	in.PolicyNumber = str(o, "subscriberId")
	in.SubscriberRelationship = codeOf(o, "relationship", sysSubscriberRel)
	if cb := first(o, "costToBeneficiary"); cb != nil {
		in.Copay = number(child(cb, "valueMoney"), "value")
	}
	p := child(o, "period")
	in.Date, in.DateEnd = datePart(str(p, "start")), datePart(str(p, "end"))
	in.AcceptAssignment = extensionValue(o, extAcceptAssign)
	in.PolicyType = extensionValue(o, extPolicyType)
	// The subscriber: a contained RelatedPerson, or the patient.
	var sub obj
	if strings.HasPrefix(str(child(o, "subscriber"), "reference"), "#") {
		for _, c := range list(o, "contained") {
			if "#"+str(c, "id") == str(child(o, "subscriber"), "reference") {
				sub = c
			}
		}
	} else if id := refID(o, "subscriber", "Patient"); id != "" {
		if pr, err := m.s.Read(m.ctx, "Patient", id, search.Compartment{}); err == nil {
			sub, _ = fhirjson.Decode(pr.Body)
		}
	}
	if sub != nil {
		if n := officialName(sub); n != nil {
			g := strs(n, "given")
			if len(g) > 0 {
				in.SubscriberFname = g[0]
			}
			if len(g) > 1 {
				in.SubscriberMname = strings.Join(g[1:], " ")
			}
			in.SubscriberLname = str(n, "family")
		}
		in.SubscriberSS = identifier(sub, sysSSN)
		in.SubscriberDOB = str(sub, "birthDate")
		in.SubscriberSex = sexFromGender(str(sub, "gender"))
		in.SubscriberPhone = telecom(sub, "phone", "")
		if a := first(sub, "address"); a != nil {
			if l := strs(a, "line"); len(l) > 0 {
				in.SubscriberStreet = l[0]
			}
			in.SubscriberCity, in.SubscriberState, in.SubscriberPostalCode, in.SubscriberCountry = str(a, "city"), str(a, "state"), str(a, "postalCode"), str(a, "country")
		}
	}
	return in, nil
}

func insuranceFHIR(m *mapper, in *Insurance, f fields, o obj, patient string) error {
	if o["status"] == nil {
		o["status"] = "active"
	}
	setRef(o, "beneficiary", "Patient", patient)
	for i, r := range insuranceRanks {
		if r == in.Type {
			o["order"] = jsonInt(int64(i + 1))
		}
	}
	if f.has("provider") {
		id, err := m.uuidOf("insurance_company", in.Provider)
		if err != nil {
			return err
		}
		o["payor"] = []any{ref("Organization", id)}
	}
	set(o, "subscriberId", in.PolicyNumber)
	if f.has("plan_name") || f.has("group_number") {
		var classes []any
		for _, c := range list(o, "class") {
			if t := codeOf(c, "type", sysCoverageClass); t != "plan" && t != "group" {
				classes = append(classes, c)
			}
		}
		if in.GroupNumber != "" {
			classes = append(classes, obj{"type": concept(coding{sysCoverageClass, "group", "Group"}), "value": in.GroupNumber})
		}
		if in.PlanName != "" {
			classes = append(classes, obj{"type": concept(coding{sysCoverageClass, "plan", "Plan"}), "value": in.PlanName, "name": in.PlanName})
		}
		if len(classes) == 0 {
			delete(o, "class")
		} else {
			o["class"] = classes
		}
	}
	if in.SubscriberRelationship != "" {
		o["relationship"] = concept(coding{sysSubscriberRel, in.SubscriberRelationship, ""})
	}
	if f.has("copay") {
		if in.Copay == "" {
			delete(o, "costToBeneficiary")
		} else {
			o["costToBeneficiary"] = []any{obj{"type": concept(coding{sysCopay, "copay", "Copay Amount"}),
				"valueMoney": obj{"value": jsonNumber(in.Copay), "currency": "USD"}}}
		}
	}
	p := obj{}
	set(p, "start", in.Date)
	set(p, "end", in.DateEnd)
	if len(p) > 0 {
		o["period"] = p
	} else {
		delete(o, "period")
	}
	if f.has("accept_assignment") {
		setExtensionValue(o, extAcceptAssign, in.AcceptAssignment)
	}
	if f.has("policy_type") {
		setExtensionValue(o, extPolicyType, in.PolicyType)
	}
	if in.SubscriberRelationship == "self" {
		delete(o, "contained")
		o["subscriber"] = ref("Patient", patient)
		return nil
	}
	sub := obj{"resourceType": "RelatedPerson", "id": "subscriber", "patient": ref("Patient", patient),
		"relationship": []any{concept(coding{"http://terminology.hl7.org/CodeSystem/v3-RoleCode", relationshipRole(in.SubscriberRelationship), ""})}}
	sub["name"] = []any{obj{"family": in.SubscriberLname, "given": anyStrings(nonEmpty(in.SubscriberFname, in.SubscriberMname))}}
	set(sub, "birthDate", in.SubscriberDOB)
	set(sub, "gender", genderFromSex(in.SubscriberSex))
	if in.SubscriberSS != "" {
		sub["identifier"] = []any{obj{"system": sysSSN, "value": in.SubscriberSS}}
	}
	if in.SubscriberPhone != "" {
		sub["telecom"] = []any{obj{"system": "phone", "value": in.SubscriberPhone}}
	}
	a := obj{}
	setStrs(a, "line", in.SubscriberStreet)
	set(a, "city", in.SubscriberCity)
	set(a, "state", in.SubscriberState)
	set(a, "postalCode", in.SubscriberPostalCode)
	set(a, "country", in.SubscriberCountry)
	if len(a) > 0 {
		sub["address"] = []any{a}
	}
	o["contained"] = []any{sub}
	o["subscriber"] = obj{"reference": "#subscriber"}
	return nil
}

func relationshipRole(rel string) string {
	switch rel {
	case "spouse":
		return "SPS"
	case "child":
		return "CHILD"
	}
	return "FAMMEMB"
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// insuranceRules are the business rules of a policy against the patient
// and their other policies (self: the subscriber is the patient; no two
// policies of one type from the same date; one current policy per type;
// the start not after the end).
func insuranceRules(c *call, in *Insurance, patient, self string) errs.Multi {
	var bad errs.Multi
	if in.DateEnd != "" && in.Date != "" && in.DateEnd < in.Date {
		bad = append(bad, fieldErr("date_end", "order", "the end date %s is before the start date %s", in.DateEnd, in.Date))
	}
	pt, err := c.rd().Patient(patient)
	if err == nil {
		switch {
		case in.SubscriberRelationship == "self":
			if !strings.EqualFold(pt.Fname, in.SubscriberFname) {
				bad = append(bad, fieldErr("subscriber_fname", "self", "for relationship self the subscriber must be the patient (%s)", pt.Fname))
			}
			if !strings.EqualFold(pt.Lname, in.SubscriberLname) {
				bad = append(bad, fieldErr("subscriber_lname", "self", "for relationship self the subscriber must be the patient (%s)", pt.Lname))
			}
			if pt.SS != "" && in.SubscriberSS != "" && pt.SS != in.SubscriberSS {
				bad = append(bad, fieldErr("subscriber_ss", "self", "for relationship self the subscriber's SSN must be the patient's"))
			}
		case pt.SS != "" && in.SubscriberSS == pt.SS:
			bad = append(bad, fieldErr("subscriber_ss", "other", "the subscriber's SSN is the patient's, but the relationship is %s", in.SubscriberRelationship))
		}
	}
	others, _, err := insuranceType.find(c.m, url.Values{}, patient, page{limit: maxLimit})
	if err == nil {
		for _, o := range others {
			if o.UUID == self || o.Type != in.Type {
				continue
			}
			if o.Date == in.Date {
				bad = append(bad, fieldErr("date", "duplicate", "the patient already has a %s policy from %s", in.Type, in.Date))
			}
			if o.DateEnd == "" && in.DateEnd == "" {
				bad = append(bad, fieldErr("date_end", "current", "the patient already has a current %s policy; end it first", in.Type))
			}
		}
	}
	return bad
}

func (c *call) rd() *Reader { return &Reader{m: c.m} }

func createInsurance(c *call) (*reply, error) {
	patient, err := c.patientFromPath("puuid")
	if err != nil {
		return nil, err
	}
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if err := insuranceType.check(c, f, true, patient); err != nil {
		return nil, err
	}
	in := new(Insurance)
	overlay(in, f)
	if bad := insuranceRules(c, in, patient, ""); len(bad) > 0 {
		return nil, bad
	}
	if _, err := c.m.uuidOf("insurance_company", in.Provider); err != nil {
		return nil, err
	}
	o := obj{"resourceType": "Coverage"}
	if err := insuranceFHIR(c.m, in, f, o, patient); err != nil {
		return nil, err
	}
	if err := validFHIR("Coverage", o); err != nil {
		return nil, err
	}
	out, err := c.h.cfg.Store.CreateAll(c.ctx, []store.NewResource{{Type: "Coverage", Body: o, Numbered: "insurance"}}, search.Compartment{})
	if err != nil {
		return nil, err
	}
	c.resID = out[0].ID
	return &reply{status: http.StatusCreated, data: Created{ID: out[0].Num, UUID: out[0].ID}}, nil
}

func updateInsurance(c *call) (*reply, error) {
	patient, err := c.patientFromPath("puuid")
	if err != nil {
		return nil, err
	}
	id, err := c.resolveID("uuid", "insurance")
	if err != nil {
		return nil, err
	}
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if err := insuranceType.check(c, f, false, patient); err != nil {
		return nil, err
	}
	res, o, err := insuranceType.readForUpdate(c, patient, id)
	if err != nil {
		return nil, err
	}
	in, err := insuranceRecord(c.m, res, o)
	if err != nil {
		return nil, err
	}
	overlay(in, f)
	if bad := insuranceRules(c, in, patient, id); len(bad) > 0 {
		return nil, bad
	}
	if err := insuranceFHIR(c.m, in, f, o, patient); err != nil {
		return nil, err
	}
	if err := validFHIR("Coverage", o); err != nil {
		return nil, err
	}
	nr, _, err := c.h.cfg.Store.Update(c.ctx, "Coverage", id, o, res.Version, search.Compartment{})
	if err != nil {
		return nil, err
	}
	no, err := fhirjson.Decode(nr.Body)
	if err != nil {
		return nil, err
	}
	rec, err := insuranceRecord(c.m, nr, no)
	if err != nil {
		return nil, err
	}
	return &reply{data: rec}, nil
}

// swapInsurance moves a policy to another rank (type), and the patient's
// current policy of that rank to the moved policy's old rank, together.
func swapInsurance(c *call) (*reply, error) {
	patient, err := c.patientFromPath("puuid")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	f := fields{"type": q.Get("type"), "uuid": q.Get("uuid")}
	bad := validateFields(f, []check{{field: "type", required: true, oneOf: insuranceRanks}, {field: "uuid", required: true}}, true)
	if len(bad) > 0 {
		return nil, bad
	}
	if !search.ValidID(f["uuid"]) {
		return nil, fieldErr("uuid", "id", "invalid or nonexisting value %q", f["uuid"])
	}
	res, o, err := insuranceType.readForUpdate(c, patient, f["uuid"])
	if err != nil {
		return nil, err
	}
	moved, err := insuranceRecord(c.m, res, o)
	if err != nil {
		return nil, err
	}
	target := f["type"]
	changes := []store.Change{}
	if moved.Type != target {
		others, _, err := insuranceType.find(c.m, url.Values{}, patient, page{limit: maxLimit})
		if err != nil {
			return nil, err
		}
		for _, other := range others {
			if other.UUID == moved.UUID || other.Type != target || other.DateEnd != "" {
				continue
			}
			ores, oo, err := insuranceType.readForUpdate(c, patient, other.UUID)
			if err != nil {
				return nil, err
			}
			other.Type = moved.Type
			if err := insuranceFHIR(c.m, other, fields{}, oo, patient); err != nil {
				return nil, err
			}
			changes = append(changes, store.Change{Type: "Coverage", ID: other.UUID, Body: oo, Version: ores.Version})
		}
		moved.Type = target
		if err := insuranceFHIR(c.m, moved, fields{}, o, patient); err != nil {
			return nil, err
		}
		changes = append(changes, store.Change{Type: "Coverage", ID: moved.UUID, Body: o, Version: res.Version})
		if _, err := c.h.cfg.Store.WriteAll(c.ctx, changes); err != nil {
			return nil, err
		}
	}
	c.resID = moved.UUID
	recs, _, err := insuranceType.find(c.m, url.Values{}, patient, page{limit: maxLimit})
	if err != nil {
		return nil, err
	}
	return &reply{data: recs}, nil
}

func insuranceRoutes() []Route {
	rs := crud(insuranceType, "/patient/{puuid}/insurance", "puuid", "uuid", ops{list: true, get: true}, "a patient's insurance policies")
	base := "/patient/{puuid}/insurance"
	return append(rs,
		Route{Method: http.MethodPost, Path: base, Resource: "insurance", Interaction: scope.Create,
			Summary: "add an insurance policy", Request: typeOf[Insurance](), Response: typeOf[Created](), Status: 201, handle: createInsurance},
		Route{Method: http.MethodPut, Path: base + "/{uuid}", Resource: "insurance", Interaction: scope.Update,
			Summary: "update an insurance policy (only the fields sent)", Request: typeOf[Insurance](), Response: typeOf[Insurance](), Status: 200, handle: updateInsurance},
		Route{Method: http.MethodGet, Path: base + "/$swap-insurance", Resource: "insurance", Interaction: scope.Update, List: true,
			Query: []string{"type", "uuid"}, Summary: "move a policy to another rank, swapping with the current holder",
			Response: typeOf[Insurance](), Status: 200, handle: swapInsurance},
	)
}
