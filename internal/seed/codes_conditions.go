package seed

// Condition tables: chronic problems a patient carries on the problem list
// and acute problems diagnosed at a visit. Each has its SNOMED CT concept
// and the ICD-10-CM code a US practice bills with.

type chronicKind uint8

const (
	cHTN chronicKind = iota
	cHLD
	cT2DM
	cPreDM
	cObesity
	cAsthma
	cCOPD
	cDepression
	cAnxiety
	cOAKnee
	cHypothyroid
	cCKD3
	cAFib
	cCAD
	cHF
	cGERD
	cMigraine
	cRhinitis
	cADHD
	cEczema
	cOsteoporosis
	cBackPain
	numChronic
)

type chronicDef struct {
	snomed, icd term
	minOnset    int         // youngest age at onset
	meds        []medKind   // medications it is treated with, first line first
	labs        []panelKind // panels ordered at its follow-up visits
	goal        goalKind    // goal set for it, or gNone
	activity    term        // care plan activity addressing it
}

func sct(code, display string) term { return term{sysSNOMED, code, display} }
func icd(code, display string) term { return term{sysICD10, code, display} }

var chronicDefs = [numChronic]chronicDef{
	cHTN: {sct("59621000", "Essential hypertension"), icd("I10", "Essential (primary) hypertension"), 25,
		[]medKind{mLisinopril, mAmlodipine, mHCTZ}, []panelKind{lpBMP}, gBloodPressure,
		sct("443402002", "Lifestyle education regarding hypertension")},
	cHLD: {sct("55822004", "Hyperlipidemia"), icd("E78.5", "Hyperlipidemia, unspecified"), 30,
		[]medKind{mAtorvastatin, mSimvastatin}, []panelKind{lpLipid}, gLDL,
		sct("226234005", "Healthy diet")},
	cT2DM: {sct("44054006", "Diabetes mellitus type 2"), icd("E11.9", "Type 2 diabetes mellitus without complications"), 30,
		[]medKind{mMetformin, mInsulin}, []panelKind{lpA1c, lpCMP}, gA1c,
		sct("698360004", "Diabetes self management plan")},
	cPreDM: {sct("714628002", "Prediabetes"), icd("R73.03", "Prediabetes"), 25,
		nil, []panelKind{lpA1c}, gWeightLoss,
		sct("229065009", "Exercise therapy")},
	cObesity: {sct("414916001", "Obesity"), icd("E66.9", "Obesity, unspecified"), 18,
		nil, nil, gWeightLoss,
		sct("229065009", "Exercise therapy")},
	cAsthma: {sct("195967001", "Asthma"), icd("J45.909", "Unspecified asthma, uncomplicated"), 2,
		[]medKind{mAlbuterol, mFluticasone}, nil, gNone,
		sct("409073007", "Education")},
	cCOPD: {sct("13645005", "Chronic obstructive lung disease"), icd("J44.9", "Chronic obstructive pulmonary disease, unspecified"), 45,
		[]medKind{mFluticasoneSalmeterol, mAlbuterol}, nil, gNone,
		sct("710081004", "Smoking cessation therapy")},
	cDepression: {sct("370143000", "Major depressive disorder"), icd("F32.9", "Major depressive disorder, single episode, unspecified"), 14,
		[]medKind{mSertraline}, nil, gNone,
		sct("228557008", "Cognitive and behavioral therapy")},
	cAnxiety: {sct("21897009", "Generalized anxiety disorder"), icd("F41.1", "Generalized anxiety disorder"), 14,
		[]medKind{mSertraline}, nil, gNone,
		sct("228557008", "Cognitive and behavioral therapy")},
	cOAKnee: {sct("239873007", "Osteoarthritis of knee"), icd("M17.9", "Osteoarthritis of knee, unspecified"), 45,
		[]medKind{mAcetaminophen, mNaproxen}, nil, gNone,
		sct("229065009", "Exercise therapy")},
	cHypothyroid: {sct("40930008", "Hypothyroidism"), icd("E03.9", "Hypothyroidism, unspecified"), 20,
		[]medKind{mLevothyroxine}, []panelKind{lpTSH}, gNone,
		sct("409073007", "Education")},
	cCKD3: {sct("433144002", "Chronic kidney disease stage 3"), icd("N18.30", "Chronic kidney disease, stage 3 unspecified"), 50,
		[]medKind{mLisinopril}, []panelKind{lpCMP}, gNone,
		sct("409073007", "Education")},
	cAFib: {sct("49436004", "Atrial fibrillation"), icd("I48.91", "Unspecified atrial fibrillation"), 55,
		[]medKind{mWarfarin, mMetoprolol}, nil, gNone,
		sct("409073007", "Education")},
	cCAD: {sct("53741008", "Coronary arteriosclerosis"), icd("I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris"), 45,
		[]medKind{mClopidogrel, mNitroglycerin}, []panelKind{lpLipid}, gLDL,
		sct("229065009", "Exercise therapy")},
	cHF: {sct("84114007", "Heart failure"), icd("I50.9", "Heart failure, unspecified"), 55,
		[]medKind{mFurosemide, mMetoprolol}, []panelKind{lpBMP}, gNone,
		sct("409073007", "Education")},
	cGERD: {sct("235595009", "Gastroesophageal reflux disease"), icd("K21.9", "Gastro-esophageal reflux disease without esophagitis"), 18,
		nil, nil, gNone,
		sct("409073007", "Education")},
	cMigraine: {sct("37796009", "Migraine"), icd("G43.909", "Migraine, unspecified, not intractable, without status migrainosus"), 12,
		[]medKind{mNaproxen}, nil, gNone,
		sct("409073007", "Education")},
	cRhinitis: {sct("61582004", "Allergic rhinitis"), icd("J30.9", "Allergic rhinitis, unspecified"), 3,
		[]medKind{mLoratadine}, nil, gNone,
		sct("409073007", "Education")},
	cADHD: {sct("406506008", "Attention deficit hyperactivity disorder"), icd("F90.9", "Attention-deficit hyperactivity disorder, unspecified type"), 5,
		[]medKind{mMethylphenidate}, nil, gNone,
		sct("228557008", "Cognitive and behavioral therapy")},
	cEczema: {sct("24079001", "Atopic dermatitis"), icd("L20.9", "Atopic dermatitis, unspecified"), 0,
		[]medKind{mHydrocortisone}, nil, gNone,
		sct("409073007", "Education")},
	cOsteoporosis: {sct("64859006", "Osteoporosis"), icd("M81.0", "Age-related osteoporosis without current pathological fracture"), 55,
		[]medKind{mAlendronate}, nil, gNone,
		sct("229065009", "Exercise therapy")},
	cBackPain: {sct("278860009", "Chronic low back pain"), icd("M54.50", "Low back pain, unspecified"), 25,
		[]medKind{mNaproxen, mAcetaminophen}, nil, gNone,
		sct("229065009", "Exercise therapy")},
}

