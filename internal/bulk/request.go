package bulk

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/parameters"
)

// Export levels.
const (
	levelSystem  = "system"
	levelPatient = "patient"
	levelGroup   = "group"
)

// rawParams are the kick-off parameters as given, by name, from the query
// string (GET) or a Parameters resource (POST). Repeated values are kept
// apart; comma lists are split by whoever reads them.
type rawParams map[string][]string

// maxParamsBody caps a POST Parameters body.
const maxParamsBody = 1 << 20

// readParams collects the parameters of a kick-off request.
func readParams(w http.ResponseWriter, r *http.Request) (rawParams, error) {
	p := rawParams{}
	for k, v := range r.URL.Query() {
		p[k] = append(p[k], v...)
	}
	if r.Method != http.MethodPost {
		return p, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/fhir+json" && mt != "application/json") {
			return nil, errs.E(errs.Unsupported, "the kick-off body must be a Parameters resource in application/fhir+json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxParamsBody))
	if err != nil {
		return nil, errs.E(errs.TooLarge, "the Parameters body is larger than %d bytes", maxParamsBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	vals, err := parameters.Values(body)
	if err != nil {
		return nil, err
	}
	for k, v := range vals {
		p[k] = append(p[k], v...)
	}
	return p, paramControls(p)
}

// list splits every value of a parameter on commas, dropping empty items.
func (p rawParams) list(name string) []string {
	var out []string
	for _, v := range p[name] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// knownParams are the kick-off parameters this server understands.
var knownParams = map[string]bool{
	"_outputFormat": true, "_since": true, "_type": true, "_elements": true, "patient": true,
	"_typeFilter": true, "includeAssociatedData": true,
}

// parseInstant reads a FHIR instant (a date-time with seconds and a zone).
func parseInstant(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// statusURL is the absolute URL a client polls for a job.
func (s *Service) statusURL(jobID string) string {
	return s.cfg.BaseURL + StatusPath + "?job=" + url.QueryEscape(jobID)
}

// fileURL is the absolute URL of one file of a job.
func (s *Service) fileURL(key string) string {
	return s.cfg.BaseURL + FilePath + "/" + key
}
