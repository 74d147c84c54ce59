package configs

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed standards.yaml
var standardsYAML []byte

// SeedStandard is one row of configs/standards.yaml.
type SeedStandard struct {
	Program    string `yaml:"program"`
	Stage      string `yaml:"stage"`
	Level      string `yaml:"level"`
	AnnualYuan int64  `yaml:"annual_yuan"`
	From       string `yaml:"from"`
	Source     string `yaml:"source"`
}

// Standards returns the national standards shipped with the service.
func Standards() ([]SeedStandard, error) {
	var doc struct {
		Standards []SeedStandard `yaml:"standards"`
	}
	if err := yaml.Unmarshal(standardsYAML, &doc); err != nil {
		return nil, fmt.Errorf("configs/standards.yaml: %w", err)
	}
	return doc.Standards, nil
}
