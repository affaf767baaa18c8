"""Train locally with the pipeline's hyperparameters, then run the evaluation step."""

import json
import math
import tarfile

import numpy as np
import pandas as pd
import pytest
import xgboost

from pipelines.abalone import evaluate, preprocess
from pipelines.abalone.training import HYPERPARAMETERS


def train_like_the_pipeline(train: np.ndarray) -> xgboost.Booster:
    """Trains as the built-in XGBoost container does with HYPERPARAMETERS."""
    params = {k: v for k, v in HYPERPARAMETERS.items() if k != "num_round"}
    dtrain = xgboost.DMatrix(train[:, 1:], label=train[:, 0])
    return xgboost.train(params, dtrain, num_boost_round=HYPERPARAMETERS["num_round"])


def test_trained_model_evaluates_below_the_threshold(tmp_path, abalone):
    train, _, test = preprocess.split(preprocess.transform(abalone))
    model = train_like_the_pipeline(train)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    # The built-in container writes the model in XGBoost's format, under this name.
    (tmp_path / evaluate.MODEL_FILE).write_bytes(bytes(model.save_raw(raw_format="ubj")))
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / evaluate.MODEL_FILE, arcname=evaluate.MODEL_FILE)
    (tmp_path / "test").mkdir()
    pd.DataFrame(test).to_csv(tmp_path / "test" / "test.csv", header=False, index=False)

    report = evaluate.main(base_dir=str(tmp_path))

    written = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert written == report
    assert set(written) == {"regression_metrics"}
    assert set(written["regression_metrics"]) == {"mse"}
    mse = written["regression_metrics"]["mse"]
    assert set(mse) == {"value", "standard_deviation"}
    assert math.isfinite(mse["value"]) and math.isfinite(mse["standard_deviation"])
    assert 0 < mse["value"] < 6.0, "the default MseThreshold"

    # The model-quality check's input: a prediction and the label per test row, which
    # give the same error as the report.
    predictions = pd.read_csv(tmp_path / "predictions" / "predictions.csv")
    assert list(predictions.columns) == ["prediction", "label"]
    assert len(predictions) == len(test)
    np.testing.assert_allclose(predictions["label"], test[:, 0])
    assert np.mean(np.square(predictions["label"] - predictions["prediction"])) == pytest.approx(mse["value"])


def test_mse_report_is_the_mean_and_spread_of_squared_errors():
    report = evaluate.mse_report(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 0.0]))
    assert report["regression_metrics"]["mse"]["value"] == pytest.approx((0 + 4 + 9) / 3)
    assert report["regression_metrics"]["mse"]["standard_deviation"] == pytest.approx(np.std([0, 4, 9]))
    with pytest.raises(ValueError, match="non-finite"):
        evaluate.mse_report(np.array([1.0]), np.array([np.inf]))


def test_pickled_models_of_older_containers_still_load(tmp_path, abalone):
    import pickle

    train, _, test = preprocess.split(preprocess.transform(abalone.head(500)))
    model = train_like_the_pipeline(train)
    path = tmp_path / evaluate.MODEL_FILE
    path.write_bytes(pickle.dumps(model))
    loaded = evaluate.load_model(str(path))
    np.testing.assert_allclose(loaded.predict(xgboost.DMatrix(test[:, 1:])), model.predict(xgboost.DMatrix(test[:, 1:])))
