"""Seeds an existing Git repository's branch with a project's sample code, as one commit.

Runs in the seeding CodeBuild project when a SageMaker MLOps project whose code lives
on GitHub, GitLab or Bitbucket (reached through an AWS CodeConnections connection) is
created with its "seed with sample code" switch on. It works with any git remote URL:
the buildspec points git at the connection's git-http endpoint and its credential
helper; tests use local paths, file:// and http:// URLs.

What it does: it fetches the branch into a scratch bare repository, builds a commit
whose tree is the branch's tree plus the seed files it lacks, and pushes that commit
with a normal (never forced) push. Only git plumbing is used, so the user's files are
never checked out, filtered or rewritten, and none of the repository's hooks run here.

The rules, chosen so that nobody's work is ever lost or silently mixed up:

* The user's commits and files stay exactly as they are. The seed commit's parent is
  the branch's tip, and a path the branch already has is never modified, whatever the
  seed holds there (typically the README the repository was created with). The seed
  file is left out ("kept" path) and every kept path is listed in the commit message,
  in the log and, as a count, in the results. A seed file whose path the branch uses
  as a directory, or below a path the branch has as a file, is kept out the same way.
* Seeding happens at most once per branch and seed. The seed commit ends with the
  trailer ``Seeded-By: <seed name>``; if the branch's history holds that line, nothing
  is done ("already-seeded"), whatever the branch holds now. This is what a user who
  edited, moved or deleted seed files after the first seeding expects when the project
  is created again: the old sample code does not come back over their own work.
* If the branch already holds every seed file with identical content and mode (for
  example code copied by hand, or seeded by another tool), nothing is done
  ("already-seeded"). If it holds every seed path but some with the user's own content,
  nothing is done either ("nothing-to-add") and the kept paths are listed.
* The push is never forced. If the branch moved between the fetch and the push, the
  push is rejected and the script fails saying so, with both commits; nothing was
  overwritten and running it again seeds on top of the new tip (or finds it seeded).

Every failure (unreachable remote, missing branch, empty seed, rejected push, a git
command that does not answer in time) ends the script with status 1 and one line on
standard error: ``seeding failed: <cause>``. The seeding custom resource looks for that
line in the build's log to put the cause in the CloudFormation event.

Results: with ``--result-file FILE``, FILE gets shell ``export`` lines for SEED_RESULT
(seeded, already-seeded or nothing-to-add), SEED_COMMIT (the branch's tip once done:
the new seed commit when seeded), SEED_ADDED and SEED_KEPT (numbers of seed files added
and kept out). The buildspec sources FILE in its build phase and lists the variables in
``env.exported-variables``. Standard library only; Python 3.9 or later.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

SEEDED = "seeded"
ALREADY_SEEDED = "already-seeded"
NOTHING_TO_ADD = "nothing-to-add"

TRAILER = "Seeded-By"
DEFAULT_AUTHOR_NAME = "SageMaker MLOps project"
DEFAULT_AUTHOR_EMAIL = "mlops-project@noreply.local"
DEFAULT_NETWORK_TIMEOUT = 600

# Names never seeded, at any depth: version control, virtual environments, caches,
# build and synth output, and development-only workspace files.
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "*.pyc", "*.pyo",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", "*.egg-info", "build", "dist",
    "cdk.out", "node_modules", ".coverage", "htmlcov", ".DS_Store", "go.work", "go.work.sum",
)
SEED_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
URL_CREDENTIALS = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


class SeedError(Exception):
    """Seeding cannot go on; the message is the one-line cause."""


@dataclass(frozen=True)
class SeedFile:
    """One file of the seed: its path in the repository (with /), where it is on disk,
    and its git mode (100644, 100755 for an executable, 120000 for a symbolic link)."""

    path: str
    source: str
    mode: str


@dataclass
class Outcome:
    """What seeding a branch did or is about to do.

    ``commit`` is the branch's tip once seeding is done; for a SEEDED outcome that is
    the new commit, which exists only in the scratch repository until it is published.
    ``seeded_by`` is the earlier seed commit found in the branch's history, if any.
    """

    result: str
    remote: str
    branch: str
    base: str
    commit: str
    repository: str
    added: List[str] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)
    seeded_by: str = ""

    def exports(self) -> Dict[str, str]:
        """The results as the environment variables the buildspec exports."""
        return {
            "SEED_RESULT": self.result,
            "SEED_COMMIT": self.commit,
            "SEED_ADDED": str(len(self.added)),
            "SEED_KEPT": str(len(self.kept)),
        }


def redact(text: str) -> str:
    """Hides the user name and password of any URL in text."""
    return URL_CREDENTIALS.sub(r"\1***@", text)


def run_git(
    args: Sequence[str],
    cwd: Optional[str] = None,
    env: Optional[Dict[str, str]] = None,
    stdin: Optional[bytes] = None,
    timeout: Optional[float] = None,
) -> Tuple[int, str, str]:
    """Runs git and returns its exit status, standard output and standard error.

    Messages are in English (LC_ALL=C) and git never prompts for credentials. Past the
    timeout, git and the helpers it started (such as git-remote-https) are killed and
    SeedError says that git did not answer.
    """
    full_env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
    full_env.update(env or {})
    proc = subprocess.Popen(
        ["git", *args], cwd=cwd, env=full_env, start_new_session=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SeedError("git {} did not answer within {} seconds".format(args[0], timeout)) from None
    return proc.returncode, out.decode("utf-8", "surrogateescape"), err.decode("utf-8", "replace")


def git(
    args: Sequence[str],
    cwd: Optional[str] = None,
    env: Optional[Dict[str, str]] = None,
    stdin: Optional[bytes] = None,
    timeout: Optional[float] = None,
) -> str:
    """Runs git and returns its standard output; raises SeedError with git's own reason
    (see git_reason) when it fails."""
    code, out, err = run_git(args, cwd, env, stdin, timeout)
    if code != 0:
        raise SeedError(git_reason(err, "git {} failed with status {}".format(args[0], code)))
    return out


def git_reason(stderr: str, fallback: str) -> str:
    """The one line of git's error output that says why it failed: its first ``fatal:``
    or ``error:`` line, else its last line, with any URL credentials hidden."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return redact(line[len(prefix):])
    return redact(lines[-1]) if lines else fallback


