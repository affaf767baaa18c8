"""seed_repository.py against real git repositories."""

import subprocess

import pytest

import seed_repository as sr

from .conftest import closed_port, git

SEEDED = {"README.md", "pipelines/pipeline.py", "pipelines/run.sh"}


def seed(remote_url, seed_dir, tmp_path, branch="main"):
    work = tmp_path / ("work-" + str(len(list(tmp_path.iterdir()))))
    work.mkdir()
    return sr.seed(remote_url, branch, str(seed_dir), "modelbuild", str(work))


def test_first_run_adds_one_commit_on_top_and_keeps_the_readme(remote, seed_dir, tmp_path):
    result = seed(str(remote.path), seed_dir, tmp_path)

    assert result["SEED_RESULT"] == "seeded"
    assert result["SEED_COMMIT"] == remote.head()
    assert git("rev-parse", "main^", cwd=remote.path) == remote.readme_commit, "one commit, on top of the user's"
    tree = remote.files()
    assert set(tree) == SEEDED, "no caches, venvs or egg-info"
    assert tree["README.md"][1] == "# Our model", "the repository's README is kept"
    assert tree["pipelines/pipeline.py"] == ("100644", "STEPS = 4")
    assert tree["pipelines/run.sh"][0] == "100755", "the executable bit survives"
    author = git("log", "-1", "--format=%an <%ae>|%cn <%ce>", "main", cwd=remote.path)
    assert author == "SageMaker MLOps project <mlops-project@noreply.local>|SageMaker MLOps project <mlops-project@noreply.local>"
    message = git("log", "-1", "--format=%B", "main", cwd=remote.path)
    assert "Kept the repository's own README.md." in message
    assert message.strip().endswith("Seeded-By: modelbuild")


def test_second_run_changes_nothing(remote, seed_dir, tmp_path):
    first = seed(str(remote.path), seed_dir, tmp_path)
    second = seed(str(remote.path), seed_dir, tmp_path)
    assert second["SEED_RESULT"] == "already-seeded"
    assert second["SEED_COMMIT"] == first["SEED_COMMIT"]
    assert remote.head() == first["SEED_COMMIT"]


def test_the_users_later_changes_are_never_overwritten_or_undone(remote, seed_dir, tmp_path):
    seed(str(remote.path), seed_dir, tmp_path)
    git("pull", "--quiet", "origin", "main", cwd=remote.user)
    (remote.user / "pipelines" / "pipeline.py").write_text("STEPS = 7  # our own\n")
    git("rm", "--quiet", "pipelines/run.sh", cwd=remote.user)
    git("commit", "--quiet", "-am", "Our pipeline", cwd=remote.user)
    git("push", "--quiet", "origin", "HEAD:main", cwd=remote.user)
    users = remote.head()

    again = seed(str(remote.path), seed_dir, tmp_path)

    assert again["SEED_RESULT"] == "already-seeded"
    assert remote.head() == users
    tree = remote.files()
    assert tree["pipelines/pipeline.py"][1] == "STEPS = 7  # our own"
    assert "pipelines/run.sh" not in tree, "a file the user deleted stays deleted"


def test_a_repository_that_already_has_every_seed_file_gets_no_commit(remote, seed_dir, tmp_path):
    for rel in ("pipelines/pipeline.py", "pipelines/run.sh"):
        target = remote.user / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("mine\n")
    git("add", ".", cwd=remote.user)
    git("commit", "--quiet", "-m", "My own layout", cwd=remote.user)
    git("push", "--quiet", "origin", "HEAD:main", cwd=remote.user)
    before = remote.head()

    result = seed(str(remote.path), seed_dir, tmp_path)

    assert result["SEED_RESULT"] == "nothing-to-add"
    assert remote.head() == before
    assert remote.files()["pipelines/pipeline.py"][1] == "mine"


def test_seeding_over_git_smart_http(remote, http_remote, seed_dir, tmp_path):
    result = seed(http_remote, seed_dir, tmp_path)
    assert result["SEED_RESULT"] == "seeded"
    assert remote.head() == result["SEED_COMMIT"]
    assert seed(http_remote, seed_dir, tmp_path)["SEED_RESULT"] == "already-seeded"


def test_unreachable_remotes_fail_clearly(seed_dir, tmp_path):
    url = "http://127.0.0.1:{}/x.git".format(closed_port())
    with pytest.raises(sr.SeedError) as e:
        seed(url, seed_dir, tmp_path)
    assert str(e.value).startswith("cannot reach the repository {}: ".format(url))
    assert "127.0.0.1" in str(e.value)

    missing = str(tmp_path / "no-such-repo.git")
    with pytest.raises(sr.SeedError) as e:
        seed(missing, seed_dir, tmp_path)
    assert str(e.value).startswith("cannot reach the repository {}: ".format(missing))


def test_a_missing_branch_fails_naming_it_and_the_existing_ones(remote, seed_dir, tmp_path):
    with pytest.raises(sr.SeedError) as e:
        seed(str(remote.path), seed_dir, tmp_path, branch="develop")
    assert str(e.value) == "branch develop does not exist in {}; its branches: main".format(remote.path)


def test_a_rejected_push_fails_without_forcing(remote, seed_dir, tmp_path):
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main moved: fetch first' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = remote.head()
    with pytest.raises(sr.SeedError) as e:
        seed(str(remote.path), seed_dir, tmp_path)
    assert str(e.value).startswith("the push to main was rejected (")
    assert str(e.value).endswith("Nothing was overwritten: run the seeding again")
    assert remote.head() == before


def test_an_empty_seed_directory_fails(remote, tmp_path):
    empty = tmp_path / "empty"
    (empty / "__pycache__").mkdir(parents=True)
    with pytest.raises(sr.SeedError, match="has no files to seed"):
        seed(str(remote.path), empty, tmp_path)


def test_the_command_writes_the_results_for_codebuild(remote, seed_dir, tmp_path):
    results = tmp_path / "results.sh"
    code = sr.main(["--remote", str(remote.path), "--branch", "main", "--seed-dir", str(seed_dir),
                    "--seed-name", "modeldeploy", "--result-file", str(results)])
    assert code == 0
    exported = subprocess.run(["sh", "-c", ". {} && echo $SEED_RESULT $SEED_COMMIT".format(results)],
                              capture_output=True, text=True, check=True).stdout.split()
    assert exported == ["seeded", remote.head()]
    assert sr.main(["--remote", str(remote.path), "--branch", "nope", "--seed-dir", str(seed_dir), "--seed-name", "x"]) == 1
