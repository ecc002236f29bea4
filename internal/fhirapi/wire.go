package fhirapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// contentType is the media type of every answer of this face.
const contentType = "application/fhir+json; charset=utf-8"

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// checkAccept refuses requests that can only take a format the server does
// not produce (XML, Turtle). JSON of any FHIR flavour, or anything, is fine.
func checkAccept(r *http.Request) error {
	if f := r.URL.Query().Get("_format"); f != "" {
		switch f {
		case "json", "application/json", "application/fhir+json", "application/json+fhir":
			return nil
		}
		return &errs.Error{Kind: errs.NotAcceptable, Field: "_format", Message: "only JSON is supported, not " + f}
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return nil
	}
	other := ""
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", "application/json", "application/fhir+json", "application/json+fhir", "text/json", "application/fhir+ndjson":
			if v, ok := params["fhirversion"]; ok && !isR4(v) {
				other = v // R4 (http.html#version-parameter): another version is 406
				continue
			}
			return nil
		}
	}
	if other != "" {
		return errs.E(errs.NotAcceptable, "this server speaks FHIR 4.0 (R4), not fhirVersion=%s", other)
	}
	return errs.E(errs.NotAcceptable, "only application/fhir+json is supported")
}

// checkContentType requires a JSON body on writes.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return errs.E(errs.Unsupported, "Content-Type is required: application/fhir+json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return errs.E(errs.Unsupported, "malformed Content-Type")
	}
	switch mt {
	case "application/fhir+json", "application/json", "application/json+fhir":
		return nil
	}
	return errs.E(errs.Unsupported, "Content-Type %s is not supported: send application/fhir+json", mt)
}

// isR4 reports whether a fhirVersion parameter names R4: "4.0" or a 4.0.x
// release.
func isR4(v string) bool { return v == "4.0" || strings.HasPrefix(v, "4.0.") }
