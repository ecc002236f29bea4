package fhirpath_test

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/fhirpath"
	"github.com/emedpractice/emp/internal/fhir/validate"
)

// The HL7 FHIRPath test suite for R4 (testdata/tests-fhir-r4.xml), run over
// the same example resources in JSON. Cases the engine does not pass are
// listed in testdata/suite-skips.txt with the reason; the test fails if a
// case outside the list fails or a listed case passes, so the list stays
// true.

type suite struct {
	Groups []struct {
		Name  string `xml:"name,attr"`
		Tests []struct {
			Name       string `xml:"name,attr"`
			Input      string `xml:"inputfile,attr"`
			Predicate  string `xml:"predicate,attr"`
			Mode       string `xml:"mode,attr"`
			Expression struct {
				Invalid string `xml:"invalid,attr"`
				Text    string `xml:",chardata"`
			} `xml:"expression"`
			Outputs []struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"output"`
		} `xml:"test"`
	} `xml:"group"`
}

var inputs = map[string]string{
	"patient-example.xml":            "Patient-example.json",
	"observation-example.xml":        "Observation-example.json",
	"questionnaire-example.xml":      "Questionnaire-3141.json",
	"valueset-example-expansion.xml": "ValueSet-example-expansion.json",
}

func loadSkips(t *testing.T) map[string]string {
	f, err := os.Open("testdata/suite-skips.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	skips := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, why, ok := strings.Cut(line, " ")
		if !ok || strings.TrimSpace(why) == "" {
			t.Fatalf("suite-skips.txt: %q gives no reason", line)
		}
		skips[name] = strings.TrimSpace(why)
	}
	return skips
}

func TestHL7Suite(t *testing.T) {
	raw, err := os.ReadFile("testdata/tests-fhir-r4.xml")
	if err != nil {
		t.Fatal(err)
	}
	var s suite
	if err := xml.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	resources := map[string]map[string]any{}
	for x, j := range inputs {
		b, err := os.ReadFile(filepath.Join("testdata", j))
		if err != nil {
			t.Fatal(err)
		}
		if resources[x], err = fhirjson.Decode(b); err != nil {
			t.Fatal(err)
		}
	}
	skips := loadSkips(t)
	clock := func() time.Time { return time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC) }
	total, passed := 0, 0
	seen := map[string]bool{}
	for _, g := range s.Groups {
		for i, tc := range g.Tests {
			name := tc.Name
			if name == "" {
				name = fmt.Sprintf("%s#%d", g.Name, i+1)
			}
			seen[name] = true
			total++
			res := resources[tc.Input]
			opt := &fhirpath.Options{Model: validate.Model(), Strict: tc.Mode == "strict", Now: clock}
			got, err := run(tc.Expression.Text, res, opt, tc.Predicate == "true")
			var problem string
			switch {
			case tc.Expression.Invalid != "":
				if err == nil {
					problem = fmt.Sprintf("expected an error, got %v", got)
				}
			case err != nil:
				problem = "error: " + err.Error()
			default:
				var want []string
				for _, o := range tc.Outputs {
					want = append(want, o.Type+":"+o.Text)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					problem = fmt.Sprintf("got %v, want %v", got, want)
				}
			}
			why, skipped := skips[name]
			switch {
			case problem == "" && skipped:
				t.Errorf("%s (%s) passes: remove it from suite-skips.txt (%s)", name, tc.Expression.Text, why)
			case problem == "":
				passed++
			case !skipped:
				t.Errorf("%s: %s: %s", name, tc.Expression.Text, problem)
			}
		}
	}
	for name := range skips {
		if !seen[name] {
			t.Errorf("suite-skips.txt names %s, which is not in the suite", name)
		}
	}
	t.Logf("HL7 FHIRPath R4 suite: %d of %d cases pass (%.1f%%)", passed, total, 100*float64(passed)/float64(total))
}

// run evaluates an expression and renders the result as type:value strings
// in the suite's vocabulary.
func run(src string, res map[string]any, opt *fhirpath.Options, predicate bool) ([]string, error) {
	e, err := fhirpath.Compile(src)
	if err != nil {
		return nil, err
	}
	root := fhirpath.Resource(res)
	out, err := e.Evaluate(root, []fhirpath.Item{root}, opt)
	if err != nil {
		return nil, err
	}
	if predicate {
		return []string{fmt.Sprintf("boolean:%v", len(out) > 0)}, nil
	}
	var got []string
	for _, it := range out {
		got = append(got, render(it))
	}
	return got, nil
}

func render(it fhirpath.Item) string {
	v := it.Value()
	typ := it.Type()
	switch x := v.(type) {
	case bool:
		return fmt.Sprintf("boolean:%v", x)
	case int64:
		return fmt.Sprintf("integer:%d", x)
	case string:
		switch {
		case typ != "":
			return typ + ":" + x
		case it.SystemType() == "Quantity":
			return "Quantity:" + x
		case it.SystemType() == "Date":
			return "date:" + x
		case it.SystemType() == "DateTime":
			return "dateTime:" + x
		case it.SystemType() == "Time":
			return "time:" + x
		case it.SystemType() == "Decimal":
			return "decimal:" + x
		}
		return "string:" + x
	}
	return fmt.Sprintf("%s:%v", typ, v)
}
