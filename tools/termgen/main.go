// Command termgen writes internal/fhir/terminology/zz_terminology.json.gz:
// the code systems and value sets the FHIR R4 definitions (tools/fhirdefs.sh
// fetches them) and the US Core packages carry, in a compact form package
// terminology embeds and serves ($expand, $validate-code, $lookup). Code
// systems keep their concepts (code, display, designations, parent, whether
// inactive or abstract; not the definitions, which would near double the
// size); value sets keep their
// compose, expanded on request, so a value set stored on the server is
// expanded by the same code. The concepts are stored once, in their code
// system, never copied into expansions.
//
//	go run ./tools/termgen -defs "$(tools/fhirdefs.sh)" -uscore a.tgz,b.tgz -out internal/fhir/terminology
//
// The US Core packages are read in the order given; the first definition of
// a URL wins (give the newest package first).
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

type designation struct {
	Language string `json:"language,omitempty"`
	Use      *struct {
		System string `json:"system"`
		Code   string `json:"code"`
	} `json:"use,omitempty"`
	Value string `json:"value"`
}

type concept struct {
	Code        string        `json:"code"`
	Display     string        `json:"display"`
	Designation []designation `json:"designation"`
	Property    []property    `json:"property"`
	Concept     []concept     `json:"concept"`
}

// property is a concept's property; only the ones that say whether the
// concept is active or selectable are read.
type property struct {
	Code         string `json:"code"`
	ValueCode    string `json:"valueCode"`
	ValueString  string `json:"valueString"`
	ValueBoolean *bool  `json:"valueBoolean"`
}

// inactive tells whether a concept is not for current use: status retired,
// inactive or deprecated (as the HL7 reference validator reads the status
// property), or the inactive property true.
func (c concept) inactive() bool {
	for _, p := range c.Property {
		switch p.Code {
		case "status":
			switch p.ValueCode + p.ValueString {
			case "retired", "inactive", "deprecated":
				return true
			}
		case "inactive":
			if p.ValueBoolean != nil && *p.ValueBoolean {
				return true
			}
		}
	}
	return false
}

// abstract tells whether a concept only groups others (R4's notSelectable
// property; a few code systems say abstract).
func (c concept) abstract() bool {
	for _, p := range c.Property {
		if (p.Code == "notSelectable" || p.Code == "abstract") && p.ValueBoolean != nil && *p.ValueBoolean {
			return true
		}
	}
	return false
}

type codeSystem struct {
	ResourceType string    `json:"resourceType"`
	URL          string    `json:"url"`
	Name         string    `json:"name"`
	Title        string    `json:"title"`
	Version      string    `json:"version"`
	Content      string    `json:"content"`
	Concept      []concept `json:"concept"`
}

type valueSet struct {
	ResourceType string          `json:"resourceType"`
	URL          string          `json:"url"`
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Version      string          `json:"version"`
	Compose      json.RawMessage `json:"compose"`
}

// The output shapes: short member names, since the file is embedded.
type outSystem struct {
	URL      string       `json:"u"`
	Name     string       `json:"n,omitempty"`
	Title    string       `json:"t,omitempty"`
	Version  string       `json:"v,omitempty"`
	Content  string       `json:"k"`
	Concepts []outConcept `json:"c,omitempty"`
}

type outConcept struct {
	Code         string        `json:"c"`
	Display      string        `json:"d,omitempty"`
	Parent       int           `json:"p"` // index of the parent concept, -1 at the top
	Designations []designation `json:"g,omitempty"`
	Inactive     bool          `json:"i,omitempty"`
	Abstract     bool          `json:"a,omitempty"`
}

type outValueSet struct {
	URL     string          `json:"u"`
	Name    string          `json:"n,omitempty"`
	Title   string          `json:"t,omitempty"`
	Version string          `json:"v,omitempty"`
	Compose json.RawMessage `json:"c,omitempty"`
}

type out struct {
	Systems   []outSystem   `json:"systems"`
	ValueSets []outValueSet `json:"valueSets"`
}

type gen struct {
	systems   map[string]codeSystem
	valueSets map[string]valueSet
}

