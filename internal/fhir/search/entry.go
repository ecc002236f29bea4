package search

// Entries are the search index rows extracted from one resource. The store
// writes them in the same transaction as the resource itself, so a search
// never sees a resource without its index or an index without its resource.
//
// Every entry names the search parameter code it belongs to (for example
// "family" or "_lastUpdated"); one element can yield several entries, and one
// parameter several elements (for example each coding of a CodeableConcept).
type Entries struct {
	Strings    []StringEntry
	Tokens     []TokenEntry
	References []ReferenceEntry
	Dates      []DateEntry
	Numbers    []NumberEntry
	Quantities []QuantityEntry
	URIs       []URIEntry
	Composites []CompositeEntry

	local LocalBases // while extracting: which absolute references are here
}

// StringEntry indexes a string parameter. Norm is the value folded for
// matching (lower case, accents removed, white space collapsed), as FHIR
// string search is case- and accent-insensitive; Value is the value as stored,
// used by the :exact modifier.
type StringEntry struct {
	Param string
	Norm  string
	Value string
}

// TokenEntry indexes a token parameter: a Coding, an Identifier, a
// ContactPoint, a code or a boolean. System is empty when the element has
// none. Text holds the display or text of the element, folded like
// StringEntry.Norm, for the :text modifier.
type TokenEntry struct {
	Param  string
	System string
	Code   string
	Text   string
}

// ReferenceEntry indexes a reference parameter. For a relative or local
// reference ("Patient/123") TargetType and TargetID are set; for an absolute
// URL or canonical, URL holds it (and TargetType/TargetID too when the URL
// is this server's base followed by Type/id: see LocalBases).
type ReferenceEntry struct {
	Param      string
	TargetType string
	TargetID   string
	URL        string
}

// DateEntry indexes a date parameter as the closed range of instants it
// covers, in Unix microseconds UTC: "2024" covers the whole year, a Period
// its start to end (an open end is the largest int64).
type DateEntry struct {
	Param string
	Low   int64
	High  int64
}

// NumberEntry indexes a number parameter as its value and the range implied
// by its precision ("1.0" covers 0.95 to 1.05).
type NumberEntry struct {
	Param string
	Value float64
	Key   string // the exact value (DecimalKey), which searches compare
	Low   float64
	High  float64
}

// QuantityEntry indexes a quantity parameter: the value with its precision
// range, the unit system and code (UCUM when coded), and the human unit.
type QuantityEntry struct {
	Param  string
	Value  float64
	Key    string // the exact value (DecimalKey), which searches compare
	Low    float64
	High   float64
	System string
	Code   string
	Unit   string
}

// URIEntry indexes a uri parameter.
type URIEntry struct {
	Param string
	Value string
}

// CompositeEntry indexes a composite parameter: one pairing of a token (the
// first component; for a reference, TSystem holds the target type and TCode
// the target id) with a value of the second component found on the same
// element. Only the fields of the second component's type are set: System
// and Code for a token; Value, Low, High, System, Code and Unit for a
// quantity; Value, Low and High for a number; DateLow and DateHigh for a
// date (as DateEntry); Norm for a string (as StringEntry).
type CompositeEntry struct {
	Param   string
	TSystem string
	TCode   string

	System string
	Code   string
	Unit   string
	Value  float64
	Key    string // the exact value (DecimalKey)
	Low    float64
	High   float64

	DateLow  int64
	DateHigh int64
	Norm     string
}
