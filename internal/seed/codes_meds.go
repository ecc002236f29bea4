package seed

// Medication table: RxNorm clinical drugs with how they are usually
// prescribed. Every entry is also written once as a shared Medication
// resource; long-term orders point at it, short courses carry the code
// inline, so both US Core medication[x] forms occur.

type medKind uint8

const (
	mLisinopril medKind = iota
	mAmlodipine
	mHCTZ
	mMetformin
	mInsulin
	mAtorvastatin
	mSimvastatin
	mAlbuterol
	mFluticasone
	mFluticasoneSalmeterol
	mSertraline
	mLevothyroxine
	mWarfarin
	mMetoprolol
	mClopidogrel
	mNitroglycerin
	mAspirin
	mFurosemide
	mLoratadine
	mNaproxen
	mAcetaminophen
	mIbuprofen
	mAlendronate
	mMethylphenidate
	mHydrocortisone
	mAmoxicillin
	mAmoxClav
	mPenicillinV
	mAzithromycin
	mCiprofloxacin
	mPhenazopyridine
	numMeds
)

type medDef struct {
	rx       term
	form     term // dose form, empty when not a simple solid form
	sig      string
	dose     float64
	unit     string // dose unit as people say it
	ucum     string
	perDay   int  // administrations per day
	prn      bool // as needed
	route    term
	days     int     // days covered by one fill (course length for short courses)
	quantity float64 // dispensed per fill, in dose units unless medPacks says otherwise
}

func rx(code, display string) term { return term{sysRxNorm, code, display} }

var (
	routeOral    = sct("26643006", "Oral route")
	routeInhaled = sct("447694001", "Respiratory tract route")
	routeSubcut  = sct("34206005", "Subcutaneous route")
	routeTopical = sct("6064005", "Topical route")
	routeSubling = sct("37839007", "Sublingual route")

	formTablet   = sct("385055001", "Tablet")
	formCapsule  = sct("385049006", "Capsule")
	formChewable = sct("66076007", "Chewable tablet")
	formCream    = sct("385101003", "Cream")
)

