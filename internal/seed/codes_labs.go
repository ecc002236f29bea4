package seed

// Laboratory tables: LOINC analytes with UCUM units and adult reference
// ranges, grouped into the panels a practice orders.

type labKind uint8

const (
	lWBC labKind = iota
	lRBC
	lHgb
	lHct
	lMCV
	lMCH
	lMCHC
	lPlt
	lGlucose
	lBUN
	lCreat
	lCalcium
	lSodium
	lPotassium
	lChloride
	lCO2
	lProtein
	lAlbumin
	lBilirubin
	lALP
	lALT
	lAST
	lEGFR
	lChol
	lTrig
	lHDL
	lLDL
	lA1c
	lTSH
	lTroponin
	lCOVID
	numLabs
)

// labDef is an analyte. low/high bound the reference range; a side is
// omitted from the range when it is 0 (e.g. LDL has only an upper limit).
type labDef struct {
	loinc     term
	unit      string
	ucum      string
	low, high float64
	prec      int
}

func loinc(code, display string) term { return term{sysLOINC, code, display} }

var labDefs = [numLabs]labDef{
	lWBC:       {loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count"), "10*3/uL", "10*3/uL", 4.5, 11.0, 1},
	lRBC:       {loinc("789-8", "Erythrocytes [#/volume] in Blood by Automated count"), "10*6/uL", "10*6/uL", 4.2, 5.9, 2},
	lHgb:       {loinc("718-7", "Hemoglobin [Mass/volume] in Blood"), "g/dL", "g/dL", 12.0, 17.5, 1},
	lHct:       {loinc("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count"), "%", "%", 36, 50, 1},
	lMCV:       {loinc("787-2", "MCV [Entitic volume] by Automated count"), "fL", "fL", 80, 100, 1},
	lMCH:       {loinc("785-6", "MCH [Entitic mass] by Automated count"), "pg", "pg", 27, 33, 1},
	lMCHC:      {loinc("786-4", "MCHC [Mass/volume] by Automated count"), "g/dL", "g/dL", 32, 36, 1},
	lPlt:       {loinc("777-3", "Platelets [#/volume] in Blood by Automated count"), "10*3/uL", "10*3/uL", 150, 450, 0},
	lGlucose:   {loinc("2345-7", "Glucose [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 70, 99, 0},
	lBUN:       {loinc("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 7, 20, 0},
	lCreat:     {loinc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 0.6, 1.3, 2},
	lCalcium:   {loinc("17861-6", "Calcium [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 8.5, 10.2, 1},
	lSodium:    {loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"), "mmol/L", "mmol/L", 135, 145, 0},
	lPotassium: {loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"), "mmol/L", "mmol/L", 3.5, 5.1, 1},
	lChloride:  {loinc("2075-0", "Chloride [Moles/volume] in Serum or Plasma"), "mmol/L", "mmol/L", 98, 107, 0},
	lCO2:       {loinc("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma"), "mmol/L", "mmol/L", 22, 29, 0},
	lProtein:   {loinc("2885-2", "Protein [Mass/volume] in Serum or Plasma"), "g/dL", "g/dL", 6.0, 8.3, 1},
	lAlbumin:   {loinc("1751-7", "Albumin [Mass/volume] in Serum or Plasma"), "g/dL", "g/dL", 3.5, 5.0, 1},
	lBilirubin: {loinc("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 0.1, 1.2, 1},
	lALP:       {loinc("6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma"), "U/L", "U/L", 44, 147, 0},
	lALT:       {loinc("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"), "U/L", "U/L", 7, 56, 0},
	lAST:       {loinc("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma"), "U/L", "U/L", 10, 40, 0},
	lEGFR:      {loinc("33914-3", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)"), "mL/min/{1.73_m2}", "mL/min/{1.73_m2}", 60, 0, 0},
	lChol:      {loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 0, 200, 0},
	lTrig:      {loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 0, 150, 0},
	lHDL:       {loinc("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma"), "mg/dL", "mg/dL", 40, 0, 0},
	lLDL:       {loinc("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"), "mg/dL", "mg/dL", 0, 100, 0},
	lA1c:       {loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), "%", "%", 4.0, 5.6, 1},
	lTSH:       {loinc("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma"), "m[IU]/L", "m[IU]/L", 0.4, 4.0, 2},
	lTroponin:  {loinc("6598-7", "Troponin T.cardiac [Mass/volume] in Serum or Plasma"), "ng/mL", "ng/mL", 0, 0.01, 3},
	lCOVID:     {loinc("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"), "", "", 0, 0, 0},
}

type panelKind uint8

const (
	lpCBC panelKind = iota
	lpBMP
	lpCMP
	lpLipid
	lpA1c
	lpTSH
	lpTroponin
	lpCOVID
	numPanels
)

// panelDef is an order: its code names the DiagnosticReport, and members
// are the Observations it reports.
type panelDef struct {
	code    term
	members []labKind
}

var panelDefs = [numPanels]panelDef{
	lpCBC:      {loinc("58410-2", "CBC panel - Blood by Automated count"), []labKind{lWBC, lRBC, lHgb, lHct, lMCV, lMCH, lMCHC, lPlt}},
	lpBMP:      {loinc("51990-0", "Basic metabolic panel - Blood"), []labKind{lGlucose, lBUN, lCreat, lCalcium, lSodium, lPotassium, lChloride, lCO2}},
	lpCMP:      {loinc("24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma"), []labKind{lGlucose, lBUN, lCreat, lCalcium, lSodium, lPotassium, lChloride, lCO2, lProtein, lAlbumin, lBilirubin, lALP, lALT, lAST, lEGFR}},
	lpLipid:    {loinc("57698-3", "Lipid panel with direct LDL - Serum or Plasma"), []labKind{lChol, lTrig, lHDL, lLDL}},
	lpA1c:      {loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), []labKind{lA1c}},
	lpTSH:      {loinc("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma"), []labKind{lTSH}},
	lpTroponin: {loinc("6598-7", "Troponin T.cardiac [Mass/volume] in Serum or Plasma"), []labKind{lTroponin}},
	lpCOVID:    {loinc("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"), []labKind{lCOVID}},
}

var (
	interpNormal   = term{sysInterp, "N", "Normal"}
	interpHigh     = term{sysInterp, "H", "High"}
	interpLow      = term{sysInterp, "L", "Low"}
	interpDetected = term{sysInterp, "POS", "Positive"}
	interpNotDet   = term{sysInterp, "NEG", "Negative"}

	resultDetected    = sct("260373001", "Detected")
	resultNotDetected = sct("260415000", "Not detected")
)
