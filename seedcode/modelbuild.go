package seedcode

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
)

// PipelineFile is the ModelBuild seed's SageMaker pipeline, relative to the seed.
const PipelineFile = "pipelines/abalone/pipeline.py"

// ModelBuildCode is the ModelBuild seed with the project's instance types written into
// its pipeline as the defaults of the ProcessingInstanceType and TrainingInstanceType
// parameters, on the lines a data scientist edits to change them (the seed documents'
// walkthrough). An empty type keeps the seed's own default.
func ModelBuildCode(processingInstanceType, trainingInstanceType string) source.SeedCode {
	return withDefaults{
		SeedDirectory: source.SeedDirectory(Dir(ModelBuild)),
		defaults:      map[string]string{"ProcessingInstanceType": processingInstanceType, "TrainingInstanceType": trainingInstanceType},
	}
}

// withDefaults is a seed directory whose pipeline's parameter defaults are replaced.
type withDefaults struct {
	source.SeedDirectory
	defaults map[string]string
}

// WriteTo writes the seed, then the defaults into its pipeline.
func (s withDefaults) WriteTo(dir string) error {
	if err := s.SeedDirectory.WriteTo(dir); err != nil {
		return err
	}
	return writeParameterDefaults(filepath.Join(dir, PipelineFile), s.defaults)
}

// instanceTypeDefault is the part of a parameter's declaration that holds its default.
var instanceTypeDefault = regexp.MustCompile(`(name="(\w+)", default_value=")[^"]*(")`)

// writeParameterDefaults sets, in the pipeline file at path, the default of each named
// string parameter to its value; an empty value leaves it. It fails when a parameter
// is not declared exactly once in the form the seed declares it.
func writeParameterDefaults(path string, defaults map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	found := map[string]int{}
	for _, m := range instanceTypeDefault.FindAllSubmatch(data, -1) {
		found[string(m[2])]++
	}
	for name, value := range defaults {
		if found[name] != 1 {
			return fmt.Errorf("%s declares the parameter %s %d times in the form name=%q, default_value=\"...\", not once", path, name, found[name], name)
		}
		if value == "" {
			continue
		}
		one := regexp.MustCompile(`(name="` + regexp.QuoteMeta(name) + `", default_value=")[^"]*(")`)
		data = one.ReplaceAll(data, []byte("${1}"+value+"${2}"))
	}
	return os.WriteFile(path, data, 0o644)
}
