"""seed_repository.py against real git repositories on this machine: local path,
file:// and smart HTTP (git http-backend) remotes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import seed_repository as sr

IDENTITY = "SageMaker MLOps project <mlops-project@noreply.local>"
ADDED = ["codebuild-buildspec.yml", "pipelines/__init__.py", "pipelines/abalone/pipeline.py",
         "samples/donn\u00e9es.csv", "scripts/latest", "scripts/run.sh"]
FIRST_MESSAGE = """Add the SageMaker MLOps project's modelbuild seed code

Adds the 6 files of the modelbuild seed code that the branch did not have.

Kept the repository's own version of these seed paths (not changed):
  README.md

Seeded-By: modelbuild"""


@pytest.fixture
def seeded_tree(remote, seed_tree):
    """The tree a first seeding makes: the seed, with the user's README."""
    return dict(seed_tree, **{"README.md": ("100644", remote.readme)})


def test_first_run_adds_one_commit_with_the_seed_on_top_of_the_readme(remote, seed_dir, seeded_tree, workdir):
    outcome = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert (outcome.result, outcome.added, outcome.kept) == ("seeded", ADDED, ["README.md"])
    assert (outcome.base, outcome.commit) == (remote.readme_commit, remote.head())
    assert remote.git("rev-list", "--parents", "main") == "{} {}\n{}".format(
        outcome.commit, remote.readme_commit, remote.readme_commit), "one commit, whose only parent is the README's"
    assert remote.tree() == seeded_tree, "the user's README and the seed (modes, links, contents), nothing else"
    assert remote.tree()["scripts/run.sh"][0] == "100755"
    assert remote.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", "main") == IDENTITY + "|" + IDENTITY
    assert remote.git("log", "-1", "--format=%B", "main") == FIRST_MESSAGE
    assert outcome.exports() == {"SEED_RESULT": "seeded", "SEED_COMMIT": outcome.commit, "SEED_ADDED": "6", "SEED_KEPT": "1"}


def test_seeding_over_smart_http_then_again_pushes_once(remote, http_url, seed_dir, seeded_tree, workdir):
    pushes = remote.record_pushes()

    first = sr.seed(http_url, "main", str(seed_dir), "modelbuild", workdir())
    second = sr.seed(http_url, "main", str(seed_dir), "modelbuild", workdir())

    assert first.result == "seeded"
    assert remote.head() == first.commit
    assert remote.tree() == seeded_tree
    assert (second.result, second.commit, second.seeded_by) == ("already-seeded", first.commit, first.commit)
    assert pushes.read_text() == "{} {} refs/heads/main\n".format(remote.readme_commit, first.commit), "one push only"


def test_a_second_run_is_a_no_op_that_pushes_nothing(remote, seed_dir, workdir):
    url = "file://" + str(remote.path)
    first = sr.seed(url, "main", str(seed_dir), "modelbuild", workdir())
    pushes = remote.record_pushes()

    second = sr.seed(url, "main", str(seed_dir), "modelbuild", workdir())

    assert (second.result, second.commit, second.added, second.kept) == ("already-seeded", first.commit, [], [])
    assert remote.head() == first.commit
    assert not pushes.exists(), "no push at all"
    assert second.exports() == {"SEED_RESULT": "already-seeded", "SEED_COMMIT": first.commit, "SEED_ADDED": "0", "SEED_KEPT": "0"}


def test_edits_and_deletions_after_the_seeding_stay(remote, seed_dir, seeded_tree, workdir):
    sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())
    own = b"TRAINING_INSTANCE_TYPE = 'ml.m5.large'\n"
    users = remote.commit_as_user({"pipelines/abalone/pipeline.py": own, "scripts/run.sh": None}, "Use a smaller instance")

    again = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert (again.result, again.commit) == ("already-seeded", users)
    assert remote.head() == users
    seeded_tree["pipelines/abalone/pipeline.py"] = ("100644", own)
    del seeded_tree["scripts/run.sh"]
    assert remote.tree() == seeded_tree


def test_the_users_own_versions_of_seed_files_are_kept_and_only_absent_ones_added(remote, seed_dir, seeded_tree, workdir):
    own = ("100755", b"# our own pipeline\n")
    users = remote.commit_as_user({"pipelines/abalone/pipeline.py": own}, "Start our pipeline")

    outcome = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert outcome.result == "seeded"
    assert outcome.kept == ["README.md", "pipelines/abalone/pipeline.py"]
    assert outcome.added == [p for p in ADDED if p != "pipelines/abalone/pipeline.py"]
    assert remote.git("rev-parse", "main^") == users
    assert remote.tree() == dict(seeded_tree, **{"pipelines/abalone/pipeline.py": own})
    assert remote.git("log", "-1", "--format=%B", "main").endswith(
        "Kept the repository's own version of these seed paths (not changed):\n"
        "  README.md\n  pipelines/abalone/pipeline.py\n\nSeeded-By: modelbuild")


