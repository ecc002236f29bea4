package api

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/store"
)

// patientJSON is the part of a Patient resource the record shows. Decoding
// into it skips everything else without building maps, which makes the
// first read of a patient several times cheaper than a full decode;
// patientRecordFast must answer exactly what patientRecord does (a test
// holds them together).
type patientJSON struct {
	Name []struct {
		Use    string   `json:"use"`
		Family string   `json:"family"`
		Given  []string `json:"given"`
		Prefix []string `json:"prefix"`
	} `json:"name"`
	Address []struct {
		Line       []string `json:"line"`
		City       string   `json:"city"`
		State      string   `json:"state"`
		PostalCode string   `json:"postalCode"`
		Country    string   `json:"country"`
	} `json:"address"`
	Telecom []struct {
		System string `json:"system"`
		Use    string `json:"use"`
		Value  string `json:"value"`
	} `json:"telecom"`
	BirthDate  string `json:"birthDate"`
	Gender     string `json:"gender"`
	Identifier []struct {
		System string `json:"system"`
		Value  string `json:"value"`
		Type   struct {
			Coding []struct {
				System string `json:"system"`
				Code   string `json:"code"`
			} `json:"coding"`
		} `json:"type"`
	} `json:"identifier"`
	Extension []struct {
		URL       string `json:"url"`
		Extension []struct {
			URL         string `json:"url"`
			ValueString string `json:"valueString"`
		} `json:"extension"`
	} `json:"extension"`
	MaritalStatus struct {
		Text   string `json:"text"`
		Coding []struct {
			Display string `json:"display"`
		} `json:"coding"`
	} `json:"maritalStatus"`
}

func patientRecordFast(m *mapper, r *store.Resource) (*Patient, error) {
	var pj patientJSON
	if err := json.Unmarshal(r.Body, &pj); err != nil {
		return nil, err
	}
	p := &Patient{UUID: r.ID}
	n, err := m.num("patient", r.ID)
	if err != nil {
		return nil, err
	}
	p.ID, p.Pid = n, n
	name := -1
	for i, nm := range pj.Name {
		if nm.Use == "official" {
			name = i
			break
		}
	}
	if name < 0 && len(pj.Name) > 0 {
		name = 0
	}
	if name >= 0 {
		nm := pj.Name[name]
		if len(nm.Given) > 0 {
			p.Fname = nm.Given[0]
		}
		if len(nm.Given) > 1 {
			p.Mname = strings.Join(nm.Given[1:], " ")
		}
		p.Lname = nm.Family
		if len(nm.Prefix) > 0 {
			p.Title = nm.Prefix[0]
		}
	}
	if len(pj.Address) > 0 {
		a := pj.Address[0]
		if len(a.Line) > 0 {
			p.Street = strings.Join(a.Line, ", ")
		}
		p.City, p.State, p.Postal, p.Country = a.City, a.State, a.PostalCode, a.Country
	}
	tel := func(system, use string) string {
		for _, t := range pj.Telecom {
			if t.System == system && (use == "" || t.Use == use) {
				return t.Value
			}
		}
		return ""
	}
	p.PhoneHome, p.PhoneBiz, p.PhoneCell, p.Email = tel("phone", "home"), tel("phone", "work"), tel("phone", "mobile"), tel("email", "")
	p.DOB = pj.BirthDate
	p.Sex = sexFromGender(pj.Gender)
	ext := func(url string) string {
		for _, e := range pj.Extension {
			if e.URL != url {
				continue
			}
			for _, sub := range e.Extension {
				if sub.URL == "text" {
					return sub.ValueString
				}
			}
		}
		return ""
	}
	p.Race, p.Ethnicity = ext(extRace), ext(extEthnicity)
	for _, id := range pj.Identifier {
		if id.System == sysSSN {
			p.SS = id.Value
			break
		}
	}
	mr, mrFound := "", false
	for _, id := range pj.Identifier {
		for _, c := range id.Type.Coding {
			if c.System == sysV2ID {
				if c.Code == "MR" {
					mr, mrFound = id.Value, true
				}
				break
			}
		}
		if mrFound {
			break
		}
	}
	if !mrFound {
		for _, id := range pj.Identifier {
			if id.System == sysMRN {
				mr = id.Value
				break
			}
		}
	}
	p.Pubpid = mr
	if p.Pubpid == "" {
		p.Pubpid = strconv.FormatInt(n, 10)
	}
	p.Status = pj.MaritalStatus.Text
	if p.Status == "" {
		for _, c := range pj.MaritalStatus.Coding {
			if c.Display != "" {
				p.Status = c.Display
				break
			}
		}
	}
	return p, nil
}