var medDefs = [numMeds]medDef{
	mLisinopril:            {rx("314076", "lisinopril 10 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth once daily", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mAmlodipine:            {rx("197361", "amlodipine 5 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth once daily", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mHCTZ:                  {rx("310798", "hydrochlorothiazide 25 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every morning", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mMetformin:             {rx("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"), formTablet, "Take 1 tablet by mouth twice daily with meals", 1, "tablet", "{tbl}", 2, false, routeOral, 90, 180},
	mInsulin:               {rx("106892", "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension [Humulin]"), term{}, "Inject 20 units under the skin twice daily before meals", 20, "units", "[IU]", 2, false, routeSubcut, 30, 1},
	mAtorvastatin:          {rx("259255", "atorvastatin 80 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth at bedtime", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mSimvastatin:           {rx("312961", "simvastatin 20 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth in the evening", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mAlbuterol:             {rx("745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"), term{}, "Inhale 2 puffs every 4 to 6 hours as needed for wheezing", 2, "puffs", "{puff}", 4, true, routeInhaled, 30, 1},
	mFluticasone:           {rx("895994", "120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler"), term{}, "Inhale 2 puffs twice daily; rinse mouth after use", 2, "puffs", "{puff}", 2, false, routeInhaled, 30, 1},
	mFluticasoneSalmeterol: {rx("896209", "60 ACTUAT fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler"), term{}, "Inhale 1 puff twice daily", 1, "puff", "{puff}", 2, false, routeInhaled, 30, 1},
	mSertraline:            {rx("312941", "sertraline 50 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth once daily", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mLevothyroxine:         {rx("966222", "levothyroxine sodium 0.075 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every morning on an empty stomach", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mWarfarin:              {rx("855332", "warfarin sodium 5 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth daily or as directed by the anticoagulation clinic", 1, "tablet", "{tbl}", 1, false, routeOral, 30, 30},
	mMetoprolol:            {rx("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet"), formTablet, "Take 1 tablet by mouth once daily", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mClopidogrel:           {rx("309362", "clopidogrel 75 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth once daily", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mNitroglycerin:         {rx("705129", "nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"), term{}, "Spray 1 dose under the tongue at onset of chest pain; may repeat every 5 minutes up to 3 doses", 1, "spray", "{spray}", 3, true, routeSubling, 30, 1},
	mAspirin:               {rx("243670", "aspirin 81 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth once daily", 1, "tablet", "{tbl}", 1, false, routeOral, 30, 30},
	mFurosemide:            {rx("313988", "furosemide 40 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every morning", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mLoratadine:            {rx("665078", "loratadine 5 MG Chewable Tablet"), formChewable, "Chew 1 tablet once daily as needed for allergy symptoms", 1, "tablet", "{tbl}", 1, true, routeOral, 30, 30},
	mNaproxen:              {rx("849574", "naproxen sodium 220 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every 12 hours as needed for pain, with food", 1, "tablet", "{tbl}", 2, true, routeOral, 14, 28},
	mAcetaminophen:         {rx("313782", "acetaminophen 325 MG Oral Tablet"), formTablet, "Take 2 tablets by mouth every 6 hours as needed for pain or fever", 2, "tablets", "{tbl}", 4, true, routeOral, 10, 60},
	mIbuprofen:             {rx("310965", "ibuprofen 200 MG Oral Tablet"), formTablet, "Take 2 tablets by mouth every 8 hours as needed for pain, with food", 2, "tablets", "{tbl}", 3, true, routeOral, 10, 60},
	mAlendronate:           {rx("904419", "alendronic acid 10 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every morning with a full glass of water; stay upright 30 minutes", 1, "tablet", "{tbl}", 1, false, routeOral, 90, 90},
	mMethylphenidate:       {rx("1091392", "methylphenidate hydrochloride 20 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every morning", 1, "tablet", "{tbl}", 1, false, routeOral, 30, 30},
	mHydrocortisone:        {rx("106258", "hydrocortisone 10 MG/ML Topical Cream"), formCream, "Apply a thin layer to affected skin twice daily", 1, "application", "{application}", 2, false, routeTopical, 30, 1},
	mAmoxicillin:           {rx("308182", "amoxicillin 250 MG Oral Capsule"), formCapsule, "Take 2 capsules by mouth twice daily for 10 days", 2, "capsules", "{capsule}", 2, false, routeOral, 10, 40},
	mAmoxClav:              {rx("562251", "amoxicillin 250 MG / clavulanate 125 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth every 8 hours for 10 days", 1, "tablet", "{tbl}", 3, false, routeOral, 10, 30},
	mPenicillinV:           {rx("834061", "penicillin V potassium 250 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth four times daily for 10 days", 1, "tablet", "{tbl}", 4, false, routeOral, 10, 40},
	mAzithromycin:          {rx("308460", "azithromycin 250 MG Oral Tablet"), formTablet, "Take 2 tablets on day 1, then 1 tablet daily on days 2 to 5", 1, "tablet", "{tbl}", 1, false, routeOral, 5, 6},
	mCiprofloxacin:         {rx("309309", "ciprofloxacin 500 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth twice daily for 3 days", 1, "tablet", "{tbl}", 2, false, routeOral, 3, 6},
	mPhenazopyridine:       {rx("1094107", "phenazopyridine hydrochloride 100 MG Oral Tablet"), formTablet, "Take 1 tablet by mouth three times daily for 2 days", 1, "tablet", "{tbl}", 3, false, routeOral, 2, 6},
}

// medPacks names what is dispensed for medicines not counted in doses: an
// inhaler, not 200 puffs; a vial of insulin, not units.
var medPacks = [numMeds]struct{ unit, ucum string }{
	mInsulin:               {"vial", "{vial}"},
	mAlbuterol:             {"inhaler", "{inhaler}"},
	mFluticasone:           {"inhaler", "{inhaler}"},
	mFluticasoneSalmeterol: {"inhaler", "{inhaler}"},
	mNitroglycerin:         {"bottle", "{bottle}"},
	mHydrocortisone:        {"tube", "{tube}"},
}

// longTerm reports whether a medication is refilled for months rather than
// given as a course; such orders reference the shared Medication.
func (d *medDef) longTerm() bool { return d.days >= 30 }
