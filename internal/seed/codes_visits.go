package seed

// Visit tables: encounter kinds with their class and type codes, and the
// clinical note types written for them.

type visitKind uint8

const (
	visitWell visitKind = iota
	visitFollowUp
	visitAcute
	visitEmergency
	visitInpatient
)

var (
	classAmbulatory = term{sysActCode, "AMB", "ambulatory"}
	classEmergency  = term{sysActCode, "EMER", "emergency"}
	classInpatient  = term{sysActCode, "IMP", "inpatient encounter"}
)

func cpt(code, display string) term { return term{sysCPT, code, display} }

// visitType returns the Encounter.type codings: a SNOMED CT concept and the
// CPT evaluation-and-management code the visit is billed with.
func visitType(k visitKind, age int) (snomed, bill term, text string) {
	switch k {
	case visitWell:
		if age < 18 {
			switch {
			case age < 1:
				bill = cpt("99391", "Preventive visit, established patient, infant (age younger than 1 year)")
			case age < 5:
				bill = cpt("99392", "Preventive visit, established patient, early childhood (age 1 through 4 years)")
			case age < 12:
				bill = cpt("99393", "Preventive visit, established patient, late childhood (age 5 through 11 years)")
			default:
				bill = cpt("99394", "Preventive visit, established patient, adolescent (age 12 through 17 years)")
			}
			return sct("410620009", "Well child visit"), bill, "Well child visit"
		}
		switch {
		case age < 40:
			bill = cpt("99395", "Preventive visit, established patient, age 18-39 years")
		case age < 65:
			bill = cpt("99396", "Preventive visit, established patient, age 40-64 years")
		default:
			bill = cpt("99397", "Preventive visit, established patient, age 65 years and older")
		}
		return sct("162673000", "General examination of patient"), bill, "Annual wellness visit"
	case visitFollowUp:
		return sct("390906007", "Follow-up encounter"), cpt("99214", "Office or other outpatient visit, established patient, moderate complexity"), "Follow-up visit"
	case visitAcute:
		return sct("185345009", "Encounter for symptom"), cpt("99213", "Office or other outpatient visit, established patient, low complexity"), "Sick visit"
	case visitEmergency:
		return sct("50849002", "Emergency room admission"), cpt("99284", "Emergency department visit, moderate complexity"), "Emergency department visit"
	}
	return sct("32485007", "Hospital admission"), cpt("99222", "Initial hospital inpatient care, moderate complexity"), "Hospital admission"
}

var (
	reasonAdultExam = icd("Z00.00", "Encounter for general adult medical examination without abnormal findings")
	reasonChildExam = icd("Z00.129", "Encounter for routine child health examination without abnormal findings")
	dischargeHome   = term{sysDischarge, "home", "Home"}
)

// Clinical note types: the US Core DocumentReference types a client must be
// able to find, and the DiagnosticReport note categories.
var (
	notePathology = loinc("11526-1", "Pathology study")
	noteProgress  = loinc("11506-3", "Progress note")
	noteHP        = loinc("34117-2", "History and physical note")
	noteDischarge = loinc("18842-5", "Discharge summary")
	noteConsult   = loinc("11488-4", "Consult note")
	noteProcedure = loinc("28570-0", "Procedure note")
	noteImaging   = loinc("18748-4", "Diagnostic imaging study")
	noteLab       = loinc("11502-2", "Laboratory report")

	catClinicalNote = term{sysDocCategory, "clinical-note", "Clinical Note"}
	catRadiology    = loinc("LP29684-5", "Radiology")
	catCardiology   = loinc("LP29708-2", "Cardiology")
	catPathology    = loinc("LP7839-6", "Pathology")
	catLabReport    = term{sysV2_0074, "LAB", "Laboratory"}
)

// Appointment vocabulary.
var (
	serviceGeneralPractice = term{sysServiceType, "124", "General Practice"}
	apptRoutine            = term{sysApptType, "ROUTINE", "Routine appointment - default if not valued"}
	apptCheckup            = term{sysApptType, "CHECKUP", "A routine check-up, such as an annual physical"}
	apptFollowUp           = term{sysApptType, "FOLLOWUP", "A follow up visit from a previous appointment"}
	cancelPatient          = term{sysApptCancel, "pat", "Patient"}
)
