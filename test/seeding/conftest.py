"""Fixtures of the seeding tests.

Real git repositories in a temporary directory (a bare "remote" holding a README commit
on main, and the user's working clone of it), the same remote served over git's smart
HTTP protocol by ``git http-backend`` behind a small CGI bridge on 127.0.0.1; the moto
server of the custom resource handler's tests is ../conftest.py's. Nothing leaves
127.0.0.1.

The modules under test are imported from their source directories, without writing
bytecode there: those directories are bundled as they are into the CodeBuild and Lambda
assets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import pytest

sys.dont_write_bytecode = True
SOURCE = Path(__file__).resolve().parents[2] / "constructs" / "source"
sys.path.insert(0, str(SOURCE / "seeder"))
sys.path.insert(0, str(SOURCE / "seedhandler"))

USER_NAME, USER_EMAIL = "Dana Scientist", "dana@example.com"


@pytest.fixture(autouse=True)
def git_config(tmp_path, monkeypatch):
    """Keeps git away from the machine's system and global configuration."""
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)


def run_git(*args: str, cwd: Optional[Path] = None) -> str:
    """Runs git as the repository's human user and returns its output, stripped."""
    env = dict(os.environ, GIT_AUTHOR_NAME=USER_NAME, GIT_AUTHOR_EMAIL=USER_EMAIL,
               GIT_COMMITTER_NAME=USER_NAME, GIT_COMMITTER_EMAIL=USER_EMAIL)
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=True)
    return proc.stdout.decode().strip()


class Remote:
    """A bare repository created, as the walkthrough asks, with a README commit on main,
    and the user's working clone of it."""

    def __init__(self, root: Path):
        self.path = root / "remote.git"
        run_git("init", "--quiet", "--bare", str(self.path))
        run_git("config", "http.receivepack", "true", cwd=self.path)
        self.user = root / "user"
        run_git("clone", "--quiet", str(self.path), str(self.user))
        self.readme = b"# Abalone model\n\nOur team's repository.\n"
        self.readme_commit = self.commit_as_user({"README.md": self.readme}, "Initial commit")

    def git(self, *args: str) -> str:
        """Runs git in the bare repository."""
        return run_git(*args, cwd=self.path)

    def head(self, branch: str = "main") -> str:
        return self.git("rev-parse", "refs/heads/" + branch)

    def tree(self, rev: str = "main") -> Dict[str, Tuple[str, bytes]]:
        """Path -> (mode, content) of every entry of the tree at rev."""
        out = subprocess.run(["git", "ls-tree", "-r", "-z", rev], cwd=self.path, capture_output=True, check=True).stdout
        entries = {}
        for record in out.split(b"\0"):
            if record:
                meta, _, path = record.partition(b"\t")
                mode, _, blob = meta.decode().split(" ")
                content = subprocess.run(["git", "cat-file", "blob", blob], cwd=self.path, capture_output=True, check=True).stdout
                entries[path.decode()] = (mode, content)
        return entries

    def commit_as_user(self, changes: Dict[str, Union[None, bytes, Tuple[str, bytes]]], message: str,
                       branch: str = "main") -> str:
        """Commits changes on branch in the user's clone, pushes them, and returns the
        commit. A change is path -> content, (mode, content) with the git mode 100644,
        100755 or 120000 (a link to content), or None to delete the path."""
        run_git("fetch", "--quiet", "origin", cwd=self.user)
        if self.user_has("origin/" + branch):
            run_git("checkout", "--quiet", "-B", branch, "origin/" + branch, cwd=self.user)
        elif self.user_has("HEAD"):
            run_git("checkout", "--quiet", "-B", branch, cwd=self.user)
        for path, change in changes.items():
            if change is None:
                run_git("rm", "--quiet", path, cwd=self.user)
                continue
            write_entry(self.user / path, *(change if isinstance(change, tuple) else ("100644", change)))
            run_git("add", path, cwd=self.user)
        run_git("commit", "--quiet", "-m", message, cwd=self.user)
        run_git("push", "--quiet", "origin", "HEAD:refs/heads/" + branch, cwd=self.user)
        return run_git("rev-parse", "HEAD", cwd=self.user)

    def user_has(self, rev: str) -> bool:
        """Tells whether rev names a commit in the user's clone."""
        return subprocess.run(["git", "rev-parse", "--verify", "--quiet", rev + "^{commit}"], cwd=self.user,
                              capture_output=True).returncode == 0

    def hook(self, name: str, script: str) -> None:
        """Installs a server-side hook (a shell script body) in the bare repository."""
        path = self.path / "hooks" / name
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(0o755)

    def record_pushes(self) -> Path:
        """Makes every accepted push append its ref updates to a file, returned."""
        log = self.path.parent / "pushes.log"
        self.hook("post-receive", "cat >> '{}'\n".format(log))
        return log


