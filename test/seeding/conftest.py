"""Fixtures of the seeding tests: real git repositories in a temporary directory, a git
smart-HTTP server on 127.0.0.1 (git http-backend behind a small CGI bridge), and a moto
server for the custom resource handler."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "constructs" / "source" / "seeder"))
sys.path.insert(0, str(ROOT / "constructs" / "source" / "seedhandler"))

USER = {"GIT_AUTHOR_NAME": "Dana Scientist", "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Scientist", "GIT_COMMITTER_EMAIL": "dana@example.com"}


def git(*args, cwd=None, env=None) -> str:
    """Runs git as the repository's human user."""
    full = dict(os.environ, **USER, **(env or {}))
    return subprocess.run(["git", *args], cwd=cwd, env=full, check=True, capture_output=True, text=True).stdout.strip()


class Remote:
    """A bare repository created with a README on main, as the walkthrough asks, and a
    working clone to act as the user."""

    def __init__(self, root: Path):
        self.path = root / "remote.git"
        git("init", "--quiet", "--bare", "--initial-branch=main", str(self.path))
        git("config", "http.receivepack", "true", cwd=self.path)
        self.user = root / "user"
        git("clone", "--quiet", str(self.path), str(self.user))
        (self.user / "README.md").write_text("# Our model\n")
        git("add", "README.md", cwd=self.user)
        git("commit", "--quiet", "-m", "Initial commit", cwd=self.user)
        git("push", "--quiet", "origin", "HEAD:main", cwd=self.user)
        self.readme_commit = self.head()

    def head(self, branch: str = "main") -> str:
        return git("rev-parse", branch, cwd=self.path)

    def files(self, rev: str = "main") -> dict:
        """Path -> (mode, content) of the tree at rev."""
        out = {}
        for line in git("ls-tree", "-r", rev, cwd=self.path).splitlines():
            meta, path = line.split("\t", 1)
            mode, _, blob = meta.split()
            out[path] = (mode, git("cat-file", "blob", blob, cwd=self.path))
        return out


@pytest.fixture
def remote(tmp_path) -> Remote:
    return Remote(tmp_path)


@pytest.fixture
def seed_dir(tmp_path) -> Path:
    """A seed tree with a README (which the repository already has), code, an
    executable script, and files that must never be committed."""
    d = tmp_path / "seed"
    (d / "pipelines").mkdir(parents=True)
    (d / "README.md").write_text("# Seed README\n")
    (d / "pipelines" / "pipeline.py").write_text("STEPS = 4\n")
    (d / "pipelines" / "run.sh").write_text("#!/bin/sh\necho run\n")
    (d / "pipelines" / "run.sh").chmod(0o755)
    (d / "pipelines" / "__pycache__").mkdir()
    (d / "pipelines" / "__pycache__" / "pipeline.cpython-311.pyc").write_bytes(b"\x00")
    (d / ".venv" / "bin").mkdir(parents=True)
    (d / ".venv" / "bin" / "python").write_text("")
    (d / "model.egg-info").mkdir()
    (d / "model.egg-info" / "PKG-INFO").write_text("")
    return d


class _GitCGI(BaseHTTPRequestHandler):
    """Bridges HTTP requests to git http-backend (CGI)."""

    project_root = ""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self._run()

    def do_POST(self):  # noqa: N802
        self._run()

    def log_message(self, *args):
        pass

    def _run(self):
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = dict(
            os.environ,
            GIT_PROJECT_ROOT=self.project_root,
            GIT_HTTP_EXPORT_ALL="1",
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD=self.command,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(length),
            HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""),
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
def http_remote(remote):
    """The remote served over git's smart HTTP protocol on 127.0.0.1."""
    handler = type("Handler", (_GitCGI,), {"project_root": str(remote.path.parent)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:{}/{}".format(server.server_address[1], remote.path.name)
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def aws():
    """A moto server on 127.0.0.1; boto3 in this process talks to it while it runs."""
    from moto.server import ThreadedMotoServer

    port = closed_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    keys = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({"AWS_ENDPOINT_URL": "http://127.0.0.1:{}".format(port), "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    yield
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)