def test_a_seed_file_with_only_another_mode_counts_as_the_users_version(remote, seed_dir, seed_tree, workdir):
    not_executable = ("100644", seed_tree["scripts/run.sh"][1])
    remote.commit_as_user({"scripts/run.sh": not_executable}, "Our copy of run.sh")

    outcome = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert outcome.kept == ["README.md", "scripts/run.sh"]
    assert remote.tree()["scripts/run.sh"] == not_executable


def test_a_seed_path_taken_by_a_directory_or_below_a_file_is_kept_out(remote, seed_dir, workdir):
    remote.commit_as_user({"scripts": b"not a directory here\n", "codebuild-buildspec.yml/notes": b"a directory\n"}, "Ours")

    outcome = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert outcome.kept == ["README.md", "codebuild-buildspec.yml", "scripts/latest", "scripts/run.sh"]
    assert outcome.added == ["pipelines/__init__.py", "pipelines/abalone/pipeline.py", "samples/donn\u00e9es.csv"]
    tree = remote.tree()
    assert tree["scripts"] == ("100644", b"not a directory here\n")
    assert tree["codebuild-buildspec.yml/notes"] == ("100644", b"a directory\n")
    assert set(tree) == {"README.md", "scripts", "codebuild-buildspec.yml/notes", *outcome.added}


def test_a_branch_holding_every_seed_file_identically_is_already_seeded(remote, seed_dir, seed_tree, workdir):
    copied = remote.commit_as_user(seed_tree, "Copy the sample code by hand")

    outcome = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert (outcome.result, outcome.commit, outcome.seeded_by, outcome.kept) == ("already-seeded", copied, "", [])
    assert remote.head() == copied


def test_a_branch_holding_every_seed_path_some_its_own_way_gets_nothing(remote, seed_dir, seed_tree, workdir):
    own = dict(seed_tree, **{"codebuild-buildspec.yml": ("100644", b"version: 0.2\n")})
    users = remote.commit_as_user(own, "Our layout")

    outcome = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())

    assert (outcome.result, outcome.commit, outcome.kept) == ("nothing-to-add", users, ["codebuild-buildspec.yml"])
    assert remote.head() == users


def test_excluded_names_are_never_collected(seed_dir):
    files = sr.collect_seed_files(str(seed_dir), (*sr.DEFAULT_EXCLUDES, "*.csv"))

    assert [(f.path, f.mode) for f in files] == [
        ("README.md", "100644"), ("codebuild-buildspec.yml", "100644"), ("pipelines/__init__.py", "100644"),
        ("pipelines/abalone/pipeline.py", "100644"), ("scripts/latest", "120000"), ("scripts/run.sh", "100755"),
    ]


def test_an_unreachable_remote_fails_saying_why(seed_dir, workdir, tmp_path, closed_port):
    url = "http://127.0.0.1:{}/x.git".format(closed_port)
    with pytest.raises(sr.SeedError) as refused:
        sr.seed(url, "main", str(seed_dir), "modelbuild", workdir())
    assert str(refused.value).startswith(
        "cannot reach the repository {0}: unable to access '{0}/': Failed to connect to 127.0.0.1 port {1}".format(url, closed_port))

    missing = str(tmp_path / "no-such-repository.git")
    with pytest.raises(sr.SeedError) as absent:
        sr.seed(missing, "main", str(seed_dir), "modelbuild", workdir())
    assert str(absent.value) == "cannot reach the repository {0}: '{0}' does not appear to be a git repository".format(missing)


def test_credentials_in_the_remote_url_never_appear_in_messages(seed_dir, workdir, closed_port):
    with pytest.raises(sr.SeedError) as e:
        sr.seed("http://seeder:s3cret@127.0.0.1:{}/x.git".format(closed_port), "main", str(seed_dir), "modelbuild", workdir())
    assert "s3cret" not in str(e.value)
    assert str(e.value).startswith("cannot reach the repository http://***@127.0.0.1:{}/x.git: ".format(closed_port))


def test_a_remote_that_never_answers_fails_within_the_network_timeout(silent_remote, seed_dir, workdir):
    started = time.monotonic()
    with pytest.raises(sr.SeedError) as e:
        sr.seed(silent_remote, "main", str(seed_dir), "modelbuild", workdir(), timeout=1)
    assert str(e.value) == "cannot reach the repository {}: git ls-remote did not answer within 1 seconds".format(silent_remote)
    assert time.monotonic() - started < 10


def test_a_missing_branch_fails_naming_it_and_the_existing_ones(remote, seed_dir, workdir):
    remote.commit_as_user({"CHANGELOG.md": b"1.0\n"}, "Release 1.0", branch="release/1.0")
    with pytest.raises(sr.SeedError) as e:
        sr.seed(str(remote.path), "develop", str(seed_dir), "modelbuild", workdir())
    assert str(e.value) == "branch develop does not exist in {}; its branches: main, release/1.0".format(remote.path)


def test_a_repository_without_commits_fails_asking_for_a_first_commit(tmp_path, seed_dir, workdir):
    empty = tmp_path / "empty.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(empty)], check=True)
    with pytest.raises(sr.SeedError) as e:
        sr.seed(str(empty), "main", str(seed_dir), "modelbuild", workdir())
    assert str(e.value) == ("branch main does not exist in {}: the repository has no branches; push a first commit "
                            "(such as a README) to main".format(empty))