@pytest.fixture
def remote(tmp_path) -> Remote:
    return Remote(tmp_path)


@pytest.fixture
def workdir(tmp_path):
    """A fresh scratch directory for each call of the seeding."""
    count = iter(range(1000))

    def make() -> str:
        path = tmp_path / "work-{}".format(next(count))
        path.mkdir()
        return str(path)

    return make


def write_entry(target: Path, mode: str, content: bytes) -> None:
    """Writes a file with a git mode: 100644, 100755, or 120000 (a link to content)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "120000":
        target.symlink_to(content.decode())
        return
    target.write_bytes(content)
    target.chmod(0o755 if mode == "100755" else 0o644)


# The seed tree of the seed_dir fixture, as committed: path -> (mode, content).
SEED_TREE = {
    "README.md": ("100644", b"# Abalone seed\n"),
    "codebuild-buildspec.yml": ("100644", b"version: 0.2\nphases:\n  build:\n    commands: [run-pipeline]\n"),
    "pipelines/__init__.py": ("100644", b""),
    "pipelines/abalone/pipeline.py": ("100644", b"TRAINING_INSTANCE_TYPE = 'ml.m5.xlarge'\n"),
    "samples/donn\u00e9es.csv": ("100644", b"sex,length,rings\nM,0.455,15\n"),
    "scripts/run.sh": ("100755", b"#!/bin/sh\nexec python -m pipelines.run \"$@\"\n"),
    "scripts/latest": ("120000", b"../pipelines/abalone"),
}


@pytest.fixture
def seed_tree() -> Dict[str, Tuple[str, bytes]]:
    """What the seed_dir fixture's seed commits: path -> (git mode, content)."""
    return dict(SEED_TREE)


@pytest.fixture
def seed_dir(tmp_path) -> Path:
    """A seed directory: SEED_TREE (an executable script, a link, a non-ASCII name, a
    README the repository already has) among files that must never be committed."""
    root = tmp_path / "seed"
    for path, (mode, content) in SEED_TREE.items():
        write_entry(root / path, mode, content)
    junk = [
        ".git/HEAD", ".venv/bin/python", "pipelines/__pycache__/pipeline.cpython-312.pyc", "stray.pyc",
        ".pytest_cache/v/cache/nodeids", "abalone_modelbuild.egg-info/PKG-INFO", "cdk.out/manifest.json",
        "build/lib/pipelines/pipeline.py", "node_modules/x/index.js", "go.work",
    ]
    for path in junk:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("never seeded\n")
    return root


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (once the probe socket is closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture
def silent_remote():
    """The URL of a server on 127.0.0.1 that accepts connections but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield "http://127.0.0.1:{}/silent.git".format(s.getsockname()[1])


class GitCGI(BaseHTTPRequestHandler):
    """Hands each HTTP request to ``git http-backend`` (a CGI program) and relays its
    answer. ``project_root`` is the directory whose repositories are served."""

    project_root = ""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.relay()

    def do_POST(self):  # noqa: N802
        self.relay()

    def log_message(self, *args):
        """Keeps the test output quiet."""

    def body(self) -> bytes:
        """The request body, with chunked transfer encoding undone."""
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def relay(self):
        path, _, query = self.path.partition("?")
        body = self.body()
        env = dict(
            os.environ,
            GIT_PROJECT_ROOT=self.project_root,
            GIT_HTTP_EXPORT_ALL="1",
            GATEWAY_INTERFACE="CGI/1.1",
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD=self.command,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(len(body)),
            HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""),
            HTTP_GIT_PROTOCOL=self.headers.get("Git-Protocol", ""),
            REMOTE_ADDR="127.0.0.1",
        )
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, content = proc.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


@pytest.fixture
def http_url(remote):
    """The remote's URL over git's smart HTTP protocol, served on 127.0.0.1 while the
    test runs."""
    handler = type("Handler", (GitCGI,), {"project_root": str(remote.path.parent)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:{}/{}".format(server.server_address[1], remote.path.name)
    server.shutdown()
    server.server_close()
    thread.join()
