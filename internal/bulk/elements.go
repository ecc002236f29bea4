package bulk

import (
	"bytes"
	"encoding/json"
	"slices"
)

// subsettedTag marks a resource that holds only some of its elements.
const subsettedTag = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"SUBSETTED"}`

// subset appends to dst the resource in body with only the named top-level
// elements, plus resourceType, id and meta (which always stay, as the
// Bulk Data specification asks), and the SUBSETTED tag in meta. The
// elements keep their order and bytes.
func subset(dst, body []byte, elements []string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return dst, err
	}
	dst = append(dst, '{')
	first := true
	var meta json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dst, err
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return dst, err
		}
		if name == "meta" {
			meta = value
			continue
		}
		if name != "resourceType" && name != "id" && !slices.Contains(elements, name) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst, _ = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = append(dst, value...)
	}
	tagged, err := withSubsettedTag(meta)
	if err != nil {
		return dst, err
	}
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, `"meta":`...)
	dst = append(dst, tagged...)
	return append(dst, '}'), nil
}

// withSubsettedTag adds the SUBSETTED tag to a meta element (or makes one).
func withSubsettedTag(meta json.RawMessage) ([]byte, error) {
	m := map[string]json.RawMessage{}
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &m); err != nil {
			return nil, err
		}
	}
	var tags []json.RawMessage
	if t, ok := m["tag"]; ok {
		if err := json.Unmarshal(t, &tags); err != nil {
			return nil, err
		}
	}
	tags = append(tags, json.RawMessage(subsettedTag))
	b, err := json.Marshal(tags)
	if err != nil {
		return nil, err
	}
	m["tag"] = b
	return json.Marshal(m)
}

func appendJSONString(dst []byte, s string) ([]byte, error) {
	b, err := json.Marshal(s)
	return append(dst, b...), err
}