def excluded(name: str, excludes: Sequence[str]) -> bool:
    """Tells whether a file or directory name matches one of the exclude patterns."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in excludes)


def collect_seed_files(seed_dir: str, excludes: Sequence[str] = DEFAULT_EXCLUDES) -> List[SeedFile]:
    """The seed's files, sorted by path, without the excluded names.

    Directories are walked without following symbolic links; a symbolic link is seeded
    as a link. Fails when the directory does not exist or has nothing to seed.
    """
    if not os.path.isdir(seed_dir):
        raise SeedError("the seed directory {} does not exist".format(seed_dir))
    seed_dir = os.path.abspath(seed_dir)
    files = []
    for root, dirs, names in os.walk(seed_dir):
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = [d for d in dirs if d not in links and not excluded(d, excludes)]
        for name in names + links:
            if excluded(name, excludes):
                continue
            source = os.path.join(root, name)
            path = os.path.relpath(source, seed_dir).replace(os.sep, "/")
            if "\n" in path:
                raise SeedError("the seed file name {!r} has a line break, which git cannot take here".format(path))
            files.append(SeedFile(path, source, file_mode(source)))
    if not files:
        raise SeedError("the seed directory {} has no files to seed (after leaving out {})".format(seed_dir, ", ".join(excludes)))
    return sorted(files, key=lambda f: f.path)


def file_mode(path: str) -> str:
    """The git mode of a file: git keeps only the owner's executable bit, and links."""
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        return "120000"
    return "100755" if mode & stat.S_IXUSR else "100644"


def remote_branches(remote: str, timeout: float) -> Dict[str, str]:
    """The remote's branches and their commits; fails clearly when it cannot be reached."""
    try:
        out = git(["ls-remote", "--heads", remote], timeout=timeout)
    except SeedError as e:
        raise SeedError("cannot reach the repository {}: {}".format(redact(remote), e)) from None
    branches = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/"):
            branches[ref[len("refs/heads/"):]] = sha
    return branches