def test_a_branch_that_moved_before_the_push_is_not_overwritten(remote, seed_dir, workdir):
    files = sr.collect_seed_files(str(seed_dir))
    outcome = sr.prepare(str(remote.path), "main", files, "modelbuild", workdir())
    users = remote.commit_as_user({"NOTES.md": b"pushed while seeding\n"}, "Meanwhile")

    with pytest.raises(sr.SeedError) as e:
        sr.publish(outcome)

    assert str(e.value) == (
        "branch main of {} moved while seeding (from {} to {}), so the push was rejected; nothing was forced or "
        "overwritten: run the seeding again to add the seed on top of the new commits".format(
            remote.path, remote.readme_commit, users))
    assert remote.head() == users
    assert subprocess.run(["git", "cat-file", "-e", outcome.commit], cwd=remote.path).returncode != 0
    again = sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())
    assert again.result == "seeded"
    assert remote.git("rev-parse", "main^") == users


def test_a_push_the_remote_refuses_fails_with_its_reason(remote, seed_dir, workdir):
    remote.hook("pre-receive", "echo 'main is protected: open a pull request' >&2\nexit 1\n")
    with pytest.raises(sr.SeedError) as e:
        sr.seed(str(remote.path), "main", str(seed_dir), "modelbuild", workdir())
    assert str(e.value) == ("the push to branch main of {} was rejected: [remote rejected] (pre-receive hook declined); "
                            "the remote said: main is protected: open a pull request".format(remote.path))
    assert remote.head() == remote.readme_commit


def test_an_empty_or_missing_seed_directory_fails(remote, tmp_path, workdir):
    empty = tmp_path / "empty-seed"
    (empty / "__pycache__").mkdir(parents=True)
    (empty / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\0")
    with pytest.raises(sr.SeedError) as e:
        sr.seed(str(remote.path), "main", str(empty), "modelbuild", workdir())
    assert str(e.value).startswith("the seed directory {} has no files to seed (after leaving out .git, ".format(empty))

    with pytest.raises(sr.SeedError) as e:
        sr.seed(str(remote.path), "main", str(tmp_path / "nowhere"), "modelbuild", workdir())
    assert str(e.value) == "the seed directory {} does not exist".format(tmp_path / "nowhere")
    assert remote.head() == remote.readme_commit


@pytest.mark.parametrize("branch, seed_name, message", [
    ("main..x", "modelbuild", "'main..x' is not a valid branch name"),
    ("main", "model build", "the seed name 'model build' must be letters, digits, - and _"),
])
def test_invalid_names_fail_before_any_git_traffic(remote, seed_dir, workdir, branch, seed_name, message):
    with pytest.raises(sr.SeedError) as e:
        sr.seed(str(remote.path), branch, str(seed_dir), seed_name, workdir())
    assert str(e.value) == message


def test_the_command_line_writes_the_results_for_codebuild(remote, seed_dir, tmp_path, capsys):
    results = tmp_path / "seed-result"
    code = sr.main(["--remote", str(remote.path), "--branch", "main", "--seed-dir", str(seed_dir),
                    "--seed-name", "modeldeploy", "--message", "Seed the deploy code",
                    "--author-name", "Project Bot", "--author-email", "bot@example.com",
                    "--exclude", "*.csv", "--result-file", str(results)])

    assert code == 0
    head = remote.head()
    exported = subprocess.run(["bash", "-c", '. "$1" && echo "$SEED_RESULT $SEED_COMMIT $SEED_ADDED $SEED_KEPT"', "-", str(results)],
                              capture_output=True, text=True, check=True).stdout
    assert exported == "seeded {} 5 1\n".format(head)
    assert results.read_text() == ("export SEED_RESULT=seeded\nexport SEED_COMMIT={}\nexport SEED_ADDED=5\n"
                                   "export SEED_KEPT=1\n".format(head))
    assert "samples/donn\u00e9es.csv" not in remote.tree()
    assert remote.git("log", "-1", "--format=%s|%an <%ae>|%(trailers:key=Seeded-By,valueonly)") == \
        "Seed the deploy code|Project Bot <bot@example.com>|modeldeploy"
    assert capsys.readouterr().out.splitlines()[0] == \
        "seeded branch main of {}: commit {} adds 5 files on top of {}".format(remote.path, head, remote.readme_commit)


def test_the_script_fails_with_one_line_and_status_1(remote, seed_dir, tmp_path):
    script = sr.__file__
    results = tmp_path / "seed-result"
    proc = subprocess.run([sys.executable, script, "--remote", str(remote.path), "--branch", "trunk",
                           "--seed-dir", str(seed_dir), "--seed-name", "modelbuild", "--result-file", str(results)],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))

    assert proc.returncode == 1
    assert proc.stderr == "seeding failed: branch trunk does not exist in {}; its branches: main\n".format(remote.path)
    assert proc.stdout == ""
    assert not results.exists()
