"""The pipeline definition, built against a local AWS emulator (no AWS account)."""

import importlib.util
import json
import os
import re
import shutil
import warnings

import pytest

from pipelines.abalone import pipeline as abalone

from .conftest import BUCKET, REGION, ROLE

TAGS = [{"Key": "sagemaker:project-name", "Value": "abalone"}, {"Key": "sagemaker:project-id", "Value": "p-abalonedemo1"}]


@pytest.fixture(scope="module")
def definition(aws):
    p = abalone.get_pipeline(
        region=REGION,
        role=ROLE,
        default_bucket=BUCKET,
        pipeline_name="abalone-p-abalonedemo1",
        model_package_group_name="abalone-p-abalonedemo1",
        base_job_prefix="abalone-p-abalonedemo1",
        processing_instance_type="ml.c5.xlarge",
        kms_key="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        cache_expire_after="P7D",
        tags=TAGS,
    )
    return json.loads(p.definition())


def steps(definition):
    out = {}
    for s in definition["Steps"]:
        out[s["Name"]] = s
        for branch in ("IfSteps", "ElseSteps"):
            for inner in s.get("Arguments", {}).get(branch, []):
                out[inner["Name"]] = inner
    return out


def refers_to(value, step):
    return "Steps." + step + "." in json.dumps(value)


