package seed

// Tables for immunizations, procedures, devices, allergies and goals.

type vaccineKind uint8

const (
	vxHepBPed vaccineKind = iota
	vxRota
	vxDTaP
	vxHib
	vxPCV13
	vxIPV
	vxMMR
	vxVaricella
	vxHepA
	vxTdap
	vxHPV
	vxMenACWY
	vxFlu
	vxZoster
	vxPPSV23
	vxCOVID
	numVaccines
)

type vaccineDef struct {
	cvx   term
	route term
	ml    float64
}

func cvx(code, display string) term { return term{sysCVX, code, display} }

var (
	routeIM   = term{sysRoute, "IM", "Injection, intramuscular"}
	routeSC   = term{sysRoute, "SC", "Injection, subcutaneous"}
	routePO   = term{sysRoute, "PO", "Swallow, oral"}
	siteLArm  = term{sysActSite, "LA", "left arm"}
	siteRArm  = term{sysActSite, "RA", "right arm"}
	siteLThi  = term{sysActSite, "LT", "left thigh"}
	siteRThi  = term{sysActSite, "RT", "right thigh"}
	immOrigin = term{sysImmOrigin, "record", "Written Record"}
	refusal   = term{sysActReason, "PATOBJ", "patient objection"}
	adminRole = term{sysV2_0443, "AP", "Administering Provider"}
)

var vaccineDefs = [numVaccines]vaccineDef{
	vxHepBPed:   {cvx("08", "Hep B, adolescent or pediatric"), routeIM, 0.5},
	vxRota:      {cvx("116", "rotavirus, pentavalent"), routePO, 2},
	vxDTaP:      {cvx("20", "DTaP"), routeIM, 0.5},
	vxHib:       {cvx("49", "Hib (PRP-OMP)"), routeIM, 0.5},
	vxPCV13:     {cvx("133", "Pneumococcal conjugate PCV 13"), routeIM, 0.5},
	vxIPV:       {cvx("10", "IPV"), routeIM, 0.5},
	vxMMR:       {cvx("03", "MMR"), routeSC, 0.5},
	vxVaricella: {cvx("21", "varicella"), routeSC, 0.5},
	vxHepA:      {cvx("83", "Hep A, ped/adol, 2 dose"), routeIM, 0.5},
	vxTdap:      {cvx("115", "Tdap"), routeIM, 0.5},
	vxHPV:       {cvx("165", "HPV9"), routeIM, 0.5},
	vxMenACWY:   {cvx("114", "meningococcal MCV4P"), routeIM, 0.5},
	vxFlu:       {cvx("140", "Influenza, seasonal, injectable, preservative free"), routeIM, 0.5},
	vxZoster:    {cvx("187", "zoster recombinant"), routeIM, 0.5},
	vxPPSV23:    {cvx("33", "pneumococcal polysaccharide PPV23"), routeIM, 0.5},
	vxCOVID:     {cvx("208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"), routeIM, 0.3},
}

// childDose is one dose of the childhood schedule, due at an age in days.
type childDose struct {
	vx  vaccineKind
	age int
}

// childSchedule follows the CDC routine schedule closely enough for a demo;
// its length must stay within 64 (doses given are a bit set).
var childSchedule = [...]childDose{
	{vxHepBPed, 0}, {vxHepBPed, 30}, {vxHepBPed, 183},
	{vxRota, 61}, {vxRota, 122}, {vxRota, 183},
	{vxDTaP, 61}, {vxDTaP, 122}, {vxDTaP, 183}, {vxDTaP, 456}, {vxDTaP, 1461},
	{vxHib, 61}, {vxHib, 122}, {vxHib, 365},
	{vxPCV13, 61}, {vxPCV13, 122}, {vxPCV13, 183}, {vxPCV13, 365},
	{vxIPV, 61}, {vxIPV, 122}, {vxIPV, 183}, {vxIPV, 1461},
	{vxMMR, 365}, {vxMMR, 1461},
	{vxVaricella, 365}, {vxVaricella, 1461},
	{vxHepA, 365}, {vxHepA, 548},
	{vxTdap, 4018}, {vxHPV, 4018}, {vxHPV, 4200},
	{vxMenACWY, 4018}, {vxMenACWY, 5844},
}

