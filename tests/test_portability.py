"""The importer on a Python without `fcntl` or `/proc` (Windows, say): every module imports,
`run` works, and `drop` — whose one-drop-per-inbox lock is flock — says in one line that it
needs flock (exit 2), never "internal error (ModuleNotFoundError)". Without a readable /proc a
drop still takes finished files: only the settle time tells them, as the README says.

`fcntl` is hidden from a real subprocess by a `sitecustomize` shim (`sys.modules['fcntl'] =
None` makes `import fcntl` fail as on Windows); /proc by pointing the drop at a folder that is
absent or shows nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, SECRET, importer, one_line
from pipeline.exactly_once_support import KEY, write_cases, write_credits

import importer as importer_package
from importer.config import Config
from importer.drop import readiness
from importer.exit_codes import ExitCode
from importer.journal import Journal
from importer.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]

HIDE_FCNTL = "import sys\nsys.modules['fcntl'] = None\n"


def _without_fcntl(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shim = workdir / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(HIDE_FCNTL, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(shim), str(ROOT)]),
        "AMILI_API_KEY": SECRET,
    }
    env.pop("IMPORTER_CONFIG", None)
    return subprocess.run(
        [sys.executable, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )


def test_every_module_imports_without_fcntl(workdir: Path) -> None:
    walk = (
        "import importlib, pkgutil, importer\n"
        "try:\n    import fcntl\nexcept ImportError:\n    pass\n"
        "else:\n    raise SystemExit('the shim did not hide fcntl')\n"
        "for m in pkgutil.walk_packages(importer.__path__, 'importer.'):\n"
        "    if not m.name.endswith('__main__'):  # those run the program\n"
        "        importlib.import_module(m.name)\n"
        "print('imported')\n"
    )
    done = _without_fcntl(workdir, "-c", walk)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


@pytest.mark.slow
def test_without_fcntl_run_works_and_drop_says_it_needs_flock(workdir: Path) -> None:
    checked = _without_fcntl(workdir, "-m", "importer", "validate", str(SAMPLE))
    assert checked.returncode == 1, checked.stderr  # the sample's invalid rows, nothing else
    assert "internal error" not in checked.stderr
    (workdir / "inbox").mkdir()
    (workdir / "inbox" / "credits.csv").write_bytes(SAMPLE.read_bytes())
    dropped = _without_fcntl(workdir, "-m", "importer", "drop", "inbox")
    assert dropped.returncode == 2, dropped.stderr
    line = one_line(dropped.stderr)
    assert "needs flock" in line
    assert "internal error" not in dropped.stderr
    assert (workdir / "inbox" / "credits.csv").exists()  # nothing claimed


def test_an_unreadable_proc_leaves_the_settle_time_to_decide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = tmp_path / "uploading.csv"
    writer = subprocess.Popen(
        [sys.executable, "-c", f"f = open({str(held)!r}, 'a'); import time; time.sleep(60)"]
    )
    try:
        deadline = time.monotonic() + 30
        while readiness.open_for_writing([held]) != {held}:
            assert time.monotonic() < deadline, "the writer never showed in /proc"
            time.sleep(0.05)
        empty = tmp_path / "proc"  # mounted but showing nothing (another user's view)
        empty.mkdir()
        monkeypatch.setattr(readiness, "PROC", str(empty))
        assert readiness.open_for_writing([held]) == set()
        monkeypatch.setattr(readiness, "PROC", str(tmp_path / "absent"))  # not Linux
        assert readiness.open_for_writing([held]) == set()
    finally:
        writer.kill()
        writer.wait()

    cases = tmp_path / "cases.json"
    write_cases(cases, 5)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_credits(inbox / "credits.csv", ["EO-0001", "EO-0002"], 2, seed=3)
    monkeypatch.setenv("AMILI_API_KEY", KEY)
    with Sandbox(cases_path=cases, api_key=KEY) as api:
        config = Config.model_validate(
            {
                "api": {"base_url": api.url},
                "defaults": {"creditor": CREDITOR},
                "report": {"dir": str(tmp_path / "reports"), "formats": ["json"]},
                "journal": {"path": str(tmp_path / "journal.sqlite")},
                "drop": {"ready": "stable", "settle_seconds": 0},
            }
        )
        code = importer_package.Drop(inbox, config).run()
    assert code == ExitCode.OK
    assert [p.name for p in (inbox / "done").rglob("*.csv")] == ["credits.csv"]


def test_without_pwd_or_a_login_variable_resolve_records_the_user_as_unknown(
    workdir: Path, api: Sandbox
) -> None:
    """Where there are no user ids (no `pwd`: Windows) the account is getpass's answer, read
    from LOGNAME, USER, LNAME or USERNAME; with none of them set getpass itself needs `pwd`
    (Python 3.11) and the trail says "unknown" rather than the command failing."""
    ran = importer(workdir, "run", str(SAMPLE), api=api)
    assert ran.returncode == 1, ran.stderr
    (import_id,) = [p.name for p in (workdir / "reports").iterdir() if p.is_dir()]
    shim = workdir / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import sys\nsys.modules['pwd'] = None\n", encoding="utf-8"
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"LOGNAME", "USER", "LNAME", "USERNAME", "IMPORTER_CONFIG"}
    }
    env["PYTHONPATH"] = os.pathsep.join([str(shim), str(ROOT)])
    resolved = subprocess.run(
        [sys.executable, "-m", "importer", "resolve", import_id, "4", "--note", "checked"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resolved.returncode == 0, resolved.stderr
    with Journal(workdir / "j.sqlite") as journal:
        (entry,) = journal.audit.trail(import_id)
    assert entry.os_user == "unknown"
    assert entry.rows == [4]
