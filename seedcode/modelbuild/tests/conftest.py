"""Shared fixtures: synthetic abalone-shaped data, and a moto server (a local AWS
emulator on 127.0.0.1) for the code that talks to AWS."""

from __future__ import annotations

import os
import socket

import boto3
import numpy as np
import pandas as pd
import pytest

from pipelines.abalone.preprocess import COLUMNS

REGION = "us-east-1"

# SageMaker SDK 3.27.0 creates a boto3 client when its ModelBuilder module is imported
# (sagemaker.ai_registry), which needs a region before any test module imports the
# pipeline; the emulator's fixture points everything at itself later.
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
BUCKET = "sagemaker-project-p-abalonedemo1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-pipeline-role"
ROWS = 4177  # as many as the real data set


def make_abalone(rows: int = ROWS, seed: int = 7, missing: float = 0.02) -> pd.DataFrame:
    """Abalone-shaped data: the 9 real columns, measurements that grow together, and
    rings that depend on them (plus noise), with a share of missing measurements."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "I", "M"], size=rows, p=[0.31, 0.32, 0.37])
    length = rng.uniform(0.1, 0.8, rows)
    diameter = 0.8 * length + rng.normal(0, 0.01, rows)
    height = 0.27 * length + rng.normal(0, 0.01, rows)
    whole = 2.0 * length**3 + rng.normal(0, 0.02, rows)
    shucked = 0.43 * whole + rng.normal(0, 0.01, rows)
    viscera = 0.22 * whole + rng.normal(0, 0.005, rows)
    shell = 0.29 * whole + rng.normal(0, 0.01, rows)
    infant = (sex == "I").astype(float)
    rings = np.round(3 + 12 * length + 15 * shell - 1.5 * infant + rng.normal(0, 1.2, rows)).clip(1, 29)
    df = pd.DataFrame(
        {
            "sex": sex,
            "length": length,
            "diameter": diameter,
            "height": height,
            "whole_weight": whole,
            "shucked_weight": shucked,
            "viscera_weight": viscera,
            "shell_weight": shell,
            "rings": rings,
        },
        columns=COLUMNS,
    )
    for column in ("length", "diameter", "whole_weight", "shell_weight"):
        df.loc[rng.random(rows) < missing, column] = np.nan
    return df


@pytest.fixture(scope="session")
def abalone() -> pd.DataFrame:
    """The synthetic data set."""
    return make_abalone()


@pytest.fixture(scope="session")
def abalone_csv(tmp_path_factory, abalone) -> str:
    """The synthetic data set as the headerless CSV the pipeline reads."""
    path = tmp_path_factory.mktemp("data") / "abalone-dataset.csv"
    abalone.to_csv(path, header=False, index=False)
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def aws():
    """A moto server on 127.0.0.1 with the project's bucket; the AWS SDKs of this process
    are pointed at it with fake credentials while the session lasts."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE")}
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:{}".format(port),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    yield "http://127.0.0.1:{}".format(port)
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