def check_branch(remote: str, branch: str, branches: Dict[str, str]) -> None:
    """Fails naming the branch and the ones that exist when the remote lacks it."""
    if branch in branches:
        return
    if not branches:
        raise SeedError(
            "branch {} does not exist in {}: the repository has no branches; push a first commit "
            "(such as a README) to {}".format(branch, redact(remote), branch)
        )
    raise SeedError("branch {} does not exist in {}; its branches: {}".format(branch, redact(remote), ", ".join(sorted(branches))))


def fetch_branch(remote: str, branch: str, repository: str, timeout: float) -> str:
    """Fetches the branch into a new scratch bare repository and returns its tip."""
    git(["init", "--quiet", "--bare", repository])
    ref = "refs/heads/" + branch
    try:
        git(["fetch", "--quiet", "--no-tags", remote, "+{0}:{0}".format(ref)], cwd=repository, timeout=timeout)
    except SeedError as e:
        raise SeedError("cannot fetch branch {} of {}: {}".format(branch, redact(remote), e)) from None
    return git(["rev-parse", "--verify", ref + "^{commit}"], cwd=repository).strip()


def earlier_seeding(repository: str, tip: str, seed_name: str) -> str:
    """The latest commit in the branch's history with this seed's trailer, or ""."""
    return git(["log", "-1", "--format=%H", "--grep=^{}: {}$".format(TRAILER, seed_name), tip], cwd=repository).strip()


def tree_entries(repository: str, commit: str) -> Dict[str, Tuple[str, str]]:
    """Every file, link and submodule of the commit's tree: path -> (mode, object id)."""
    out = git(["ls-tree", "-r", "-z", "--full-tree", commit], cwd=repository)
    entries = {}
    for record in out.split("\0"):
        if record:
            meta, _, path = record.partition("\t")
            mode, _, sha = meta.split(" ")
            entries[path] = (mode, sha)
    return entries


def hash_seed_files(repository: str, files: Sequence[SeedFile]) -> Dict[str, str]:
    """Writes the seed files as blobs, byte for byte (no filters), and returns path -> id."""
    regular = [f for f in files if f.mode != "120000"]
    ids = {}
    if regular:
        listing = b"".join(os.fsencode(f.source) + b"\n" for f in regular)
        out = git(["hash-object", "-w", "--no-filters", "--stdin-paths"], cwd=repository, stdin=listing)
        ids.update(zip((f.path for f in regular), out.split()))
    for link in (f for f in files if f.mode == "120000"):
        target = os.fsencode(os.readlink(link.source))
        ids[link.path] = git(["hash-object", "-w", "--no-filters", "--stdin"], cwd=repository, stdin=target).strip()
    return ids


def parents(path: str) -> List[str]:
    """The directories above a path, e.g. a/b/c -> [a, a/b]."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def plan(entries: Dict[str, Tuple[str, str]], seed: Dict[str, Tuple[str, str]]) -> Tuple[List[str], List[str]]:
    """Splits the seed (path -> (mode, id)) against the branch's tree entries into the
    paths to add and the paths kept out because the branch has something else there:
    another content or mode, a directory, or a file where the seed needs a directory.
    Paths the branch has identically are in neither list."""
    directories = {d for path in entries for d in parents(path)}
    add, kept = [], []
    for path in sorted(seed):
        if path in entries:
            if entries[path] != seed[path]:
                kept.append(path)
        elif path in directories or any(p in entries for p in parents(path)):
            kept.append(path)
        else:
            add.append(path)
    return add, kept


def commit_message(seed_name: str, subject: Optional[str], added: List[str], kept: List[str]) -> str:
    """The seed commit's message: subject, what was added and kept, and the trailer."""
    lines = [subject or "Add the SageMaker MLOps project's {} seed code".format(seed_name), ""]
    lines.append("Adds the {} files of the {} seed code that the branch did not have.".format(len(added), seed_name))
    if kept:
        lines += ["", "Kept the repository's own version of these seed paths (not changed):"]
        lines += ["  " + path for path in kept]
    lines += ["", "{}: {}".format(TRAILER, seed_name)]
    return "\n".join(lines) + "\n"


