package api

import "sort"

// Version is the answer of GET /api/version.
type Version struct {
	Version string `json:"version"`
	API     string `json:"api"`
	FHIR    string `json:"fhir"`
}

func handleVersion(c *call) (*reply, error) {
	return &reply{data: Version{Version: c.h.cfg.Version, API: "1.0.0", FHIR: "4.0.1"}}, nil
}

// queryNames lists a record type's search fields in order, for the route table.
func queryNames(q map[string]queryField) []string {
	out := make([]string, 0, len(q))
	for k := range q {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