// prevalence is the chance that a person of this age and sex has the
// condition by now: rough US figures, enough for a panel that looks right.
func prevalence(c chronicKind, age int, male bool) float64 {
	switch c {
	case cHTN:
		return band(age, 0.01, 0.08, 0.33, 0.62)
	case cHLD:
		return band(age, 0, 0.06, 0.28, 0.45)
	case cT2DM:
		return band(age, 0.002, 0.03, 0.13, 0.24)
	case cPreDM:
		return band(age, 0.01, 0.15, 0.25, 0.25)
	case cAsthma:
		return 0.08
	case cCOPD:
		return band(age, 0, 0.005, 0.05, 0.10)
	case cDepression:
		return band(age, 0.03, 0.09, 0.08, 0.06) * sexRatio(male, 0.7, 1.3)
	case cAnxiety:
		return band(age, 0.04, 0.09, 0.07, 0.05) * sexRatio(male, 0.7, 1.3)
	case cOAKnee:
		return band(age, 0, 0.01, 0.12, 0.25)
	case cHypothyroid:
		return band(age, 0.002, 0.03, 0.07, 0.12) * sexRatio(male, 0.3, 1.7)
	case cCKD3:
		return band(age, 0, 0.005, 0.04, 0.16)
	case cAFib:
		return band(age, 0, 0, 0.015, 0.09) * sexRatio(male, 1.2, 0.8)
	case cCAD:
		return band(age, 0, 0.005, 0.06, 0.16) * sexRatio(male, 1.3, 0.7)
	case cHF:
		return band(age, 0, 0, 0.01, 0.06)
	case cGERD:
		return band(age, 0.005, 0.08, 0.12, 0.14)
	case cMigraine:
		return band(age, 0.02, 0.10, 0.07, 0.03) * sexRatio(male, 0.4, 1.6)
	case cRhinitis:
		return band(age, 0.10, 0.15, 0.12, 0.08)
	case cADHD:
		if age >= 5 && age < 18 {
			return 0.09 * sexRatio(male, 1.4, 0.6)
		}
		if age >= 18 && age < 40 {
			return 0.03
		}
		return 0
	case cEczema:
		return band(age, 0.10, 0.03, 0.02, 0.02)
	case cOsteoporosis:
		return band(age, 0, 0, 0.03, 0.15) * sexRatio(male, 0.3, 1.7)
	case cBackPain:
		return band(age, 0, 0.05, 0.10, 0.10)
	}
	return 0 // obesity follows from the body mass index instead
}

// band picks a rate for children (<18), adults (18-44), middle age (45-64)
// and the elderly.
func band(age int, child, adult, middle, old float64) float64 {
	switch {
	case age < 18:
		return child
	case age < 45:
		return adult
	case age < 65:
		return middle
	}
	return old
}

