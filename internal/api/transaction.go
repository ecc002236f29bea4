package api

import (
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
)

// Transaction is a referral (the original's LBTref transaction): a FHIR
// ServiceRequest. referByNpi and referToNpi name the referring and the
// receiving clinician by NPI; referDiagnosis is a diagnosis string.
type Transaction struct {
	ID             int64  `json:"id"`
	UUID           string `json:"uuid" api:"readonly"`
	Pid            int64  `json:"pid"`
	Type           string `json:"type"`
	Body           string `json:"body"`
	Groupname      string `json:"groupname"`
	ReferByNpi     string `json:"referByNpi"`
	ReferToNpi     string `json:"referToNpi"`
	ReferDiagnosis string `json:"referDiagnosis"`
	RiskLevel      string `json:"riskLevel"`
	ReferralDate   string `json:"referralDate"`
	Authorization  string `json:"authorization"`
	ValidFrom      string `json:"validFrom"`
	ValidThrough   string `json:"validThrough"`
}

const (
	sysTransType     = "urn:emp:transaction-type"
	sysAuthorization = "urn:emp:referral-authorization"
	extRisk          = "urn:emp:referral-risk-level"
)

var transactionType = &recordType[Transaction]{
	cacheable: true,
	name:      "transaction", fhirType: "ServiceRequest", patientParam: "patient",
	checks: []check{
		{field: "type", oneOf: []string{"LBTref"}},
		{field: "referralDate", label: "Referral date", required: true, format: dateYMD},
		{field: "body", label: "Reason", required: true, min: 2, max: 150, text: true},
		{field: "groupname", label: "Group", required: true, min: 1, max: 255, text: true},
		{field: "referByNpi", label: "Referred by (NPI)", required: true, min: 10, max: 15, format: numeric},
		{field: "referToNpi", min: 10, max: 15, format: numeric},
		{field: "riskLevel", oneOf: []string{"Low", "Medium", "High"}},
		{field: "validFrom", format: dateYMD}, {field: "validThrough", format: dateYMD},
		{field: "referDiagnosis", max: 255},
	},
	fixed: map[string][]string{"category": {sysTransType + "|LBTref"}},
	match: func(o obj) bool { return hasSystem(o, "category", sysTransType) },
	extra: func(c *call, f fields, _ bool, _ string) errs.Multi {
		if f["validFrom"] != "" && f["validThrough"] != "" && f["validThrough"] < f["validFrom"] {
			return errs.Multi{fieldErr("validThrough", "order", "validThrough is before validFrom")}
		}
		return nil
	},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Transaction, error) {
		t := &Transaction{UUID: r.ID, Type: "LBTref"}
		var err error
		if t.ID, err = m.num("transaction", r.ID); err != nil {
			return nil, err
		}
		if t.Pid, err = m.num("patient", patientOf(o)); err != nil {
			return nil, err
		}
		if n := first(o, "note"); n != nil {
			t.Body = str(n, "text")
		}
		t.Groupname = extensionValue(o, extGroupname)
		t.ReferByNpi = str(child(child(o, "requester"), "identifier"), "value")
		if p := first(o, "performer"); p != nil {
			t.ReferToNpi = str(child(p, "identifier"), "value")
		}
		if rc := first(o, "reasonCode"); rc != nil {
			t.ReferDiagnosis = diagnosisOf(rc)
		}
		t.RiskLevel = extensionValue(o, extRisk)
		t.ReferralDate = datePart(str(o, "authoredOn"))
		t.Authorization = identifier(o, sysAuthorization)
		p := child(o, "occurrencePeriod")
		t.ValidFrom, t.ValidThrough = datePart(str(p, "start")), datePart(str(p, "end"))
		return t, nil
	},
	toFHIR: func(m *mapper, t *Transaction, f fields, o obj, patient string) error {
		setRef(o, "subject", "Patient", patient)
		if o["status"] == nil {
			o["status"] = "active"
		}
		o["intent"] = "order"
		o["category"] = []any{obj{"coding": []any{obj{"system": sysTransType, "code": "LBTref", "display": "Referral"}}}}
		o["code"] = obj{"text": "Referral"}
		setNote(o, t.Body)
		setExtensionValue(o, extGroupname, t.Groupname)
		setExtensionValue(o, extRisk, t.RiskLevel)
		if t.ReferByNpi != "" {
			o["requester"] = obj{"identifier": obj{"system": sysNPI, "value": t.ReferByNpi}}
		}
		if t.ReferToNpi != "" {
			o["performer"] = []any{obj{"identifier": obj{"system": sysNPI, "value": t.ReferToNpi}}}
		} else {
			delete(o, "performer")
		}
		if cs := codings(t.ReferDiagnosis); len(cs) > 0 {
			o["reasonCode"] = []any{obj{"coding": cs}}
		} else {
			delete(o, "reasonCode")
		}
		set(o, "authoredOn", t.ReferralDate)
		setIdentifier(o, sysAuthorization, t.Authorization, nil)
		p := obj{}
		set(p, "start", t.ValidFrom)
		set(p, "end", t.ValidThrough)
		if len(p) > 0 {
			o["occurrencePeriod"] = p
		} else {
			delete(o, "occurrencePeriod")
		}
		return nil
	},
}

func transactionRoutes() []Route {
	rs := crud(transactionType, "/patient/{pid}/transaction", "pid", "tid", ops{list: true, get: true, create: true}, "a patient's referrals")
	return append(rs, crud(transactionType, "/transaction", "", "tid", ops{update: true}, "a referral")...)
}
