"""The preprocessing step on synthetic abalone data."""

import boto3
import numpy as np
import pandas as pd
import pytest

from pipelines.abalone import preprocess

from .conftest import BUCKET, REGION


def test_transform_puts_the_label_first_then_scaled_numbers_then_one_hot_sex(abalone):
    data = preprocess.transform(abalone)
    assert data.shape == (4177, 1 + 7 + 3)
    np.testing.assert_array_equal(data[:, 0], abalone["rings"].to_numpy())
    assert not np.isnan(data).any(), "missing values are imputed"
    numeric = data[:, 1:8]
    np.testing.assert_allclose(numeric.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(numeric.std(axis=0), 1, atol=1e-9)
    one_hot = data[:, 8:]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(axis=1), np.ones(4177))
    expected = pd.get_dummies(abalone["sex"])[["F", "I", "M"]].to_numpy(dtype=float)
    np.testing.assert_array_equal(one_hot, expected, "columns F, I, M in this order")


def test_rows_without_label_are_dropped_and_unknown_sex_encodes_as_zeros(abalone):
    df = abalone.head(10).copy()
    df.loc[0, "rings"] = np.nan
    df.loc[1, "sex"] = np.nan
    data = preprocess.transform(df)
    assert data.shape[0] == 9
    np.testing.assert_array_equal(data[0, 8:], [0, 0, 0])


def test_split_is_70_15_15_and_keeps_every_row(abalone):
    data = preprocess.transform(abalone)
    train, validation, test = preprocess.split(data)
    assert (len(train), len(validation), len(test)) == (2923, 627, 627)
    stacked = np.concatenate([train, validation, test])
    assert sorted(map(tuple, stacked)) == sorted(map(tuple, data)), "a shuffle, nothing lost or repeated"
    assert not np.array_equal(train[:, 0], data[: len(train), 0]), "rows are shuffled"


def test_main_reads_the_mounted_csv_and_writes_headerless_splits(tmp_path, abalone_csv):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "abalone-dataset.csv").write_bytes(open(abalone_csv, "rb").read())
    preprocess.main([], base_dir=str(tmp_path))
    sizes = {}
    for name in ("train", "validation", "test"):
        part = pd.read_csv(tmp_path / name / (name + ".csv"), header=None)
        assert part.shape[1] == 11
        assert part.iloc[:, 0].between(1, 29).all(), "the label, rings, is the first column"
        sizes[name] = len(part)
    assert sizes == {"train": 2923, "validation": 627, "test": 627}


def test_main_writes_the_training_features_as_the_endpoint_receives_them(tmp_path, abalone_csv):
    """The data-quality baseline: the training split without its label, headerless, as
    samples/abalone-features.csv of the deploy repository sends them."""
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "abalone-dataset.csv").write_bytes(open(abalone_csv, "rb").read())
    preprocess.main([], base_dir=str(tmp_path))
    train = pd.read_csv(tmp_path / "train" / "train.csv", header=None)
    baseline = pd.read_csv(tmp_path / "baseline" / "baseline.csv", header=None)
    assert baseline.shape == (2923, 10)
    pd.testing.assert_frame_equal(baseline, train.iloc[:, 1:].T.reset_index(drop=True).T)


def test_main_downloads_the_input_data_url_when_nothing_is_mounted(tmp_path, abalone_csv, aws):
    key = "abalone-p-abalonedemo1/raw/abalone-dataset.csv"
    boto3.client("s3", region_name=REGION).upload_file(abalone_csv, BUCKET, key)
    preprocess.main(["--input-data", "s3://{}/{}".format(BUCKET, key)], base_dir=str(tmp_path))
    assert (tmp_path / "data" / "abalone-dataset.csv").read_bytes() == open(abalone_csv, "rb").read()
    assert len(pd.read_csv(tmp_path / "train" / "train.csv", header=None)) == 2923


def test_main_without_any_input_says_what_to_give(tmp_path):
    with pytest.raises(SystemExit, match="no input: mount the data at .* or pass --input-data"):
        preprocess.main([], base_dir=str(tmp_path))