type procKind uint8

const (
	pMedRecon procKind = iota
	pDepressionScreen
	pColonoscopy
	pMammography
	pChestXray
	pECG
	pSuture
	pThroatCulture
	pHipReplacement
	pPCI
	pPacemaker
	pICD
	numProcs
)

type procDef struct {
	snomed, cpt term // cpt may be empty
	minutes     int
}

var procDefs = [numProcs]procDef{
	pMedRecon:         {sct("430193006", "Medication reconciliation"), term{}, 10},
	pDepressionScreen: {sct("171207006", "Depression screening"), term{}, 10},
	pColonoscopy:      {sct("73761001", "Colonoscopy"), cpt("45378", "Colonoscopy, flexible; diagnostic"), 45},
	pMammography:      {sct("24623002", "Screening mammography"), cpt("77067", "Screening mammography, bilateral"), 20},
	pChestXray:        {sct("399208008", "Plain chest X-ray"), cpt("71046", "Radiologic examination, chest; 2 views"), 15},
	pECG:              {sct("29303009", "Electrocardiographic procedure"), cpt("93000", "Electrocardiogram, routine ECG with at least 12 leads; with interpretation and report"), 10},
	pSuture:           {sct("288086009", "Suture open wound"), cpt("12002", "Simple repair of superficial wounds; 2.6 cm to 7.5 cm"), 30},
	pThroatCulture:    {sct("117015009", "Throat culture"), term{}, 5},
	pHipReplacement:   {sct("52734007", "Total replacement of hip"), cpt("27130", "Total hip arthroplasty"), 150},
	pPCI:              {sct("415070008", "Percutaneous coronary intervention"), cpt("92928", "Percutaneous transcatheter placement of intracoronary stent(s), single major coronary artery"), 90},
	pPacemaker:        {sct("307280005", "Implantation of cardiac pacemaker"), cpt("33208", "Insertion of permanent pacemaker with transvenous electrodes; atrial and ventricular"), 90},
	pICD:              {sct("395218007", "Implantation of internal cardiac defibrillator"), cpt("33249", "Insertion or replacement of permanent implantable defibrillator system"), 120},
}

type deviceKind uint8

const (
	dStent deviceKind = iota
	dPacemaker
	dICD
	dHip
	numDevices
)

type deviceDef struct {
	snomed       term
	name         string
	manufacturer string
	model        string
	gtin         string // 13 digits; the check digit is computed
	implant      procKind
}

var deviceDefs = [numDevices]deviceDef{
	dStent:     {sct("705643001", "Coronary artery stent"), "Drug-eluting coronary stent", "Meridian Cardiac Systems", "MCS-DES 3.0", "0084458800328", pPCI},
	dPacemaker: {sct("706004007", "Implantable cardiac pacemaker"), "Dual-chamber pacemaker", "Meridian Cardiac Systems", "MCS-DR2", "0084458800731", pPacemaker},
	dICD:       {sct("72506001", "Implantable defibrillator"), "Implantable cardioverter-defibrillator", "Meridian Cardiac Systems", "MCS-ICD4", "0084458801240", pICD},
	dHip:       {sct("304120007", "Total hip replacement prosthesis"), "Total hip prosthesis", "Keystone Orthopedics", "KO-THA 52", "0088777100215", pHipReplacement},
}

type allergyKind uint8

const (
	alNone allergyKind = iota // no known allergy
	alPenicillin
	alSulfa
	alAspirin
	alCodeine
	alIbuprofen
	alPeanut
	alEgg
	alMilk
	alLatex
	alBee
	alGrass
	alDustMite
	alDander
	numAllergies
)

