package model

import "slices"

// schoolStages are the 学段 a school type teaches: a nine-year school has
// primary and junior grades, a 完全中学 junior and senior ones.
var schoolStages = map[SchoolType][]string{
	SchoolPrimary:           {StagePrimary},
	SchoolJunior:            {StageJunior},
	SchoolNineYear:          {StagePrimary, StageJunior},
	SchoolSenior:            {StageSenior},
	SchoolCompleteSecondary: {StageJunior, StageSenior},
	SchoolVocational:        {StageVocational},
}

// ProgramsFor are the programs a school of this type can have pupils in, in
// the programs' order: a vocational school never sees the boarding subsidy.
func (t SchoolType) ProgramsFor() []Program {
	var out []Program
	for _, p := range Programs {
		for _, st := range p.Stages {
			if slices.Contains(schoolStages[t], st) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
