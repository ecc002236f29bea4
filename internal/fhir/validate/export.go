package validate

// ValueSet reports whether the R4 value set url (without a version) is one
// this package expanded, and whether system|code is in it; an empty system
// matches any code of the set (code elements carry none).
func ValueSet(url, system, code string) (known, in bool) {
	for i := range valueSets {
		if valueSets[i].url != url {
			continue
		}
		for _, c := range valueSets[i].codes {
			if c == system+"|"+code || (system == "" && len(c) > len(code) && c[len(c)-len(code)-1:] == "|"+code) {
				return true, true
			}
		}
		return true, false
	}
	return false, false
}
