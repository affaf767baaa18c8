"""Measures the ModelDeploy pipeline's Build stage as CodeBuild runs it (make bench).

A project stack is deployed into the emulator (moto server on 127.0.0.1), and the
stage's build.sh runs with the deployed build project's environment in a clean
checkout of the bundled ModelDeploy seed (a directory of its own each time, as
CodeBuild's), in a new "container" each time: empty Go caches and tests' venv, the
module proxy and package index on. Three builds, as the pipeline meets them:

(a) new code, nothing kept yet: download the modules, vet, test, compile, keep the
    programs and Go's caches;
(b) a change of the code (go.sum unchanged): restore the caches (a) kept, vet, test,
    compile, keep the programs;
(c) an approval with the code of (b): fetch the programs, resolve, synthesize.

Each prints its time, and the sizes of what is kept. The emulator's S3 is local: in
AWS, moving the archives to and from S3 adds their size over the build's bandwidth.
Nothing asserts on the times.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test"))

from e2e import emulator  # noqa: E402
from e2e.rehearsal import Project, Rehearsal  # noqa: E402


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def mib(n: int) -> str:
    return "{:.0f} MiB".format(n / 2**20)


def container(work: Path) -> dict:
    """A new build container: empty caches, at the same paths every time as in
    CodeBuild (Go's build cache keys a package by its directory), and python3 the
    Python 3.12 the build's runtime-versions asks for (CONTAINER_PYTHON), else this
    one."""
    home = work / "container"
    shutil.rmtree(home, ignore_errors=True)
    python = Path(os.environ.get("CONTAINER_PYTHON") or sys.executable)
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "python3").symlink_to(python)
    return {"GOMODCACHE": str(home / "go-mod"), "GOCACHE": str(home / "go-build"), "BIN": str(home / "bin")}


def build(p: Project, work: Path, name: str, env: dict, change: dict | None = None) -> float:
    out = work / ("out-" + name)
    out.mkdir()
    proxy = subprocess.run(["go", "env", "GOPROXY"], capture_output=True, text=True, check=True).stdout.strip()
    full = dict(p.codebuild_env("modeldeploy", CDK_OUTDIR=str(out)), GOPROXY=proxy, GOMODCACHE=env["GOMODCACHE"], GOCACHE=env["GOCACHE"],
                PATH="{}:{}".format(env["BIN"], p.r.env["PATH"]))
    # CodeBuild extracts the source into a directory of its own for each build.
    checkout = p.checkout(change, "src-" + name)
    started = time.monotonic()
    proc = subprocess.run(["bash", "build.sh"], cwd=checkout, env=dict(p.r.env, **full), capture_output=True, text=True)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("build {} failed:\n{}\n{}".format(name, proc.stdout[-3000:], proc.stderr[-3000:]))
    for line in proc.stdout.splitlines():
        if line.startswith("Build: "):
            print("      " + line[len("Build: "):])
    return took


def main() -> None:
    server, port = emulator.start()
    work = Path(tempfile.mkdtemp(prefix="mlops-bench-build-"))
    try:
        r = Rehearsal(port, work)
        p = Project(r, "p-benchbuild1")
        r.bootstrap()
        p.deploy()
        p.set_status(p.register(), "Approved")
        s3 = r.client("s3")
        bucket = "sagemaker-project-" + p.id

        print("The Build stage of the ModelDeploy pipeline (build.sh), each in a new container:")
        a = container(work)
        ta = build(p, work, "a", a)
        print("  (a) new code, empty caches:        {:6.1f}s".format(ta))
        print("      the container's caches after it: go-mod {}, go-build {}".format(mib(size(Path(a["GOMODCACHE"]))), mib(size(Path(a["GOCACHE"])))))
        tb = build(p, work, "b", container(work), change={"CHANGE.md": "A change of the code.\n"})
        print("  (b) changed code, the cache (a) kept: {:6.1f}s".format(tb))
        tc = build(p, work, "c", container(work), change={"CHANGE.md": "A change of the code.\n"})
        print("  (c) an approval, unchanged code:   {:6.1f}s".format(tc))
        kept = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="codebuild-cache/").get("Contents", [])}
        compiled = max(v for k, v in kept.items() if "/compiled/" in k)
        caches = {k.rsplit("-", 1)[-1].removesuffix(".tar"): v for k, v in kept.items() if "/go-cache/" in k}
        print("  kept in the artifact bucket: the compiled programs, {} per change of the code; the cache, per go.sum: {}".format(
            mib(compiled), ", ".join("{} {}".format({"mod": "Go modules", "build": "Go build cache", "venv": "tests' venv"}[k], mib(v)) for k, v in sorted(caches.items()))))
        print("  S3 traffic: (c) {} in; (b) {} in, {} out; (a) {} out. The emulator's S3 is local: in AWS, add that at the build's bandwidth".format(
            mib(compiled), mib(sum(caches.values())), mib(compiled), mib(sum(caches.values()) + compiled)))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
