// Command profilegen writes internal/fhir/profile/zz_profiles.json from the
// US Core npm packages (package tarballs, read here at generate time; they
// are never committed): for every resource profile, the snapshot elements
// that constrain something (cardinality, fixed and pattern values, slicing,
// bindings, us-core-* invariants, must-support) with their ancestors, and
// the value sets of those bindings that the packages enumerate (concept
// lists, expansions, or whole code systems the packages carry).
//
//	go run ./tools/profilegen -out internal/fhir/profile "$USCORE_PACKAGES"/us-core-3.1.1.tgz "$USCORE_PACKAGES"/us-core-6.1.0.tgz
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The output's shape; package profile reads the same fields.
type outFile struct {
	Profiles  []outProfile        `json:"profiles"`
	ValueSets map[string][]string `json:"valueSets"` // url|version-less → "system|code"
}

type outProfile struct {
	URL      string       `json:"url"`
	Version  string       `json:"version"`
	Name     string       `json:"name"`
	Type     string       `json:"type"`
	Base     string       `json:"base"`
	Elements []outElement `json:"elements"`
}

type outElement struct {
	ID          string         `json:"id"`
	Min         int            `json:"min"`
	Max         string         `json:"max"`
	Fixed       map[string]any `json:"fixed,omitempty"`   // fixedCode → value
	Pattern     map[string]any `json:"pattern,omitempty"` // patternCodeableConcept → value
	Slicing     *slicing       `json:"slicing,omitempty"`
	Profiles    []string       `json:"profiles,omitempty"`       // type profiles (in slices: extension and profile discriminators)
	Targets     []string       `json:"targetProfiles,omitempty"` // reference target profiles (in slices: resolve() discriminators)
	Binding     *binding       `json:"binding,omitempty"`
	Constraints []constraint   `json:"constraints,omitempty"`
	MustSupport bool           `json:"mustSupport,omitempty"`
	Types       []string       `json:"types,omitempty"`
}

type slicing struct {
	Discriminator []struct {
		Type string `json:"type"`
		Path string `json:"path"`
	} `json:"discriminator"`
	Rules string `json:"rules"`
}

type binding struct {
	Strength string `json:"strength"`
	ValueSet string `json:"valueSet"`
}

type constraint struct {
	Key        string `json:"key"`
	Severity   string `json:"severity"`
	Human      string `json:"human"`
	Expression string `json:"expression"`
}

type sdElement struct {
	ID      string               `json:"id"`
	Path    string               `json:"path"`
	Min     int                  `json:"min"`
	Max     string               `json:"max"`
	Base    struct{ Max string } `json:"base"`
	Slicing *slicing             `json:"slicing"`
	Type    []struct {
		Code          string   `json:"code"`
		Profile       []string `json:"profile"`
		TargetProfile []string `json:"targetProfile"`
	} `json:"type"`
	Binding     *binding     `json:"binding"`
	Constraint  []constraint `json:"constraint"`
	MustSupport bool         `json:"mustSupport"`
}

type concept struct {
	Code    string    `json:"code"`
	Concept []concept `json:"concept"`
}

