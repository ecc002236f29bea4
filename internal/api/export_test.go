package api

// WithoutCache drops the handler's cache of mapped records, so that a
// benchmark can show what the cache saves.
func WithoutCache(h *Handler) *Handler {
	h.cache = nil
	return h
}

// The mappings' element helpers and code systems, for the tests that
// check what a record became in FHIR.
var (
	Str          = str
	Child        = child
	List         = list
	First        = first
	Strs         = strs
	RefID        = refID
	CodeOf       = codeOf
	TextOf       = textOf
	Identifier   = identifier
	PatientOf    = patientOf
	HasCode      = hasCode
	OfficialName = officialName
	MRN          = mrn
)

const (
	SysSSN               = sysSSN
	SysLOINC             = sysLOINC
	SysConditionClinical = sysConditionClinical
	LOINCPanel           = loincPanel
)
