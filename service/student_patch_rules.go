package service

import (
	"studentaid/service/roster"
)

// checkPatchText puts a PATCH's names and free text through the roster's own
// rules (lengths, characters), normalised as an import would store them: a
// value an upload refuses, an edit refuses too.
func checkPatchText(p *StudentPatch) error {
	fields := []struct {
		col  string
		v    *string
		name bool
	}{{roster.ColGuardian, p.Guardian, true}, {roster.ColBankName, p.BankName, false},
		{roster.ColClass, p.Class, false}, {roster.ColRemark, p.Remark, false}}
	for _, f := range fields {
		if f.v == nil || *f.v == "" {
			continue
		}
		check := roster.FreeText
		if f.name {
			check = roster.PersonName
		}
		v, problem := check(f.col, *f.v)
		if problem != "" {
			return invalid("%s", problem)
		}
		*f.v = v
	}
	return nil
}
