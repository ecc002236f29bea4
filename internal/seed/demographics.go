package seed

// Demographic tables: OMB race and ethnicity categories as US Core codes
// them, preferred languages, the age pyramid and marital status.

// races are the OMB race categories, and Unknown for patients who did not
// say; raceAsian indexes the one the name tables need to know.
var races = [...]term{
	{sysOMB, "2106-3", "White"},
	{sysOMB, "2054-5", "Black or African American"},
	{sysOMB, "2028-9", "Asian"},
	{sysOMB, "1002-5", "American Indian or Alaska Native"},
	{sysOMB, "2076-8", "Native Hawaiian or Other Pacific Islander"},
	{sysNullFlavor, "UNK", "Unknown"},
}

const raceAsian = 2

var (
	ethHispanic    = term{sysOMB, "2135-2", "Hispanic or Latino"}
	ethNotHispanic = term{sysOMB, "2186-5", "Not Hispanic or Latino"}
)

// raceWeights are cumulative shares for non-Hispanic and Hispanic patients.
var (
	raceCumNonHispanic = [...]float64{0.72, 0.875, 0.95, 0.96, 0.965, 1}
	raceCumHispanic    = [...]float64{0.70, 0.75, 0.76, 0.81, 0.82, 1}
)

var languages = [...]term{
	{sysBCP47, "en-US", "English (United States)"},
	{sysBCP47, "es", "Spanish"},
	{sysBCP47, "zh", "Chinese"},
	{sysBCP47, "vi", "Vietnamese"},
	{sysBCP47, "ko", "Korean"},
	{sysBCP47, "tl", "Tagalog"},
	{sysBCP47, "hi", "Hindi"},
}

// ageBands approximate the US age pyramid: from, to (years) and share.
var ageBands = [...]struct {
	from, to int
	share    float64
}{
	{0, 4, 0.06}, {5, 17, 0.15}, {18, 34, 0.21}, {35, 49, 0.19}, {50, 64, 0.19}, {65, 79, 0.14}, {80, 95, 0.06},
}

var maritalStatuses = [...]term{
	{sysMarital, "S", "Never Married"},
	{sysMarital, "M", "Married"},
	{sysMarital, "D", "Divorced"},
	{sysMarital, "W", "Widowed"},
}

// pickCum returns the index u falls in for cumulative shares.
func pickCum(cum []float64, u float64) int {
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

// pickName chooses a given name for the patient's background.
func pickName(g *gen, male, hispanic, asian bool) string {
	switch {
	case hispanic && g.chance(0.7):
		if male {
			return hispanicMaleNames[g.intn(len(hispanicMaleNames))]
		}
		return hispanicFemaleNames[g.intn(len(hispanicFemaleNames))]
	case asian && g.chance(0.6):
		if male {
			return asianMaleNames[g.intn(len(asianMaleNames))]
		}
		return asianFemaleNames[g.intn(len(asianFemaleNames))]
	case male:
		return maleNames[g.intn(len(maleNames))]
	}
	return femaleNames[g.intn(len(femaleNames))]
}

func pickSurname(g *gen, hispanic, asian bool) string {
	switch {
	case hispanic && g.chance(0.85):
		return hispanicSurnames[g.intn(len(hispanicSurnames))]
	case asian && g.chance(0.9):
		return asianSurnames[g.intn(len(asianSurnames))]
	}
	return surnames[g.intn(len(surnames))]
}
