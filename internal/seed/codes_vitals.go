package seed

// Vital signs as US Core profiles them: LOINC code, UCUM unit and the
// precision a device reports.

type vitalKind uint8

const (
	vPanel vitalKind = iota
	vHeartRate
	vRespRate
	vTemp
	vHeight
	vWeight
	vBMI
	vBP
	vSpO2
	vHead
	vBMIPct
	vWeightLengthPct
	vHeadPct
	numVitals
)

type vitalDef struct {
	code, alt  term // alt: a second coding some profiles require
	text       string
	unit, ucum string
	prec       int
}

var vitalDefs = [numVitals]vitalDef{
	vPanel:           {loinc("85353-1", "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel"), term{}, "Vital signs panel", "", "", 0},
	vHeartRate:       {loinc("8867-4", "Heart rate"), term{}, "Heart rate", "beats/minute", "/min", 0},
	vRespRate:        {loinc("9279-1", "Respiratory rate"), term{}, "Respiratory rate", "breaths/minute", "/min", 0},
	vTemp:            {loinc("8310-5", "Body temperature"), term{}, "Body temperature", "Cel", "Cel", 1},
	vHeight:          {loinc("8302-2", "Body height"), term{}, "Body height", "cm", "cm", 1},
	vWeight:          {loinc("29463-7", "Body weight"), term{}, "Body weight", "kg", "kg", 1},
	vBMI:             {loinc("39156-5", "Body mass index (BMI) [Ratio]"), term{}, "Body mass index", "kg/m2", "kg/m2", 1},
	vBP:              {loinc("85354-9", "Blood pressure panel with all children optional"), term{}, "Blood pressure", "mmHg", "mm[Hg]", 0},
	vSpO2:            {loinc("2708-6", "Oxygen saturation in Arterial blood"), loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"), "Oxygen saturation", "%", "%", 0},
	vHead:            {loinc("9843-4", "Head Occipital-frontal circumference"), term{}, "Head circumference", "cm", "cm", 1},
	vBMIPct:          {loinc("59576-9", "Body mass index (BMI) [Percentile] Per age and sex"), term{}, "BMI percentile for age", "%", "%", 1},
	vWeightLengthPct: {loinc("77606-2", "Weight-for-length Per age and sex"), term{}, "Weight-for-length percentile", "%", "%", 1},
	vHeadPct:         {loinc("8289-1", "Head Occipital-frontal circumference Percentile"), term{}, "Head circumference percentile", "%", "%", 1},
}

var (
	bpSystolic  = loinc("8480-6", "Systolic blood pressure")
	bpDiastolic = loinc("8462-4", "Diastolic blood pressure")

	catVitalSigns = term{sysObsCategory, "vital-signs", "Vital Signs"}
	catLaboratory = term{sysObsCategory, "laboratory", "Laboratory"}
	catSocial     = term{sysObsCategory, "social-history", "Social History"}

	smokingStatus = loinc("72166-2", "Tobacco smoking status")
	alcoholPerDay = loinc("74013-4", "Alcoholic drinks per day")
)

// Smoking status answers (US Core smoking status value set).
type smokeKind uint8

const (
	smokeNever smokeKind = iota
	smokeFormer
	smokeDaily
	smokeSome
)

var smokeAnswers = [...]term{
	smokeNever:  sct("266919005", "Never smoked tobacco"),
	smokeFormer: sct("8517006", "Ex-smoker"),
	smokeDaily:  sct("449868002", "Smokes tobacco daily"),
	smokeSome:   sct("428041000124106", "Occasional tobacco smoker"),
}

// Growth references (sex-specific medians by age in years, after the CDC
// and WHO charts), used to give children plausible heights and weights.
var (
	growthAges     = [...]float64{0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20}
	heightMedianM  = [...]float64{50.0, 61.4, 67.6, 72.0, 75.7, 82.3, 87.8, 96.1, 103.3, 110.0, 116.0, 121.7, 127.3, 132.6, 137.8, 143.1, 149.1, 156.2, 163.2, 169.0, 172.9, 175.2, 176.1, 176.8}
	heightMedianF  = [...]float64{49.3, 59.8, 65.7, 70.1, 74.0, 80.7, 86.4, 95.0, 102.5, 109.2, 115.5, 121.1, 126.6, 132.2, 138.3, 144.8, 151.1, 156.4, 159.8, 161.7, 162.5, 162.9, 163.1, 163.3}
	bmiMedian      = [...]float64{13.4, 16.6, 17.3, 17.3, 17.2, 16.7, 16.4, 15.9, 15.6, 15.4, 15.4, 15.6, 16.0, 16.5, 17.0, 17.6, 18.2, 18.9, 19.5, 20.2, 20.7, 21.3, 21.8, 22.6}
	headAges       = [...]float64{0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3}
	headMedian     = [...]float64{34.5, 40.5, 43.3, 45.0, 46.1, 47.4, 48.3, 49.5}
	heartRateByAge = [...]float64{140, 130, 125, 120, 115, 110, 105, 100, 98, 95, 92, 90, 88, 86, 84, 82, 80, 78, 76, 75, 74, 73, 72, 72}
	respRateByAge  = [...]float64{40, 36, 32, 30, 28, 26, 25, 24, 23, 22, 21, 20, 20, 19, 19, 18, 18, 17, 17, 16, 16, 16, 16, 15}
	systolicByAge  = [...]float64{72, 80, 86, 88, 90, 92, 94, 96, 98, 100, 101, 102, 104, 105, 106, 108, 110, 111, 112, 113, 114, 115, 116, 117}
	diastolicByAge = [...]float64{40, 45, 50, 52, 54, 56, 57, 58, 59, 60, 61, 62, 63, 64, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73}
)

// interp reads a by-age table at a fractional age, linearly between rows and
// flat beyond the last.
func interp(ages []float64, vals []float64, age float64) float64 {
	if age <= ages[0] {
		return vals[0]
	}
	for i := 1; i < len(ages); i++ {
		if age <= ages[i] {
			f := (age - ages[i-1]) / (ages[i] - ages[i-1])
			return vals[i-1] + f*(vals[i]-vals[i-1])
		}
	}
	return vals[len(vals)-1]
}
