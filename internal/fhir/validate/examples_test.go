package validate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
)

// The US Core 6.1.0 examples (CC0) in testdata/us-core are valid R4 and must
// pass as they are.
func TestUSCoreExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/us-core/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("only %d examples in testdata/us-core", len(files))
	}
	seen := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res := decode(t, raw)
		rt, _ := res["resourceType"].(string)
		seen[rt]++
		if err := Resource(rt, res); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), describe(err))
		}
	}
	for _, rt := range []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance",
		"MedicationRequest", "Immunization", "Procedure", "CarePlan", "CareTeam", "Goal", "Device",
		"DiagnosticReport", "DocumentReference", "Coverage", "Provenance", "Organization", "Practitioner",
		"Location", "Medication", "Questionnaire", "QuestionnaireResponse", "Bundle"} {
		if seen[rt] == 0 {
			t.Errorf("no %s example in testdata/us-core", rt)
		}
	}
}

// TestPackageExamples validates every example of an IG package (an npm-style
// .tgz with package/example/*.json) named by EMP_FHIR_EXAMPLES_TGZ, for
// checking the validator against a whole published package.
func TestPackageExamples(t *testing.T) {
	tgz := os.Getenv("EMP_FHIR_EXAMPLES_TGZ")
	if tgz == "" {
		t.Skip("EMP_FHIR_EXAMPLES_TGZ not set")
	}
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		base := path.Base(h.Name)
		if !strings.HasPrefix(h.Name, "package/example/") || !strings.HasSuffix(base, ".json") || base[0] == '.' {
			continue
		}
		raw, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		res := decode(t, raw)
		rt, _ := res["resourceType"].(string)
		if err := Resource(rt, res); err != nil {
			t.Errorf("%s: %v", h.Name, describe(err))
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no examples in %s", tgz)
	}
	t.Logf("%d examples", n)
}

func decode(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// describe lists every error of a Multi, one a line.
func describe(err error) string {
	es, ok := err.(errs.Multi)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range es {
		b.WriteString("\n\t" + e.Field + ": " + e.Message)
	}
	return b.String()
}
