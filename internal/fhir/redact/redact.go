// Package redact trims what a resource shows a caller confined to some
// patients, where the resource itself is visible but parts of it are other
// patients' data. Today that is a Group: a patient may see a Group that
// lists them (the practice's patient panel, a study cohort), but not who
// else is in it.
package redact

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// Needed reports whether resources of the type may need trimming for a
// confined caller; every other type is served as stored.
func Needed(rtype string) bool { return rtype == "Group" }

// subsetted is the tag FHIR puts on a resource that is not shown whole.
var subsetted = map[string]any{
	"system":  "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
	"code":    "SUBSETTED",
	"display": "subsetted",
}

// ForPatients returns the body as the patients may see it: a Group keeps
// only the members that are one of them (by a local reference), its
// quantity counts those, and it is tagged SUBSETTED when anything was
// removed. Other types, and a Group that lists no one else, come back
// unchanged (the same slice).
func ForPatients(rtype string, body []byte, patients []string, local search.LocalBases) ([]byte, error) {
	if !Needed(rtype) {
		return body, nil
	}
	res, err := fhirjson.Decode(body)
	if err != nil {
		return nil, err
	}
	members, _ := res["member"].([]any)
	kept := make([]any, 0, 1)
	for _, m := range members {
		mm, _ := m.(map[string]any)
		entity, _ := mm["entity"].(map[string]any)
		ref, _ := entity["reference"].(string)
		if t, id := search.LocalTarget(ref, local); t == "Patient" && slices.Contains(patients, id) {
			kept = append(kept, m)
		}
	}
	if len(kept) == len(members) {
		return body, nil
	}
	if len(kept) == 0 {
		delete(res, "member")
	} else {
		res["member"] = kept
	}
	if _, ok := res["quantity"]; ok {
		res["quantity"] = json.Number(strconv.Itoa(len(kept)))
	}
	meta, _ := res["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		res["meta"] = meta
	}
	tags, _ := meta["tag"].([]any)
	meta["tag"] = append(tags, subsetted)
	return fhirjson.Encode(res)
}
