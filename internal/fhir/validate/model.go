package validate

import (
	"strings"

	"github.com/emedpractice/emp/internal/fhir/fhirpath"
)

// Model gives the FHIRPath engine the R4 type model of the generated element
// tables: the type of each element (valueQuantity is a Quantity, Patient.name
// a HumanName) and the derivation of types (code from string, Age from
// Quantity, Patient from DomainResource).
func Model() fhirpath.Model { return model{} }

type model struct{}

// typeByName finds a type by name. The FHIRPath engine asks it at every
// step of an invariant's path, so it is one map look-up.
func typeByName(name string) (typeID, bool) {
	id, ok := typeIndex[name]
	return id, ok
}

// typeIndex maps each type's name to its place in the table; built once
// when the package is loaded and only read afterwards.
var typeIndex = indexTypes()

func indexTypes() map[string]typeID {
	m := make(map[string]typeID, len(types))
	for i := range types {
		m[types[i].name] = typeID(i)
	}
	return m
}

func (model) Child(typ, name string) (string, bool, bool) {
	id, ok := typeByName(typ)
	if !ok {
		return "", false, false
	}
	t := &types[id]
	if e, ok := t.lookup(name); ok {
		return types[e.typ].name, e.flags&fChoice != 0, true
	}
	// The name of a choice element without a type: value for value[x].
	for bit := 1; bit <= int(t.ngroups); bit++ {
		if g := t.groupName(bit); strings.HasSuffix(g, "[x]") && g[:len(g)-3] == name {
			return "", true, true
		}
	}
	return "", false, false
}

func (model) Known(typ string) bool {
	_, ok := typeByName(typ)
	return ok
}

func (model) Base(typ string) string {
	switch typ {
	case "Resource", "Element", "":
		return ""
	case "DomainResource", "Bundle", "Binary", "Parameters":
		return "Resource"
	case "BackboneElement":
		return "Element"
	case "code", "id", "markdown":
		return "string"
	case "url", "canonical", "oid", "uuid":
		return "uri"
	case "positiveInt", "unsignedInt":
		return "integer"
	case "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity":
		return "Quantity"
	case "Timing", "Dosage", "ElementDefinition", "MarketingStatus", "Population",
		"ProductShelfLife", "ProdCharacteristic", "SubstanceAmount":
		return "BackboneElement"
	}
	if strings.Contains(typ, ".") {
		return "BackboneElement"
	}
	id, ok := typeByName(typ)
	if ok && types[id].kind == kindResource {
		return "DomainResource"
	}
	return "Element"
}
