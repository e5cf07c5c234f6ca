"""Registered works are found in completions, with their citation, and only for their resource."""

import subprocess

import pytest
from django.core.management import call_command

from filters.models import ProtectedWork
from guardsite.classification import classify
from guardsite.engine.decision import default_config

LYRIC = (
    "Down by the harbour where the grey gulls wheel and cry, the fishing boats come in beneath "
    "a copper evening sky; the nets are heavy, silver-bright, the old men mend and sing, and "
    "every tide that turns tonight is bringing home the spring. Oh the lanterns on the water "
    "and the bells across the bay, they call the sailors homeward at the closing of the day."
)
CODE = "\n".join(
    f"def step_{n}(state, rate):\n"
    f"    delta = state * rate - {n}\n"
    f"    return state + delta / {n + 1}\n"
    for n in range(12)
)


def _completion(text, resource=None):
    return classify(text, "completion", default_config(), resource_id=resource)


@pytest.mark.django_db
def test_folder_import_registers_each_file_and_detection_cites_it(tmp_path, acme):
    (tmp_path / "harbour.txt").write_text(LYRIC)
    (tmp_path / "solver.py").write_text(CODE)
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    call_command(
        "import_protected",
        str(tmp_path),
        "--resource",
        "acme",
        "--license",
        "MIT",
        "--source-url",
        "https://example.com/solver",
    )
    assert sorted(ProtectedWork.objects.values_list("title", "kind")) == [
        ("harbour.txt", "text"),
        ("solver.py", "code"),
    ]

    reproduced = "Sure! Here it is:\n\n" + LYRIC.upper().replace(",", "").replace(";", "\n")
    analysis, decision = _completion(reproduced, str(acme.pk))
    assert decision.results["protected_material_text"] == {"filtered": True, "detected": True}
    assert analysis.protected_material_text.work.title == "harbour.txt"

    _, decision = _completion("Here is some code:\n" + CODE.replace("    ", "\t"), str(acme.pk))
    code_result = decision.results["protected_material_code"]
    assert code_result["detected"] is True
    assert code_result["citation"] == {
        "URL": "https://example.com/solver/solver.py",
        "license": "MIT",
    }


@pytest.mark.django_db
def test_another_resources_work_is_not_detected(acme, globex):
    from filters.protected import WorkInput, add_protected_work

    add_protected_work(globex, WorkInput("Harbour song", LYRIC), acting_user=None)
    _, decision = _completion(LYRIC, str(acme.pk))
    assert decision.results["protected_material_text"]["detected"] is False
    _, decision = _completion(LYRIC, str(globex.pk))
    assert decision.results["protected_material_text"]["detected"] is True


@pytest.mark.django_db
def test_unregistered_text_is_not_protected_material(acme):
    from filters.protected import WorkInput, add_protected_work

    add_protected_work(None, WorkInput("Harbour song", LYRIC), acting_user=None)
    original = (
        "The harbour is quiet at dawn. A few boats leave early, and the market opens at seven. "
        "Gulls follow the trawlers out past the breakwater while the cafes set out their chairs."
    )
    _, decision = _completion(original, str(acme.pk))
    assert decision.results["protected_material_text"] == {"filtered": False, "detected": False}


@pytest.mark.django_db
def test_git_checkout_import_cites_the_file_at_the_checked_out_commit(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "solver.py").write_text(CODE)
    (repo / "untracked.py").write_text(CODE.replace("step", "walk"))
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run(
        [*git, "remote", "add", "origin", "https://example.com/acme/solver.git"], check=True
    )
    subprocess.run([*git, "add", "solver.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "solver"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()

    call_command("import_protected", str(repo), "--license", "Apache-2.0")

    work = ProtectedWork.objects.get()
    assert work.title == "solver.py"
    assert work.resource is None
    assert work.source_url == f"https://example.com/acme/solver/blob/{commit}/solver.py"


@pytest.mark.django_db
def test_too_short_work_is_refused_with_the_reason(tmp_path, capsys):
    (tmp_path / "short.txt").write_text("just a few words")
    call_command("import_protected", str(tmp_path))
    captured = capsys.readouterr()
    assert "0 works registered, 1 skipped" in captured.out
    assert "short.txt" in captured.err and "words" in captured.err
    assert not ProtectedWork.objects.exists()