def test_parameters_are_real_pipeline_parameters_with_defaults(definition):
    params = {p["Name"]: p for p in definition["Parameters"]}
    assert params == {
        "ProcessingInstanceCount": {"Name": "ProcessingInstanceCount", "Type": "Integer", "DefaultValue": 1},
        "ProcessingInstanceType": {"Name": "ProcessingInstanceType", "Type": "String", "DefaultValue": "ml.c5.xlarge"},
        "TrainingInstanceType": {"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": "ml.m5.xlarge"},
        "ModelApprovalStatus": {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
        "InputDataUrl": {"Name": "InputDataUrl", "Type": "String", "DefaultValue": "s3://sagemaker-servicecatalog-seedcode-us-east-1/dataset/abalone-dataset.csv"},
        "MseThreshold": {"Name": "MseThreshold", "Type": "Float", "DefaultValue": 6.0},
        **{name: {"Name": name, "Type": kind, "DefaultValue": default} for check in ("DataQuality", "ModelQuality") for name, kind, default in (
            ("Skip{}Check".format(check), "Boolean", False),
            ("RegisterNew{}Baseline".format(check), "Boolean", False),
            ("{}SuppliedStatistics".format(check), "String", ""),
            ("{}SuppliedConstraints".format(check), "String", ""),
        )},
    }


def test_steps_and_their_dependencies(definition):
    s = steps(definition)
    assert set(s) == {
        "PreprocessAbaloneData",
        "TrainAbaloneModel",
        "EvaluateAbaloneModel",
        "CheckMSEAbaloneEvaluation",
        "RegisterAbaloneModel-RegisterModel",
        "AbaloneMSEAboveThreshold",
        "CheckDataQualityAbalone",
        "CheckModelQualityAbalone",
    }
    assert [x["Name"] for x in definition["Steps"]] == [
        "PreprocessAbaloneData", "TrainAbaloneModel", "EvaluateAbaloneModel", "CheckMSEAbaloneEvaluation",
        "CheckDataQualityAbalone", "CheckModelQualityAbalone",
    ]
    assert s["PreprocessAbaloneData"]["Type"] == "Processing"
    assert s["TrainAbaloneModel"]["Type"] == "Training"
    assert refers_to(s["TrainAbaloneModel"]["Arguments"]["InputDataConfig"], "PreprocessAbaloneData")
    evaluate_inputs = s["EvaluateAbaloneModel"]["Arguments"]["ProcessingInputs"]
    assert refers_to(evaluate_inputs, "TrainAbaloneModel") and refers_to(evaluate_inputs, "PreprocessAbaloneData")
    assert s["RegisterAbaloneModel-RegisterModel"]["Type"] == "RegisterModel"
    assert s["AbaloneMSEAboveThreshold"]["Type"] == "Fail"


def test_instance_types_come_from_the_parameters(definition):
    s = steps(definition)
    resources = s["PreprocessAbaloneData"]["Arguments"]["ProcessingResources"]["ClusterConfig"]
    assert resources["InstanceType"] == {"Get": "Parameters.ProcessingInstanceType"}
    assert resources["InstanceCount"] == {"Get": "Parameters.ProcessingInstanceCount"}
    assert s["TrainAbaloneModel"]["Arguments"]["ResourceConfig"]["InstanceType"] == {"Get": "Parameters.TrainingInstanceType"}
    assert s["EvaluateAbaloneModel"]["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceType"] == {"Get": "Parameters.ProcessingInstanceType"}
    assert s["PreprocessAbaloneData"]["Arguments"]["AppSpecification"]["ContainerArguments"] == ["--input-data", {"Get": "Parameters.InputDataUrl"}]


def test_training_uses_the_built_in_xgboost_and_the_originals_hyperparameters(definition):
    train = steps(definition)["TrainAbaloneModel"]["Arguments"]
    assert "sagemaker-xgboost:3.2-0" in train["AlgorithmSpecification"]["TrainingImage"]
    assert train["HyperParameters"] == {
        "objective": "reg:squarederror", "num_round": "50", "max_depth": "5", "eta": "0.2",
        "gamma": "4", "min_child_weight": "6", "subsample": "0.7",
    }
    assert train["OutputDataConfig"]["S3OutputPath"] == "s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/AbaloneTrain"
    assert train["OutputDataConfig"]["KmsKeyId"].startswith("arn:aws:kms:")
    assert {t["Key"]: t["Value"] for t in train["Tags"]} == {"sagemaker:project-name": "abalone", "sagemaker:project-id": "p-abalonedemo1"}


def test_training_and_evaluation_run_network_isolated(definition):
    """The XGBoost container trains and evaluates with SageMaker's channels only;
    preprocessing downloads its input itself, and the checks are Model Monitor's."""
    s = steps(definition)
    assert s["TrainAbaloneModel"]["Arguments"]["EnableNetworkIsolation"] is True
    assert s["EvaluateAbaloneModel"]["Arguments"]["NetworkConfig"] == {"EnableNetworkIsolation": True}
    for name in ("PreprocessAbaloneData", "CheckDataQualityAbalone", "CheckModelQualityAbalone"):
        assert "NetworkConfig" not in s[name]["Arguments"], name


SUBNETS, GROUPS = ["subnet-0a1b2c3d", "subnet-0a1b2c3e"], ["sg-0a1b2c3d"]


@pytest.fixture(scope="module")
def in_vpc(aws):
    """The definition as the build makes it in a VPC: ids as SAGEMAKER_SUBNET_IDS and
    SAGEMAKER_SECURITY_GROUP_IDS hold them."""
    p = abalone.get_pipeline(
        region=REGION, role=ROLE, default_bucket=BUCKET,
        subnets=",".join(SUBNETS), security_group_ids=" " + GROUPS[0] + " ",
    )
    return steps(json.loads(p.definition()))


def test_in_a_vpc_every_job_runs_in_its_subnets_with_encrypted_traffic(in_vpc):
    vpc = {"Subnets": SUBNETS, "SecurityGroupIds": GROUPS}
    for name, isolated in (("PreprocessAbaloneData", False), ("EvaluateAbaloneModel", True),
                           ("CheckDataQualityAbalone", False), ("CheckModelQualityAbalone", False)):
        assert in_vpc[name]["Arguments"]["NetworkConfig"] == {
            "EnableNetworkIsolation": isolated, "EnableInterContainerTrafficEncryption": True, "VpcConfig": vpc,
        }, name
    train = in_vpc["TrainAbaloneModel"]["Arguments"]
    assert train["VpcConfig"] == vpc
    assert train["EnableNetworkIsolation"] is True
    assert train["EnableInterContainerTrafficEncryption"] is True


def test_a_vpc_needs_subnets_and_security_groups(aws):
    assert abalone.job_vpc("", "") is None, "what the build passes outside a VPC"
    assert abalone.job_vpc(None, []) is None
    with pytest.raises(ValueError, match=r"subnets \['subnet-0a1b2c3d'\] and security_group_ids \[\]: a job in a VPC needs both"):
        abalone.get_pipeline(region=REGION, role=ROLE, default_bucket=BUCKET, subnets="subnet-0a1b2c3d")


def test_expensive_steps_are_cached(definition):
    s = steps(definition)
    for name in ("PreprocessAbaloneData", "TrainAbaloneModel", "EvaluateAbaloneModel", "CheckDataQualityAbalone", "CheckModelQualityAbalone"):
        assert s[name]["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P7D"}, name


def test_condition_compares_the_evaluated_mse_with_the_threshold_parameter(definition):
    cond = steps(definition)["CheckMSEAbaloneEvaluation"]["Arguments"]["Conditions"][0]
    assert cond["Type"] == "LessThanOrEqualTo"
    assert cond["RightValue"] == {"Get": "Parameters.MseThreshold"}
    left = cond["LeftValue"]["Std:JsonGet"]
    assert left["Path"] == "regression_metrics.mse.value"
    assert left["PropertyFile"] == {"Get": "Steps.EvaluateAbaloneModel.PropertyFiles.AbaloneEvaluationReport"}


def test_the_condition_registers_a_good_model_and_fails_a_bad_one(definition):
    top = {s["Name"]: s for s in definition["Steps"]}
    check = top["CheckMSEAbaloneEvaluation"]["Arguments"]
    assert [s["Name"] for s in check["IfSteps"]] == ["RegisterAbaloneModel-RegisterModel"]
    assert [s["Name"] for s in check["ElseSteps"]] == ["AbaloneMSEAboveThreshold"]
    assert check["ElseSteps"][0]["Type"] == "Fail"


def test_register_step_registers_in_the_projects_group_with_metrics(definition):
    reg = steps(definition)["RegisterAbaloneModel-RegisterModel"]["Arguments"]
    assert reg["ModelPackageGroupName"] == "abalone-p-abalonedemo1"
    assert reg["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    spec = reg["InferenceSpecification"]
    assert spec["SupportedContentTypes"] == ["text/csv"]
    assert spec["SupportedResponseMIMETypes"] == ["text/csv"]
    assert spec["SupportedRealtimeInferenceInstanceTypes"] == ["ml.t2.medium", "ml.m5.large"]
    stats = reg["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert stats["ContentType"] == "application/json"
    assert refers_to(stats["S3Uri"], "EvaluateAbaloneModel")


def test_the_data_quality_check_baselines_the_training_features(definition):
    check = steps(definition)["CheckDataQualityAbalone"]
    assert check["Type"] == "QualityCheck" and check["CheckType"] == "DATA_QUALITY"
    args = check["Arguments"]
    [dataset] = args["ProcessingInputs"]
    assert dataset["S3Input"]["S3Uri"] == {"Get": "Steps.PreprocessAbaloneData.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"}
    assert json.loads(args["Environment"]["dataset_format"]) == {"csv": {"header": False, "output_columns_position": "START"}}, "as the endpoint captures requests"
    outputs = {o["OutputName"] for o in steps(definition)["PreprocessAbaloneData"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]}
    assert outputs == {"train", "validation", "test", "baseline"}


def test_the_model_quality_check_baselines_the_regression_metrics_of_the_test_split(definition):
    check = steps(definition)["CheckModelQualityAbalone"]
    assert check["Type"] == "QualityCheck" and check["CheckType"] == "MODEL_QUALITY"
    args = check["Arguments"]
    [dataset] = args["ProcessingInputs"]
    assert dataset["S3Input"]["S3Uri"] == {"Get": "Steps.EvaluateAbaloneModel.ProcessingOutputConfig.Outputs['predictions'].S3Output.S3Uri"}
    env = args["Environment"]
    assert (env["analysis_type"], env["problem_type"], env["inference_attribute"], env["ground_truth_attribute"]) == ("MODEL_QUALITY", "Regression", "prediction", "label")
    assert json.loads(env["dataset_format"]) == {"csv": {"header": True, "output_columns_position": "START"}}


@pytest.mark.parametrize("name,check", [("CheckDataQualityAbalone", "DataQuality"), ("CheckModelQualityAbalone", "ModelQuality")])
def test_each_check_takes_its_parameters_fails_on_violation_and_writes_to_its_execution(definition, name, check):
    step = steps(definition)[name]
    assert step["SkipCheck"] == {"Get": "Parameters.Skip{}Check".format(check)}
    assert step["RegisterNewBaseline"] == {"Get": "Parameters.RegisterNew{}Baseline".format(check)}
    assert step["SuppliedBaselineStatistics"] == {"Get": "Parameters.{}SuppliedStatistics".format(check)}
    assert step["SuppliedBaselineConstraints"] == {"Get": "Parameters.{}SuppliedConstraints".format(check)}
    assert step["FailOnViolation"] is True
    assert step["ModelPackageGroupName"] == "abalone-p-abalonedemo1", "checked against the group's latest Approved version"
    args = step["Arguments"]
    assert args["AppSpecification"]["ImageUri"].endswith(".amazonaws.com/sagemaker-model-monitor-analyzer")
    assert args["ProcessingResources"]["ClusterConfig"] == {
        "InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 120,
        "VolumeKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    assert args["ProcessingOutputConfig"]["KmsKeyId"].startswith("arn:aws:kms:")
    [output] = args["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["S3Uri"] == {"Std:Join": {"On": "/", "Values": [
        "s3:/", "sagemaker-project-p-abalonedemo1", "abalone-p-abalonedemo1", {"Get": "Execution.PipelineExecutionId"}, name, "output"]}}
    assert {t["Key"]: t["Value"] for t in args["Tags"]} == {"sagemaker:project-name": "abalone", "sagemaker:project-id": "p-abalonedemo1"}


def test_the_version_records_the_new_baselines_and_those_to_check_drift_against(definition):
    reg = steps(definition)["RegisterAbaloneModel-RegisterModel"]["Arguments"]
    metrics, drift = reg["ModelMetrics"], reg["DriftCheckBaselines"]

    def source(step, prop):
        return {"ContentType": "application/json", "S3Uri": {"Get": "Steps.{}.{}".format(step, prop)}}

    assert metrics["ModelDataQuality"] == {
        "Statistics": source("CheckDataQualityAbalone", "CalculatedBaselineStatistics"),
        "Constraints": source("CheckDataQualityAbalone", "CalculatedBaselineConstraints"),
    }
    assert metrics["ModelQuality"]["Constraints"] == source("CheckModelQualityAbalone", "CalculatedBaselineConstraints")
    assert drift["ModelDataQuality"] == {
        "Statistics": source("CheckDataQualityAbalone", "BaselineUsedForDriftCheckStatistics"),
        "Constraints": source("CheckDataQualityAbalone", "BaselineUsedForDriftCheckConstraints"),
    }
    assert drift["ModelQuality"] == {
        "Statistics": source("CheckModelQualityAbalone", "BaselineUsedForDriftCheckStatistics"),
        "Constraints": source("CheckModelQualityAbalone", "BaselineUsedForDriftCheckConstraints"),
    }


def test_fail_step_gives_the_mse_and_the_threshold(definition):
    fail = steps(definition)["AbaloneMSEAboveThreshold"]["Arguments"]["ErrorMessage"]["Std:Join"]
    values = json.dumps(fail["Values"])
    assert "regression_metrics.mse.value" in values
    assert {"Get": "Parameters.MseThreshold"} in fail["Values"]


def flatten(value, path=""):
    """The leaves of a JSON value by path, with the code upload's content hash, which
    changes with any edit of a script, replaced."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flatten(item, path + "/" + key).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in flatten(item, "{}[{}]".format(path, i)).items()}
    if isinstance(value, str):
        value = re.sub(r"/code/[0-9a-f]{64}/", "/code/<hash>/", value)
    return {path: value}


# Every way the definition differs from the one SDK v2 (2.257.7) built for the same
# arguments (tests/data/sdk-v2-definition.json, written by the v2 seed), and why.
SDK_V3_DIFFERENCES = {
    # The newest containers (the intended upgrade; cached results are recomputed once).
    "/Steps[0]/Arguments/AppSpecification/ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3",
    "/Steps[1]/Arguments/AlgorithmSpecification/TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
    "/Steps[2]/Arguments/AppSpecification/ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
    "/Steps[3]/Arguments/IfSteps[0]/Arguments/InferenceSpecification/Containers[0]/Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
    # v3 writes the training defaults v2 left to the service: the same values.
    "/Steps[1]/Arguments/InputDataConfig[0]/InputMode": "File",
    "/Steps[1]/Arguments/InputDataConfig[1]/InputMode": "File",
    "/Steps[1]/Arguments/OutputDataConfig/CompressionType": "GZIP",
    # v3 attaches no SageMaker Debugger hook and no profiler: neither was ever used.
    "/Steps[1]/Arguments/DebugHookConfig/S3OutputPath": None,
    "/Steps[1]/Arguments/ProfilerConfig/DisableProfiler": None,
    "/Steps[1]/Arguments/ProfilerConfig/S3OutputPath": None,
}


def test_the_definition_is_v2s_but_for_the_listed_differences(definition):
    """A pipeline the v2 seed created is updated in place: same steps, names,
    parameters, dependencies, caching, condition and registration."""
    with open(os.path.join(os.path.dirname(__file__), "data", "sdk-v2-definition.json")) as f:
        v2 = flatten(json.load(f))
    v3 = flatten(definition)
    # v2 wrote AppManaged: false on every processing input and output, the service's
    # default, which v3 leaves out; v3 adds an empty MLflow configuration.
    v2 = {k: v for k, v in v2.items() if not (k.endswith("/AppManaged") and v is False)}
    assert v3.pop("/MlflowConfig") is None
    added = {k for k in set(v3) - set(v2) if k.startswith(MONITORING_ADDITIONS + NETWORK_ADDITIONS)}
    changed = {k: v3.get(k) for k in (set(v2) | set(v3)) - added if v2.get(k) != v3.get(k)}
    assert changed == SDK_V3_DIFFERENCES
    assert added, "the monitoring additions are there"
    assert {k for k in added if k.startswith(NETWORK_ADDITIONS)} == set(NETWORK_ADDITIONS)


# What the quality checks added to the v2 seed's definition (#14): new parameters and
# steps after the old ones, an output each of preprocessing and evaluation, and the
# version's data-quality metrics and drift baselines; nothing of v2's changes.
MONITORING_ADDITIONS = tuple(
    ["/Parameters[{}]".format(i) for i in range(6, 14)]
    + ["/Steps[4]/", "/Steps[5]/", "/Steps[0]/Arguments/ProcessingOutputConfig/Outputs[3]/", "/Steps[2]/Arguments/ProcessingOutputConfig/Outputs[1]/"]
    + ["/Steps[3]/Arguments/IfSteps[0]/Arguments/" + k for k in ("ModelMetrics/ModelQuality/Constraints/", "ModelMetrics/ModelDataQuality/", "ModelMetrics/Bias", "ModelMetrics/Explainability", "DriftCheckBaselines/")]
)


# What network isolation added (#15): training and evaluation run isolated.
NETWORK_ADDITIONS = ("/Steps[1]/Arguments/EnableNetworkIsolation", "/Steps[2]/Arguments/NetworkConfig/EnableNetworkIsolation")


def test_building_the_pipeline_triggers_no_deprecation_warning_of_this_package(aws):
    """Only the SDK's own import-time notices are filtered (pyproject.toml): nothing
    this package calls is deprecated."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        abalone.get_pipeline(region=REGION, role=ROLE, default_bucket=BUCKET).definition()
    ours = [w for w in caught if issubclass(w.category, DeprecationWarning) and "/pipelines/" in w.filename]
    assert ours == []


# The line the seed documents' walkthrough tells a data scientist to find in
# pipeline.py ("find the line that sets the training instance type").
WALKTHROUGH_LINE = 'training_instance_type = ParameterString(\n        name="TrainingInstanceType", default_value="ml.m5.xlarge"'


def test_the_walkthroughs_change_of_the_training_instance_type_takes_effect(aws, tmp_path):
    """Changing ml.m5.xlarge to ml.m5.large on that line, as the walkthrough says, is
    what the next push's build runs with: the build passes no instance type."""
    source = open(abalone.__file__).read()
    assert source.count(WALKTHROUGH_LINE) == 1
    for script in ("preprocess.py", "evaluate.py"):
        shutil.copy(os.path.join(abalone.BASE_DIR, script), tmp_path / script)
    edited = tmp_path / "pipeline.py"
    edited.write_text(source.replace(WALKTHROUGH_LINE, WALKTHROUGH_LINE.replace("ml.m5.xlarge", "ml.m5.large")))
    spec = importlib.util.spec_from_file_location("edited_pipeline", edited)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(os.path.dirname(__file__), "..", "codebuild-buildspec.yml")) as f:
        assert "instance_type" not in f.read(), "the build must not override the defaults written in pipeline.py"
    p = module.get_pipeline(region=REGION, role=ROLE, default_bucket=BUCKET, pipeline_name="abalone-p-abalonedemo1")
    params = {x["Name"]: x.get("DefaultValue") for x in json.loads(p.definition())["Parameters"]}
    assert params["TrainingInstanceType"] == "ml.m5.large"
    assert params["ProcessingInstanceType"] == "ml.m5.xlarge"
