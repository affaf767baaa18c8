"""Preprocessing step of the abalone pipeline.

Runs in SageMaker's scikit-learn processing container: reads the raw abalone CSV from
/opt/ml/processing/input (or downloads it from --input-data), median-imputes and
standard-scales the numeric columns, one-hot encodes ``sex``, puts the label ``rings``
first, shuffles, and writes 70/15/15 train/validation/test splits as headerless CSVs to
/opt/ml/processing/{train,validation,test}, and the training split's features without
the label to /opt/ml/processing/baseline: rows as the endpoint receives them, which
the data-quality check baselines (a baseline with the label column would differ from
every captured request by that column). The logic lives in functions so the tests
can call them on a data frame.

Kept compatible with the container's older Python, pandas and scikit-learn.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Optional, Tuple

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

logger = logging.getLogger(__name__)

LABEL = "rings"
NUMERIC_FEATURES = [
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]
CATEGORICAL_FEATURES = ["sex"]
COLUMNS = ["sex"] + NUMERIC_FEATURES + [LABEL]
# The one-hot columns, in the order the encoder sorts the categories.
SEX_CATEGORIES = ["F", "I", "M"]

BASE_DIR = "/opt/ml/processing"


def read_raw(path: str) -> pd.DataFrame:
    """Reads the raw abalone CSV (no header, the columns of COLUMNS)."""
    df = pd.read_csv(path, header=None, names=COLUMNS)
    return df


def feature_transformer() -> ColumnTransformer:
    """Median-imputes and standard-scales numeric columns, imputes and one-hot encodes
    ``sex`` (unknown categories become all zeros)."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(categories=[SEX_CATEGORIES], handle_unknown="ignore"),
    )
    return ColumnTransformer(
        transformers=[
            ("num", numeric, NUMERIC_FEATURES),
            ("cat", categorical, CATEGORICAL_FEATURES),
        ],
        sparse_threshold=0,
    )


def transform(df: pd.DataFrame) -> np.ndarray:
    """Returns the model matrix: the label first, then 7 scaled numeric columns, then
    the 3 one-hot ``sex`` columns. Rows without a label are dropped."""
    df = df.dropna(subset=[LABEL])
    y = df[LABEL].to_numpy(dtype=float)
    x = feature_transformer().fit_transform(df[NUMERIC_FEATURES + CATEGORICAL_FEATURES])
    return np.concatenate([y.reshape(-1, 1), np.asarray(x, dtype=float)], axis=1)


def split(
    data: np.ndarray, seed: int = 42
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffles the rows and splits them 70/15/15 into train, validation and test."""
    rng = np.random.default_rng(seed)
    shuffled = data[rng.permutation(len(data))]
    n = len(shuffled)
    train_end, validation_end = int(0.7 * n), int(0.85 * n)
    return (
        shuffled[:train_end],
        shuffled[train_end:validation_end],
        shuffled[validation_end:],
    )


def write_splits(
    train: np.ndarray, validation: np.ndarray, test: np.ndarray, base_dir: str
) -> None:
    """Writes each split as a headerless CSV to base_dir/<split>/<split>.csv."""
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        os.makedirs(os.path.join(base_dir, name), exist_ok=True)
        pd.DataFrame(part).to_csv(
            os.path.join(base_dir, name, name + ".csv"), header=False, index=False
        )


def write_baseline(train: np.ndarray, base_dir: str) -> None:
    """Writes the training split's features (every column but the first, the label) as
    a headerless CSV to base_dir/baseline/baseline.csv: the shape of a request to the
    endpoint, and of the data it captures."""
    os.makedirs(os.path.join(base_dir, "baseline"), exist_ok=True)
    pd.DataFrame(train[:, 1:]).to_csv(os.path.join(base_dir, "baseline", "baseline.csv"), header=False, index=False)


def download(url: str, target: str) -> str:
    """Downloads an s3:// object to target and returns target."""
    import boto3  # only needed in the container, where the data is in S3

    bucket, key = url[len("s3://") :].split("/", 1)
    boto3.resource("s3").Bucket(bucket).download_file(key, target)
    return target


def main(argv: Optional[list] = None, base_dir: str = BASE_DIR) -> None:
    """Entry point of the processing job."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-data", help="s3:// URL of the raw CSV, when not mounted")
    args = parser.parse_args(argv)
    mounted = os.path.join(base_dir, "input", "abalone-dataset.csv")
    if os.path.exists(mounted):
        path = mounted
    elif args.input_data:
        os.makedirs(os.path.join(base_dir, "data"), exist_ok=True)
        path = download(args.input_data, os.path.join(base_dir, "data", "abalone-dataset.csv"))
    else:
        raise SystemExit("no input: mount the data at %s or pass --input-data" % mounted)
    df = read_raw(path)
    logger.info("read %d rows from %s", len(df), path)
    train, validation, test = split(transform(df))
    write_splits(train, validation, test, base_dir)
    write_baseline(train, base_dir)
    logger.info("wrote %d/%d/%d rows", len(train), len(validation), len(test))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
