package auth

import "github.com/emedpractice/emp/internal/scope"

// keepScopes is the subset of set that keep accepts.
func keepScopes(set scope.Set, keep func(scope.Scope) bool) scope.Set {
	var out []scope.Scope
	for sc := range set.All() {
		if keep(sc) {
			out = append(out, sc)
		}
	}
	return scope.NewSet(out...)
}

// launchContext is what a grant's scopes may rest on: who signed in and
// which patient and encounter are in context.
type launchContext struct {
	account   string // AccountStaff or AccountPatient
	patient   string
	encounter string
	ehr       bool // an EHR launch (the launch parameter)
}

// fitScopes drops the scopes the context cannot honour: a patient holds no
// user/ scopes, staff no patient/ ones without a patient in context, nobody
// system/ ones (those are for client credentials), and the launch scopes
// only with the context they ask for.
func fitScopes(set scope.Set, lc launchContext) scope.Set {
	return keepScopes(set, func(sc scope.Scope) bool {
		switch {
		case sc.Target == scope.NonResource && sc.Name == scope.Launch:
			return lc.ehr
		case sc.Target == scope.NonResource && sc.Name == scope.LaunchPatient:
			return lc.patient != ""
		case sc.Target == scope.NonResource && sc.Name == scope.LaunchEncounter:
			return lc.encounter != ""
		case sc.Target == scope.NonResource:
			return true
		case sc.Context == scope.System:
			return false
		case sc.Context == scope.User:
			return lc.account == AccountStaff
		case sc.Context == scope.Patient:
			return lc.patient != ""
		}
		return false
	})
}