def make_commit(
    repository: str,
    base: str,
    seed: Dict[str, Tuple[str, str]],
    add: List[str],
    message: str,
    author: Tuple[str, str],
) -> str:
    """Creates, in the scratch repository, the commit whose tree is the base's tree plus
    the added seed entries, with base as its only parent, and returns its id."""
    index = {"GIT_INDEX_FILE": os.path.join(repository, "seed-index")}
    git(["read-tree", base], cwd=repository, env=index)
    info = b"".join("{} {}\t{}\0".format(seed[p][0], seed[p][1], p).encode("utf-8", "surrogateescape") for p in add)
    git(["update-index", "-z", "--index-info"], cwd=repository, env=index, stdin=info)
    tree = git(["write-tree"], cwd=repository, env=index).strip()
    identity = {
        "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
    }
    return git(["commit-tree", "--no-gpg-sign", "-p", base, "-F", "-", tree], cwd=repository,
               env=identity, stdin=message.encode("utf-8", "surrogateescape")).strip()


def prepare(
    remote: str,
    branch: str,
    files: Sequence[SeedFile],
    seed_name: str,
    workdir: str,
    subject: Optional[str] = None,
    author: Tuple[str, str] = (DEFAULT_AUTHOR_NAME, DEFAULT_AUTHOR_EMAIL),
    timeout: float = DEFAULT_NETWORK_TIMEOUT,
) -> Outcome:
    """Fetches the branch and decides what to do; when seeding is due, makes the seed
    commit in a scratch repository under workdir (see publish)."""
    if not SEED_NAME_PATTERN.match(seed_name):
        raise SeedError("the seed name {!r} must be letters, digits, - and _".format(seed_name))
    try:
        git(["check-ref-format", "--branch", branch])
    except SeedError:
        raise SeedError("{!r} is not a valid branch name".format(branch)) from None
    check_branch(remote, branch, remote_branches(remote, timeout))
    repository = os.path.join(workdir, "seed.git")
    base = fetch_branch(remote, branch, repository, timeout)
    earlier = earlier_seeding(repository, base, seed_name)
    if earlier:
        return Outcome(ALREADY_SEEDED, remote, branch, base, base, repository, seeded_by=earlier)
    hashes = hash_seed_files(repository, files)
    seed = {f.path: (f.mode, hashes[f.path]) for f in files}
    add, kept = plan(tree_entries(repository, base), seed)
    if not add:
        return Outcome(NOTHING_TO_ADD if kept else ALREADY_SEEDED, remote, branch, base, base, repository, kept=kept)
    commit = make_commit(repository, base, seed, add, commit_message(seed_name, subject, add, kept), author)
    return Outcome(SEEDED, remote, branch, base, commit, repository, add, kept)


def publish(outcome: Outcome, timeout: float = DEFAULT_NETWORK_TIMEOUT) -> None:
    """Pushes a SEEDED outcome's commit to its branch with a normal, fast-forward-only
    push; other outcomes push nothing. Fails saying so when the branch moved meanwhile
    or the remote refused the push (a protected branch, a hook). A push that git
    reports as failed but that did move the branch to the commit counts as done."""
    if outcome.result != SEEDED:
        return
    ref = "refs/heads/" + outcome.branch
    where = "branch {} of {}".format(outcome.branch, redact(outcome.remote))
    code, out, err = run_git(["push", "--porcelain", "--no-verify", outcome.remote, "{}:{}".format(outcome.commit, ref)],
                             cwd=outcome.repository, timeout=timeout)
    if code == 0:
        return
    try:
        now = remote_branches(outcome.remote, timeout).get(outcome.branch)
    except SeedError:
        now = outcome.base
    if now == outcome.commit:
        return
    if now != outcome.base:
        raise SeedError(
            "{} moved while seeding (from {} to {}), so the push was rejected; nothing was forced or "
            "overwritten: run the seeding again to add the seed on top of the new commits".format(where, outcome.base, now or "deleted")
        )
    raise SeedError("the push to {} was rejected: {}".format(where, push_reason(out, err)))