func sexRatio(male bool, m, f float64) float64 {
	if male {
		return m
	}
	return f
}

type acuteKind uint8

const (
	aViralPharyngitis acuteKind = iota
	aStrep
	aBronchitis
	aSinusitis
	aOtitis
	aUTI
	aSprain
	aBack
	aGastro
	aCOVID
	aChestPain
	aLaceration
	aConcussion
	aPneumonia
	numAcute
)

type acuteDef struct {
	snomed, icd term
	minAge      int
	fever       bool
	days        int       // typical duration until resolved
	meds        []medKind // prescribed at the visit
	procs       []procKind
	labs        []panelKind
	symptom     string // presenting complaint for the note
}

var acuteDefs = [numAcute]acuteDef{
	aViralPharyngitis: {sct("195662009", "Acute viral pharyngitis"), icd("J02.9", "Acute pharyngitis, unspecified"), 2, true, 7,
		[]medKind{mAcetaminophen}, nil, nil, "sore throat and low-grade fever"},
	aStrep: {sct("43878008", "Streptococcal sore throat"), icd("J02.0", "Streptococcal pharyngitis"), 3, true, 10,
		[]medKind{mPenicillinV}, []procKind{pThroatCulture}, nil, "sore throat, fever and painful swallowing"},
	aBronchitis: {sct("10509002", "Acute bronchitis"), icd("J20.9", "Acute bronchitis, unspecified"), 1, false, 14,
		[]medKind{mAcetaminophen}, nil, nil, "productive cough for one week"},
	aSinusitis: {sct("444814009", "Viral sinusitis"), icd("J01.90", "Acute sinusitis, unspecified"), 4, false, 10,
		[]medKind{mAmoxClav}, nil, nil, "facial pressure and nasal congestion"},
	aOtitis: {sct("65363002", "Otitis media"), icd("H66.90", "Otitis media, unspecified, unspecified ear"), 0, true, 10,
		[]medKind{mAmoxicillin}, nil, nil, "ear pain and fever"},
	aUTI: {sct("68566005", "Urinary tract infectious disease"), icd("N39.0", "Urinary tract infection, site not specified"), 16, false, 7,
		[]medKind{mCiprofloxacin, mPhenazopyridine}, nil, nil, "dysuria and urinary frequency"},
	aSprain: {sct("44465007", "Sprain of ankle"), icd("S93.409A", "Sprain of unspecified ligament of unspecified ankle, initial encounter"), 6, false, 21,
		[]medKind{mIbuprofen}, nil, nil, "ankle pain and swelling after a fall"},
	aBack: {sct("278862001", "Acute low back pain"), icd("M54.50", "Low back pain, unspecified"), 18, false, 28,
		[]medKind{mNaproxen}, nil, nil, "low back pain after lifting"},
	aGastro: {sct("25374005", "Gastroenteritis"), icd("K52.9", "Noninfective gastroenteritis and colitis, unspecified"), 0, false, 5,
		nil, nil, []panelKind{lpBMP}, "vomiting and diarrhea for two days"},
	aCOVID: {sct("840539006", "COVID-19"), icd("U07.1", "COVID-19"), 0, true, 14,
		[]medKind{mAcetaminophen}, nil, []panelKind{lpCOVID}, "fever, cough and fatigue"},
	aChestPain: {sct("29857009", "Chest pain"), icd("R07.9", "Chest pain, unspecified"), 30, false, 2,
		[]medKind{mAspirin}, []procKind{pECG, pChestXray}, []panelKind{lpCBC, lpBMP, lpTroponin}, "substernal chest pressure"},
	aLaceration: {sct("284551006", "Laceration of forearm"), icd("S51.819A", "Laceration without foreign body of unspecified forearm, initial encounter"), 3, false, 14,
		[]medKind{mAcetaminophen}, []procKind{pSuture}, nil, "a cut on the forearm"},
	aConcussion: {sct("110030002", "Concussion injury of brain"), icd("S06.0X0A", "Concussion without loss of consciousness, initial encounter"), 5, false, 21,
		[]medKind{mAcetaminophen}, nil, nil, "headache after a head injury"},
	aPneumonia: {sct("385093006", "Community acquired pneumonia"), icd("J18.9", "Pneumonia, unspecified organism"), 0, true, 21,
		[]medKind{mAzithromycin}, []procKind{pChestXray}, []panelKind{lpCBC, lpBMP}, "fever, productive cough and shortness of breath"},
}

// Visit settings choose acute problems from these lists.
var (
	officeAcute    = [...]acuteKind{aViralPharyngitis, aStrep, aBronchitis, aSinusitis, aOtitis, aUTI, aSprain, aBack, aGastro, aCOVID}
	emergencyAcute = [...]acuteKind{aChestPain, aLaceration, aConcussion, aSprain, aGastro}
	inpatientAcute = [...]acuteKind{aPneumonia, aPneumonia, aCOVID}
)
