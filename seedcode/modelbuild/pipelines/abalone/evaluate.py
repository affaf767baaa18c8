"""Evaluation step of the abalone pipeline.

Runs in SageMaker's XGBoost container: loads the trained model from
/opt/ml/processing/model/model.tar.gz, predicts the test split, and writes
/opt/ml/processing/evaluation/evaluation.json in the original template's schema::

    {"regression_metrics": {"mse": {"value": ..., "standard_deviation": ...}}}

The pipeline's condition step reads ``regression_metrics.mse.value`` through a property
file. It also writes the test split's predictions beside their labels to
/opt/ml/processing/predictions/predictions.csv (header ``prediction,label``), from
which the model-quality check computes the baseline of the model's regression metrics.
The logic lives in functions so the tests can call them.

Kept compatible with the container's older Python, pandas and xgboost.
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import tarfile
from typing import Dict, Optional

import numpy as np
import pandas as pd
import xgboost

logger = logging.getLogger(__name__)

BASE_DIR = "/opt/ml/processing"
MODEL_FILE = "xgboost-model"


# The first byte of a pickle (protocol 2 and later).
PICKLE_MAGIC = b"\x80"


def load_model(path: str) -> "xgboost.Booster":
    """Loads a model written by the built-in XGBoost algorithm: XGBoost's own format,
    or a pickled Booster as older containers wrote it."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:1] == PICKLE_MAGIC:
        return pickle.loads(data)
    booster = xgboost.Booster()
    booster.load_model(bytearray(data))
    return booster


def mse_report(y_true: np.ndarray, y_pred: np.ndarray) -> Dict[str, Dict]:
    """The evaluation report: the mean squared error of the predictions and the
    standard deviation of the squared errors."""
    with np.errstate(invalid="ignore", over="ignore"):
        errors = np.square(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))
        mse, std = float(np.mean(errors)), float(np.std(errors))
    if not (math.isfinite(mse) and math.isfinite(std)):
        raise ValueError("the model's predictions give a non-finite error")
    return {"regression_metrics": {"mse": {"value": mse, "standard_deviation": std}}}


# The columns of the predictions file, as the model-quality check is told to read them.
PREDICTION_COLUMN = "prediction"
LABEL_COLUMN = "label"


def predict(model: "xgboost.Booster", test: pd.DataFrame) -> pd.DataFrame:
    """Predicts the test split (label in the first column): one row per test row, the
    prediction and the label."""
    x = xgboost.DMatrix(test.iloc[:, 1:].to_numpy())
    return pd.DataFrame({PREDICTION_COLUMN: model.predict(x).astype(float), LABEL_COLUMN: test.iloc[:, 0].to_numpy(dtype=float)})


def evaluate(model: "xgboost.Booster", test: pd.DataFrame) -> Dict[str, Dict]:
    """Predicts the test split (label in the first column) and reports the error."""
    predictions = predict(model, test)
    return mse_report(predictions[LABEL_COLUMN].to_numpy(), predictions[PREDICTION_COLUMN].to_numpy())


def main(base_dir: str = BASE_DIR, model_dir: Optional[str] = None) -> Dict[str, Dict]:
    """Entry point of the processing job; returns the report it writes."""
    model_dir = model_dir or os.path.join(base_dir, "model")
    archive = os.path.join(model_dir, "model.tar.gz")
    if os.path.exists(archive):
        with tarfile.open(archive) as tar:
            # The "data" filter refuses links and paths out of model_dir (the default
            # from Python 3.14; the containers' Python 3.12 warns without it).
            tar.extract(MODEL_FILE, path=model_dir, filter="data")
    model = load_model(os.path.join(model_dir, MODEL_FILE))
    test = pd.read_csv(os.path.join(base_dir, "test", "test.csv"), header=None)
    predictions = predict(model, test)
    report = mse_report(predictions[LABEL_COLUMN].to_numpy(), predictions[PREDICTION_COLUMN].to_numpy())
    predictions_dir = os.path.join(base_dir, "predictions")
    os.makedirs(predictions_dir, exist_ok=True)
    predictions.to_csv(os.path.join(predictions_dir, "predictions.csv"), index=False)
    out_dir = os.path.join(base_dir, "evaluation")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "evaluation.json"), "w") as f:
        json.dump(report, f)
    logger.info("evaluation: %s", report)
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
