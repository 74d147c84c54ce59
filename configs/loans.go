package configs

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed loans.yaml
var loansYAML []byte

// SeedLoanFigures is one row of the figures in configs/loans.yaml.
type SeedLoanFigures struct {
	From              string `yaml:"from"`
	JuniorCollegeYuan int64  `yaml:"junior_college_yuan"`
	UndergraduateYuan int64  `yaml:"undergraduate_yuan"`
	GraduateYuan      int64  `yaml:"graduate_yuan"`
	TermExtraYears    int    `yaml:"term_extra_years"`
	MaxTermYears      int    `yaml:"max_term_years"`
	GraceYears        int    `yaml:"grace_years"`
	RiskFundBP        int    `yaml:"risk_fund_bp"`
	Repayment         string `yaml:"repayment"` // MM-DD
	Source            string `yaml:"source"`
}

// SeedLoanRate is one dated rate of configs/loans.yaml.
type SeedLoanRate struct {
	From     string `yaml:"from"`
	LprBP    int    `yaml:"lpr_bp"`
	SpreadBP int    `yaml:"spread_bp"`
	Source   string `yaml:"source"`
}

// LoanSeed is configs/loans.yaml.
type LoanSeed struct {
	Figures         []SeedLoanFigures `yaml:"figures"`
	Rates           []SeedLoanRate    `yaml:"rates"`
	DefaultDeadline string            `yaml:"default_deadline"` // MM-DD
	Reminder        string            `yaml:"reminder"`         // MM-DD
}

// Loans returns the loan figures shipped with the service.
func Loans() (LoanSeed, error) {
	var doc LoanSeed
	if err := yaml.Unmarshal(loansYAML, &doc); err != nil {
		return doc, fmt.Errorf("configs/loans.yaml: %w", err)
	}
	return doc, nil
}
