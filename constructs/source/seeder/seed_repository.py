"""Seeds an existing Git repository with a project's sample code, as one commit.

Runs in a CodeBuild project when a SageMaker MLOps project whose code lives on GitHub,
GitLab or Bitbucket (through an AWS CodeConnections connection) is created. It clones
the branch, adds the seed files, commits them with a fixed identity and a
``Seeded-By`` trailer naming the seed, and pushes with a normal push.

Rules, so that nobody's work is ever lost:

* The user's commits and files stay. A seed file the branch already has (typically
  the README the repository was created with) keeps the user's version; the commit
  adds only the seed files that are absent.
* Seeding happens once per branch. If the branch's history already holds a commit with
  this seed's trailer, nothing is done ("already-seeded"): whatever the user changed,
  deleted or added since is theirs, and a re-created project does not bring deleted
  files back or overwrite edited ones.
* The push is never forced. If the branch moved while seeding, the push is rejected
  and the script fails saying so; running it again starts from the new tip.

Results go to --result-file as shell ``export`` lines (SEED_RESULT, SEED_COMMIT),
which the buildspec sources so that CodeBuild exports them to the stack.
Standard library only.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

# Paths never seeded: version control, virtual environments, caches, build output.
EXCLUDES = [
    ".git", ".venv", "venv", "__pycache__", "*.pyc", ".pytest_cache", "*.egg-info",
    "build", "dist", "cdk.out", "node_modules", ".coverage", "htmlcov", "go.work", "go.work.sum",
]
TRAILER = "Seeded-By"
DEFAULT_AUTHOR = ("SageMaker MLOps project", "mlops-project@noreply.local")


class SeedError(Exception):
    """Seeding cannot go on; the message says why and what to do."""


def git(args: List[str], cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> str:
    """Runs git, returning its standard output; raises SeedError with git's own words."""
    full_env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    if env:
        full_env.update(env)
    proc = subprocess.run(["git"] + args, cwd=cwd, env=full_env, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [l for l in (proc.stderr or proc.stdout).strip().splitlines() if l.strip()]
        raise SeedError(lines[-1] if lines else "git {} failed".format(args[0]))
    return proc.stdout


def seed_files(seed_dir: str) -> Dict[str, str]:
    """Maps each seed file's path in the repository (with /) to its path on disk."""
    files = {}
    for root, dirs, names in os.walk(seed_dir):
        dirs[:] = sorted(d for d in dirs if not excluded(d))
        for name in sorted(names):
            if excluded(name):
                continue
            path = os.path.join(root, name)
            files[os.path.relpath(path, seed_dir).replace(os.sep, "/")] = path
    if not files:
        raise SeedError("the seed directory {} has no files to seed".format(seed_dir))
    return files


def excluded(name: str) -> bool:
    """Tells whether a file or directory name is never seeded."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDES)


def check_branch(remote: str, branch: str) -> None:
    """Fails clearly when the remote cannot be reached or has no such branch."""
    try:
        heads = git(["ls-remote", "--heads", remote])
    except SeedError as e:
        raise SeedError("cannot reach the repository {}: {}".format(remote, e))
    branches = [line.split("refs/heads/", 1)[1] for line in heads.splitlines() if "refs/heads/" in line]
    if branch not in branches:
        known = ", ".join(branches) if branches else "none: create the repository with a first commit, such as a README"
        raise SeedError("branch {} does not exist in {}; its branches: {}".format(branch, remote, known))


def already_seeded(repo: str, seed_name: str) -> Optional[str]:
    """The commit of an earlier seeding of this seed on the branch, if any."""
    out = git(["log", "--format=%H", "--fixed-strings", "--grep", "{}: {}".format(TRAILER, seed_name)], cwd=repo)
    commits = out.split()
    return commits[-1] if commits else None


def add_absent(repo: str, files: Dict[str, str]) -> Tuple[List[str], List[str]]:
    """Copies the seed files the repository lacks (keeping the executable bit) and
    returns the added paths and the kept ones (already in the repository)."""
    added, kept = [], []
    for rel, src in files.items():
        dst = os.path.join(repo, rel)
        if os.path.lexists(dst):
            kept.append(rel)
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
        added.append(rel)
    return added, kept


def seed(
    remote: str,
    branch: str,
    seed_dir: str,
    seed_name: str,
    workdir: str,
    message: Optional[str] = None,
    author: Tuple[str, str] = DEFAULT_AUTHOR,
) -> Dict[str, str]:
    """Seeds the branch and returns the results (SEED_RESULT, SEED_COMMIT, ...)."""
    files = seed_files(seed_dir)
    check_branch(remote, branch)
    repo = os.path.join(workdir, "repository")
    git(["clone", "--quiet", "--single-branch", "--branch", branch, remote, repo])
    head = git(["rev-parse", "HEAD"], cwd=repo).strip()
    earlier = already_seeded(repo, seed_name)
    if earlier:
        return {"SEED_RESULT": "already-seeded", "SEED_COMMIT": earlier, "SEED_HEAD": head}
    added, kept = add_absent(repo, files)
    if not added:
        return {"SEED_RESULT": "nothing-to-add", "SEED_COMMIT": head, "SEED_HEAD": head, "SEED_KEPT": " ".join(kept)}
    git(["add", "--"] + added, cwd=repo)
    body = message or "Add the SageMaker project's {} seed code".format(seed_name)
    if kept:
        body += "\n\nKept the repository's own " + ", ".join(kept) + "."
    body += "\n\n{}: {}".format(TRAILER, seed_name)
    identity = {
        "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
    }
    git(["commit", "--quiet", "--no-verify", "-m", body], cwd=repo, env=identity)
    commit = git(["rev-parse", "HEAD"], cwd=repo).strip()
    try:
        git(["push", "--quiet", "origin", "HEAD:refs/heads/" + branch], cwd=repo)
    except SeedError as e:
        raise SeedError(
            "the push to {} was rejected ({}); the branch probably moved while seeding. "
            "Nothing was overwritten: run the seeding again".format(branch, e)
        )
    return {"SEED_RESULT": "seeded", "SEED_COMMIT": commit, "SEED_HEAD": head, "SEED_KEPT": " ".join(kept)}


def write_results(path: str, results: Dict[str, str]) -> None:
    """Writes the results as shell export lines."""
    with open(path, "w") as f:
        for key in sorted(results):
            f.write("export {}='{}'\n".format(key, results[key].replace("'", "")))


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote", required=True, help="the repository's git URL")
    parser.add_argument("--branch", required=True, help="the branch to seed")
    parser.add_argument("--seed-dir", required=True, help="the directory of seed files")
    parser.add_argument("--seed-name", required=True, help="names the seed in the commit trailer, e.g. modelbuild")
    parser.add_argument("--message", help="the commit's subject")
    parser.add_argument("--author-name", default=DEFAULT_AUTHOR[0])
    parser.add_argument("--author-email", default=DEFAULT_AUTHOR[1])
    parser.add_argument("--result-file", help="where to write the shell export lines of the results")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="seed-") as workdir:
            results = seed(args.remote, args.branch, args.seed_dir, args.seed_name, workdir,
                           args.message, (args.author_name, args.author_email))
    except SeedError as e:
        print("seeding failed: {}".format(e), file=sys.stderr)
        return 1
    if args.result_file:
        write_results(args.result_file, results)
    print("seeding {}: {} ({})".format(args.branch, results["SEED_RESULT"], results["SEED_COMMIT"]))
    if results.get("SEED_KEPT"):
        print("kept the repository's own: {}".format(results["SEED_KEPT"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