def push_reason(porcelain: str, stderr: str) -> str:
    """Why git push failed: the rejected ref's summary from the porcelain output (such as
    ``[remote rejected] (protected branch hook declined)``) and what the remote said, or
    git's own error when no ref was rejected (the remote was not reached)."""
    rejected = [line.split("\t")[2] for line in porcelain.splitlines() if line.startswith("!\t") and line.count("\t") >= 2]
    if not rejected:
        return git_reason(stderr, "git push failed")
    said = [line[len("remote:"):].strip() for line in stderr.splitlines() if line.startswith("remote:")]
    said = [line for line in said if line]
    reason = rejected[0]
    if said:
        reason += "; the remote said: " + redact(" ".join(said))[:400]
    return reason


def seed(
    remote: str,
    branch: str,
    seed_dir: str,
    seed_name: str,
    workdir: str,
    subject: Optional[str] = None,
    author: Tuple[str, str] = (DEFAULT_AUTHOR_NAME, DEFAULT_AUTHOR_EMAIL),
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    timeout: float = DEFAULT_NETWORK_TIMEOUT,
) -> Outcome:
    """Seeds the branch (see the module's rules) and returns the outcome."""
    files = collect_seed_files(seed_dir, excludes)
    outcome = prepare(remote, branch, files, seed_name, workdir, subject, author, timeout)
    publish(outcome, timeout)
    return outcome


def write_results(path: str, outcome: Outcome) -> None:
    """Writes the results as shell export lines, for the buildspec to source."""
    with open(path, "w", encoding="utf-8") as f:
        for key, value in outcome.exports().items():
            f.write("export {}={}\n".format(key, shlex.quote(value)))


def summary(outcome: Outcome) -> List[str]:
    """Lines for the build log that say what was done."""
    where = "branch {} of {}".format(outcome.branch, redact(outcome.remote))
    if outcome.result == SEEDED:
        lines = ["seeded {}: commit {} adds {} files on top of {}".format(where, outcome.commit, len(outcome.added), outcome.base)]
    elif outcome.seeded_by:
        lines = ["{} was already seeded by commit {} (its history has that {} trailer): nothing changed".format(
            where, outcome.seeded_by, TRAILER)]
    elif outcome.result == ALREADY_SEEDED:
        lines = ["{} already holds every seed file unchanged (at {}): nothing changed".format(where, outcome.commit)]
    else:
        lines = ["{} already has every seed path (at {}): nothing changed".format(where, outcome.commit)]
    lines += ["  added: " + path for path in outcome.added]
    lines += ["  kept the repository's own: " + path for path in outcome.kept]
    return lines


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """Parses the command line."""
    parser = argparse.ArgumentParser(
        description="Adds a seed directory to a Git branch as one commit, once, never overwriting "
                    "existing files and never forcing the push.")
    parser.add_argument("--remote", required=True, help="the repository's git URL or path")
    parser.add_argument("--branch", required=True, help="the existing branch to seed")
    parser.add_argument("--seed-dir", required=True, help="the directory whose files are seeded")
    parser.add_argument("--seed-name", required=True,
                        help="names the seed in the commit's Seeded-By trailer, e.g. modelbuild")
    parser.add_argument("--message", help="the commit's subject line")
    parser.add_argument("--author-name", default=DEFAULT_AUTHOR_NAME, help="author and committer name")
    parser.add_argument("--author-email", default=DEFAULT_AUTHOR_EMAIL, help="author and committer e-mail")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="another file or directory name pattern never seeded (repeatable)")
    parser.add_argument("--network-timeout", type=int, default=DEFAULT_NETWORK_TIMEOUT, metavar="SECONDS",
                        help="bound of each git command that talks to the remote")
    parser.add_argument("--result-file", help="file to write the results to, as shell export lines")
    args = parser.parse_args(argv)
    if args.remote.startswith("-"):
        parser.error("--remote must be a URL or a path, not {!r}".format(args.remote))
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns 0 on success, 1 when seeding failed."""
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="seed-") as workdir:
            outcome = seed(
                args.remote, args.branch, args.seed_dir, args.seed_name, workdir, args.message,
                (args.author_name, args.author_email), (*DEFAULT_EXCLUDES, *args.exclude), args.network_timeout,
            )
    except SeedError as e:
        print("seeding failed: {}".format(e), file=sys.stderr)
        return 1
    if args.result_file:
        write_results(args.result_file, outcome)
    print("\n".join(summary(outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
