package seed

// Tables for the shared resources: the practice's organisations, its kinds
// of clinicians, and the insurers patients are covered by. All names are
// invented.

const (
	practiceName = "Northstar Community Health"
	hospitalName = "Northstar Regional Medical Center"
	labName      = "Northstar Reference Laboratory"
	emailDomain  = "northstar.example.org"
)

var (
	orgProvider = term{sysOrgType, "prov", "Healthcare Provider"}
	orgPayer    = term{sysOrgType, "pay", "Payer"}

	locClinic    = term{sysRoleCode, "FMC", "Family Medicine Clinic"}
	locER        = term{sysRoleCode, "ER", "Emergency room"}
	locWard      = term{sysRoleCode, "HU", "Hospital unit"}
	physBuilding = term{sysLocPhysical, "bu", "Building"}
	physWard     = term{sysLocPhysical, "wa", "Ward"}
	physRoom     = term{sysLocPhysical, "ro", "Room"}

	roleDoctor = term{sysPracRole, "doctor", "Doctor"}
	roleNurse  = term{sysPracRole, "nurse", "Nurse"}

	qualMD = term{sysV2_0360, "MD", "Doctor of Medicine"}
	qualDO = term{sysV2_0360, "DO", "Doctor of Osteopathy"}
	qualNP = term{sysV2_0360, "NP", "Nurse Practitioner"}
	qualRN = term{sysV2_0360, "RN", "Registered Nurse"}

	careRolePatient = sct("116154003", "Patient")
)

// siteKind is one of the three sites every metro has.
type siteKind uint8

const (
	siteClinic siteKind = iota
	siteED
	siteWard
	sitesPerMetro
)

type pracKind uint8

const (
	// One of each per metro, in this order.
	pkFamily pracKind = iota
	pkFamilyDO
	pkInternal
	pkNP
	pkPediatrics
	pkEmergency
	pkHospitalist
	pkNurse
	perMetro
)

// Network specialists, one each, serving every metro.
const (
	pkCardiology pracKind = perMetro + iota
	pkRadiology
	pkPathology
	pkGastro
	pkOrtho
	numPracKinds
)

type pracDef struct {
	specialty term // NUCC taxonomy
	role      term
	qual      term
	suffix    string
	careRole  term // SNOMED CT role in a care team
	hospital  bool // works for the hospital rather than the practice
	site      siteKind
}

func nucc(code, display string) term { return term{sysNUCC, code, display} }

var pracDefs = [numPracKinds]pracDef{
	pkFamily:      {nucc("207Q00000X", "Family Medicine"), roleDoctor, qualMD, "MD", sct("446050000", "Primary care physician"), false, siteClinic},
	pkFamilyDO:    {nucc("207Q00000X", "Family Medicine"), roleDoctor, qualDO, "DO", sct("446050000", "Primary care physician"), false, siteClinic},
	pkInternal:    {nucc("207R00000X", "Internal Medicine"), roleDoctor, qualMD, "MD", sct("446050000", "Primary care physician"), false, siteClinic},
	pkNP:          {nucc("363LF0000X", "Nurse Practitioner, Family"), roleNurse, qualNP, "NP", sct("224571005", "Nurse practitioner"), false, siteClinic},
	pkPediatrics:  {nucc("208000000X", "Pediatrics"), roleDoctor, qualMD, "MD", sct("82296001", "Pediatrician"), false, siteClinic},
	pkEmergency:   {nucc("207P00000X", "Emergency Medicine"), roleDoctor, qualMD, "MD", sct("309294001", "Emergency department physician"), true, siteED},
	pkHospitalist: {nucc("208M00000X", "Hospitalist"), roleDoctor, qualMD, "MD", sct("309343006", "Physician"), true, siteWard},
	pkNurse:       {nucc("163W00000X", "Registered Nurse"), roleNurse, qualRN, "RN", sct("224535009", "Registered nurse"), false, siteClinic},
	pkCardiology:  {nucc("207RC0000X", "Cardiovascular Disease"), roleDoctor, qualMD, "MD", sct("17561000", "Cardiologist"), true, siteClinic},
	pkRadiology:   {nucc("2085R0202X", "Diagnostic Radiology"), roleDoctor, qualMD, "MD", sct("66862007", "Radiologist"), true, siteWard},
	pkPathology:   {nucc("207ZP0102X", "Anatomic Pathology & Clinical Pathology"), roleDoctor, qualMD, "MD", sct("81464008", "Clinical pathologist"), true, siteWard},
	pkGastro:      {nucc("207RG0100X", "Gastroenterology"), roleDoctor, qualMD, "MD", sct("309343006", "Physician"), true, siteClinic},
	pkOrtho:       {nucc("207X00000X", "Orthopaedic Surgery"), roleDoctor, qualDO, "DO", sct("309343006", "Physician"), true, siteWard},
}

type payerKind uint8

const (
	payMedicare payerKind = iota
	payMedicaid
	payPrivate
)

type insurerDef struct {
	name  string
	kind  payerKind
	sopt  term
	plans [2]string
}

var insurerDefs = [...]insurerDef{
	{"Medicare", payMedicare, term{sysSOPT, "1", "MEDICARE"}, [2]string{"Medicare Part A and B", "Medicare Advantage PPO"}},
	{"State Medicaid Program", payMedicaid, term{sysSOPT, "2", "MEDICAID"}, [2]string{"Medicaid Managed Care", "Children's Health Insurance Program"}},
	{"Bluestem Health Plan", payPrivate, term{sysSOPT, "5", "PRIVATE HEALTH INSURANCE"}, [2]string{"Bluestem Gold PPO", "Bluestem Silver HMO"}},
	{"Harbor Mutual Health", payPrivate, term{sysSOPT, "5", "PRIVATE HEALTH INSURANCE"}, [2]string{"Harbor Choice PPO", "Harbor Basic HMO"}},
	{"Summit Assurance Health", payPrivate, term{sysSOPT, "5", "PRIVATE HEALTH INSURANCE"}, [2]string{"Summit Premier PPO", "Summit Value EPO"}},
	{"Keystone Benefit Health Plan", payPrivate, term{sysSOPT, "5", "PRIVATE HEALTH INSURANCE"}, [2]string{"Keystone Open Access", "Keystone HDHP"}},
}

var (
	relSelf   = term{sysSubscriber, "self", "Self"}
	relSpouse = term{sysSubscriber, "spouse", "Spouse"}
	relChild  = term{sysSubscriber, "child", "Child"}
	clsGroup  = term{sysCovClass, "group", "Group"}
	clsPlan   = term{sysCovClass, "plan", "Plan"}
	memberNo  = term{sysV2_0203, "MB", "Member Number"}
	mrnType   = term{sysV2_0203, "MR", "Medical Record Number"}
	ssnType   = term{sysV2_0203, "SS", "Social Security number"}
)