type allergyDef struct {
	code        term
	category    string // medication, food, environment
	intolerance bool
	high        bool // high criticality
	reactions   []term
}

var (
	rxHives       = sct("247472004", "Wheal")
	rxRash        = sct("271807003", "Eruption of skin")
	rxAnaphylaxis = sct("39579001", "Anaphylaxis")
	rxDyspnea     = sct("267036007", "Dyspnea")
	rxNausea      = sct("422587007", "Nausea")
	rxItching     = sct("418290006", "Itching")
	rxSneezing    = sct("76067001", "Sneezing")
	rxRhinitis    = sct("70076002", "Rhinitis")
	rxSwelling    = sct("267038008", "Edema")
)

var allergyDefs = [numAllergies]allergyDef{
	alNone:       {sct("716186003", "No known allergy"), "", false, false, nil},
	alPenicillin: {rx("70618", "penicillin"), "medication", false, true, []term{rxHives, rxRash, rxAnaphylaxis}},
	alSulfa:      {rx("10180", "sulfamethoxazole"), "medication", false, false, []term{rxRash, rxItching}},
	alAspirin:    {rx("1191", "aspirin"), "medication", false, false, []term{rxHives, rxDyspnea}},
	alCodeine:    {rx("2670", "codeine"), "medication", true, false, []term{rxNausea, rxItching}},
	alIbuprofen:  {rx("5640", "ibuprofen"), "medication", false, false, []term{rxHives, rxSwelling}},
	alPeanut:     {sct("256349002", "Peanut - dietary"), "food", false, true, []term{rxHives, rxSwelling, rxAnaphylaxis}},
	alEgg:        {sct("102263004", "Eggs (edible)"), "food", false, false, []term{rxHives, rxRash}},
	alMilk:       {sct("3718001", "Cow's milk"), "food", true, false, []term{rxNausea}},
	alLatex:      {sct("111088007", "Latex"), "environment", false, false, []term{rxRash, rxItching}},
	alBee:        {sct("288328004", "Bee venom"), "environment", false, true, []term{rxSwelling, rxAnaphylaxis}},
	alGrass:      {sct("256277009", "Grass pollen"), "environment", false, false, []term{rxSneezing, rxRhinitis}},
	alDustMite:   {sct("260147004", "House dust mite"), "environment", false, false, []term{rxSneezing, rxRhinitis}},
	alDander:     {sct("264287008", "Animal dander"), "environment", false, false, []term{rxSneezing, rxItching}},
}

type goalKind uint8

const (
	gNone goalKind = iota
	gBloodPressure
	gA1c
	gLDL
	gWeightLoss
	numGoals
)

type goalDef struct {
	text    string
	measure term
	// detail: a quantity with comparator when unit is set, else a string.
	comparator string
	value      float64
	prec       int
	unit, ucum string
	detail     string
}

var goalDefs = [numGoals]goalDef{
	gBloodPressure: {text: "Blood pressure below 140/90 mmHg", measure: loinc("85354-9", "Blood pressure panel with all children optional"), detail: "Below 140/90 mmHg"},
	gA1c:           {text: "Hemoglobin A1c below 7.0%", measure: loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), comparator: "<", value: 7.0, prec: 1, unit: "%", ucum: "%"},
	gLDL:           {text: "LDL cholesterol below 100 mg/dL", measure: loinc("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"), comparator: "<", value: 100, prec: 0, unit: "mg/dL", ucum: "mg/dL"},
	gWeightLoss:    {text: "Lose 5% of body weight through diet and exercise", measure: loinc("29463-7", "Body weight"), detail: "5% reduction from baseline"},
}

var (
	goalInProgress = term{sysGoalAchieve, "in-progress", "In Progress"}
	goalAchieved   = term{sysGoalAchieve, "achieved", "Achieved"}
	goalImproving  = term{sysGoalAchieve, "improving", "Improving"}
)