func main() {
	out := flag.String("out", "", "output folder")
	flag.Parse()
	res := outFile{ValueSets: map[string][]string{}}
	codeSystems := map[string][]string{}
	type vsDef struct {
		URL     string `json:"url"`
		Compose struct {
			Include []struct {
				System   string    `json:"system"`
				Concept  []concept `json:"concept"`
				Filter   []any     `json:"filter"`
				ValueSet []string  `json:"valueSet"`
			} `json:"include"`
			Exclude []any `json:"exclude"`
		} `json:"compose"`
		Expansion struct {
			Contains []struct{ System, Code string } `json:"contains"`
		} `json:"expansion"`
	}
	var valueSets []vsDef
	for _, tgz := range flag.Args() {
		files, err := readTarball(tgz)
		if err != nil {
			log.Fatal(err)
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			data := files[n]
			var head struct {
				ResourceType, Kind, Derivation, URL, Version, Name, Type, BaseDefinition string
			}
			if json.Unmarshal(data, &head) != nil {
				continue
			}
			switch head.ResourceType {
			case "CodeSystem":
				var cs struct {
					URL     string    `json:"url"`
					Concept []concept `json:"concept"`
				}
				if json.Unmarshal(data, &cs) == nil && len(cs.Concept) > 0 {
					codeSystems[cs.URL] = flatten(cs.URL, cs.Concept, nil)
				}
			case "ValueSet":
				var vs vsDef
				if json.Unmarshal(data, &vs) == nil {
					valueSets = append(valueSets, vs)
				}
			case "StructureDefinition":
				if head.Kind != "resource" || head.Derivation != "constraint" {
					continue
				}
				p, err := profile(data)
				if err != nil {
					log.Fatalf("%s: %v", n, err)
				}
				p.URL, p.Version, p.Name, p.Type, p.Base = head.URL, head.Version, head.Name, head.Type, head.BaseDefinition
				res.Profiles = append(res.Profiles, p)
			}
		}
	}
	for _, vs := range valueSets {
		var codes []string
		ok := true
		for _, inc := range vs.Compose.Include {
			switch {
			case len(inc.Filter) > 0 || len(inc.ValueSet) > 0:
				ok = false
			case len(inc.Concept) > 0:
				codes = flatten(inc.System, inc.Concept, codes)
			case codeSystems[inc.System] != nil:
				codes = append(codes, codeSystems[inc.System]...)
			default:
				ok = false
			}
		}
		if len(vs.Compose.Exclude) > 0 {
			ok = false
		}
		if !ok && len(vs.Expansion.Contains) > 0 {
			ok, codes = true, nil
			for _, c := range vs.Expansion.Contains {
				codes = append(codes, c.System+"|"+c.Code)
			}
		}
		if ok && len(codes) > 0 {
			res.ValueSets[vs.URL] = codes
		} else {
			fmt.Fprintln(os.Stderr, "not enumerable here:", vs.URL)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "zz_profiles.json"), buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func flatten(system string, cs []concept, out []string) []string {
	for _, c := range cs {
		out = append(out, system+"|"+c.Code)
		out = flatten(system, c.Concept, out)
	}
	return out
}

// profile keeps the snapshot elements that constrain something, and their
// ancestors so that a walk from the root reaches them.
func profile(data []byte) (outProfile, error) {
	var sd struct {
		Snapshot struct {
			Element []json.RawMessage `json:"element"`
		} `json:"snapshot"`
	}
	if err := json.Unmarshal(data, &sd); err != nil {
		return outProfile{}, err
	}
	var all []outElement
	keep := map[string]bool{}
	for _, raw := range sd.Snapshot.Element {
		var e sdElement
		if err := json.Unmarshal(raw, &e); err != nil {
			return outProfile{}, err
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw, &fields)
		o := outElement{ID: e.ID, Min: e.Min, Max: e.Max, Slicing: e.Slicing, MustSupport: e.MustSupport}
		for k, v := range fields {
			var val any
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			if dec.Decode(&val) != nil {
				continue
			}
			switch {
			case strings.HasPrefix(k, "fixed"):
				o.Fixed = map[string]any{k: val}
			case strings.HasPrefix(k, "pattern"):
				o.Pattern = map[string]any{k: val}
			}
		}
		for _, t := range e.Type {
			o.Types = append(o.Types, t.Code)
			o.Profiles = append(o.Profiles, t.Profile...)
			o.Targets = append(o.Targets, t.TargetProfile...)
		}
		if e.Binding != nil && e.Binding.ValueSet != "" {
			o.Binding = e.Binding
		}
		for _, c := range e.Constraint {
			if strings.HasPrefix(c.Key, "us-core-") && c.Expression != "" {
				o.Constraints = append(o.Constraints, c)
			}
		}
		all = append(all, o)
		if o.Min > 0 || o.Max == "0" || (e.Base.Max != "" && o.Max != e.Base.Max) || o.Fixed != nil || o.Pattern != nil ||
			o.Slicing != nil || strings.Contains(o.ID, ":") || o.Binding != nil || len(o.Constraints) > 0 || o.MustSupport ||
			!strings.Contains(o.ID, ".") {
			keep[o.ID] = true
		}
	}
	for id := range keep {
		for i := strings.LastIndexAny(id, ".:"); i > 0; i = strings.LastIndexAny(id[:i], ".:") {
			keep[id[:i]] = true
		}
	}
	var p outProfile
	for _, o := range all {
		if keep[o.ID] {
			if !strings.Contains(o.ID, ":") {
				o.Profiles, o.Targets = nil, nil // only slices are told apart by them
			}
			if len(o.Profiles) == 0 {
				o.Profiles = nil
			}
			if len(o.Targets) == 0 {
				o.Targets = nil
			}
			p.Elements = append(p.Elements, o)
		}
	}
	return p, nil
}

func readTarball(name string) (map[string][]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		base := filepath.Base(h.Name)
		if filepath.Dir(h.Name) != "package" || !strings.HasSuffix(base, ".json") {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[base] = b
	}
}