func main() {
	defs := flag.String("defs", "", "folder holding the r4 definition files")
	uscore := flag.String("uscore", "", "comma-separated US Core package tarballs, newest first")
	outDir := flag.String("out", "internal/fhir/terminology", "folder of package terminology")
	flag.Parse()
	if *defs == "" {
		log.Fatal("termgen: -defs is required (see tools/fhirdefs.sh)")
	}
	g := &gen{systems: map[string]codeSystem{}, valueSets: map[string]valueSet{}}
	for _, f := range []string{"valuesets.json", "v3-codesystems.json", "v2-tables.json"} {
		raw, err := os.ReadFile(filepath.Join(*defs, f))
		must(err)
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		must(json.Unmarshal(raw, &b))
		for _, e := range b.Entry {
			g.add(e.Resource)
		}
	}
	if *uscore != "" {
		for _, p := range strings.Split(*uscore, ",") {
			g.readPackage(p)
		}
	}
	var o out
	for _, u := range sortedKeys(g.systems) {
		cs := g.systems[u]
		if len(cs.Concept) == 0 {
			continue // a stub (SNOMED CT, LOINC… are content not-present): nothing to serve
		}
		os := outSystem{URL: cs.URL, Name: cs.Name, Title: cs.Title, Version: cs.Version, Content: cs.Content}
		var walk func([]concept, int)
		walk = func(cs []concept, parent int) {
			for _, c := range cs {
				os.Concepts = append(os.Concepts, outConcept{Code: c.Code, Display: c.Display, Parent: parent,
					Designations: c.Designation, Inactive: c.inactive(), Abstract: c.abstract()})
				walk(c.Concept, len(os.Concepts)-1)
			}
		}
		walk(cs.Concept, -1)
		o.Systems = append(o.Systems, os)
	}
	for _, u := range sortedKeys(g.valueSets) {
		vs := g.valueSets[u]
		var compact bytes.Buffer
		if len(vs.Compose) > 0 {
			must(json.Compact(&compact, vs.Compose))
		}
		o.ValueSets = append(o.ValueSets, outValueSet{URL: vs.URL, Name: vs.Name, Title: vs.Title, Version: vs.Version,
			Compose: json.RawMessage(compact.Bytes())})
	}
	data, err := json.Marshal(o)
	must(err)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	must(err)
	_, err = zw.Write(data)
	must(err)
	must(zw.Close())
	must(os.WriteFile(filepath.Join(*outDir, "zz_terminology.json.gz"), buf.Bytes(), 0o644))
	fmt.Fprintf(os.Stderr, "termgen: %d code systems, %d value sets, %d bytes (%d uncompressed)\n",
		len(o.Systems), len(o.ValueSets), buf.Len(), len(data))
}

// add keeps a CodeSystem or ValueSet, the first of each URL.
func (g *gen) add(raw json.RawMessage) {
	var head struct {
		ResourceType string `json:"resourceType"`
		URL          string `json:"url"`
	}
	must(json.Unmarshal(raw, &head))
	if head.URL == "" {
		return
	}
	switch head.ResourceType {
	case "CodeSystem":
		if _, dup := g.systems[head.URL]; dup {
			return
		}
		var cs codeSystem
		must(json.Unmarshal(raw, &cs))
		g.systems[cs.URL] = cs
	case "ValueSet":
		if _, dup := g.valueSets[head.URL]; dup {
			return
		}
		var vs valueSet
		must(json.Unmarshal(raw, &vs))
		g.valueSets[vs.URL] = vs
	}
}

// readPackage adds the CodeSystems and ValueSets of an npm FHIR package.
func (g *gen) readPackage(path string) {
	f, err := os.Open(path)
	must(err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must(err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		must(err)
		base := filepath.Base(h.Name)
		if !strings.HasSuffix(base, ".json") || !(strings.HasPrefix(base, "CodeSystem-") || strings.HasPrefix(base, "ValueSet-")) {
			continue
		}
		raw, err := io.ReadAll(tr)
		must(err)
		g.add(raw)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
