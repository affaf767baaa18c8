"""The ModelDeploy Build stage's cache (build.sh's restore_cache and save_cache), against
the emulator's S3 with the AWS CLI, as CodeBuild's image has it.

The rehearsals build with this machine's own Go caches (GO_CACHE_STORE unset); here
small stand-in caches show what is kept and when: Go's module sources (without their
zips), Go's build cache and the tests' venv, once per go.sum and toolchain, restored
into an empty build container. make bench measures it with the real caches.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .rehearsal import ROOT

BUCKET = "sagemaker-project-p-buildcache"
SCRIPT = ROOT / "seedcode" / "modeldeploy" / "build.sh"


def run(r, tmp: Path, container: str, command: str, go_sum="example.com/m v1.0.0 h1:abc=\n", **env) -> subprocess.CompletedProcess:
    """command after sourcing build.sh, in a checkout with go_sum, with Go's caches in
    the container directory."""
    checkout = tmp / "checkout"
    checkout.mkdir(exist_ok=True)
    (checkout / "go.sum").write_text(go_sum)
    env = dict(r.env, GOMODCACHE=str(tmp / container / "go-mod"), GOCACHE=str(tmp / container / "go-build"),
               GO_CACHE_STORE="s3://{}/codebuild-cache/b/go-cache/".format(BUCKET), GOFLAGS="", GOTOOLCHAIN="local", **env)
    script = '. "{}" && toolchain="$(go env GOVERSION GOOS GOARCH)" && {}'.format(SCRIPT, command)
    return subprocess.run(["bash", "-c", script], cwd=checkout, env=env, capture_output=True, text=True)


def test_the_cache_is_kept_once_per_go_sum_and_toolchain(rehearsal, tmp_path):
    r = rehearsal
    s3 = r.client("s3")
    s3.create_bucket(Bucket=BUCKET)

    first = tmp_path / "first"
    (first / "go-mod" / "cache" / "download" / "example.com" / "m" / "@v").mkdir(parents=True)
    (first / "go-mod" / "cache" / "download" / "example.com" / "m" / "@v" / "v1.0.0.zip").write_text("zip")
    (first / "go-mod" / "cache" / "download" / "example.com" / "m" / "@v" / "v1.0.0.ziphash").write_text("h1:abc=")
    (first / "go-mod" / "example.com" / "m@v1.0.0").mkdir(parents=True)
    (first / "go-mod" / "example.com" / "m@v1.0.0" / "m.go").write_text("package m")
    (first / "go-build" / "00").mkdir(parents=True)
    (first / "go-build" / "00" / "0011-d").write_text("compiled")
    (first / "modeldeploy-test-venv" / "bin").mkdir(parents=True)
    (first / "modeldeploy-test-venv" / "bin" / "moto_server").write_text("#!/bin/sh\n")

    proc = run(r, tmp_path, "empty", "restore_cache")
    assert proc.returncode == 1 and "no cache kept for this go.sum and toolchain yet" in proc.stdout, proc.stdout + proc.stderr

    proc = run(r, tmp_path, "first", "save_cache")
    assert proc.returncode == 0, proc.stderr
    kept = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="codebuild-cache/b/go-cache/")["Contents"])
    archive = "s3://{}/{}".format(BUCKET, kept[0].removesuffix("-build.tar"))
    assert kept == [k.removeprefix("s3://{}/".format(BUCKET)) for k in (archive + "-build.tar", archive + "-mod.tar", archive + "-venv.tar")], kept

    fresh = tmp_path / "fresh"
    proc = run(r, tmp_path, "fresh", "restore_cache")
    assert proc.returncode == 0 and "cache restored from s3://{}/codebuild-cache/b/go-cache/".format(BUCKET) in proc.stdout, proc.stdout + proc.stderr
    assert (fresh / "go-build" / "00" / "0011-d").read_text() == "compiled"
    assert (fresh / "modeldeploy-test-venv" / "bin" / "moto_server").exists(), "the tests' emulator, installed"
    assert (fresh / "go-mod" / "example.com" / "m@v1.0.0" / "m.go").read_text() == "package m"
    assert (fresh / "go-mod" / "cache" / "download" / "example.com" / "m" / "@v" / "v1.0.0.ziphash").exists()
    assert not (fresh / "go-mod" / "cache" / "download" / "example.com" / "m" / "@v" / "v1.0.0.zip").exists(), "builds read the extracted modules, not their zips"

    assert run(r, tmp_path, "fresh", "cache_archive").stdout.strip() == archive
    assert run(r, tmp_path, "fresh", "cache_archive", go_sum="example.com/m v1.1.0 h1:def=\n").stdout.strip() != archive, "another go.sum, another archive"


def test_a_store_that_cannot_be_read_fails_the_build_instead_of_compiling(rehearsal, tmp_path):
    # Nothing listens on port 9 of this machine: the CLI cannot tell whether the
    # object exists, and the build must not take that for "compile it again".
    proc = run(rehearsal, tmp_path, "empty", 'stored "s3://{}/compiled/key.tar"'.format(BUCKET), AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    assert proc.returncode != 0 and "Build: cannot read s3://{}/compiled/key.tar".format(BUCKET) in proc.stderr, proc.stdout + proc.stderr
