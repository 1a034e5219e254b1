"""``kneesight analyze`` / ``kneesight demo`` command-line contract: error paths and output."""

from __future__ import annotations

from pathlib import Path

import pytest

from kneesight.cli import main
from kneesight.commands.demo import fresh_directory


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_recording_is_a_clear_error(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.db3"
    code, _, err = _run(capsys, "analyze", str(missing), "--out", str(tmp_path / "o"))
    assert code == 1
    assert err.startswith("kneesight analyze: error: ")
    assert str(missing) in err and "not found" in err
    assert not (tmp_path / "o").exists()


def test_missing_static_and_subject_files_are_named(tmp_path: Path, capsys) -> None:
    rec = tmp_path / "trial.db3"
    rec.write_bytes(b"\0" * 64)
    for opt in ("--static", "--subject"):
        other = tmp_path / f"missing{opt[2:]}"
        code, _, err = _run(capsys, "analyze", str(rec), opt, str(other), "--out",
                            str(tmp_path / "o"))  # fmt: skip
        assert code == 1, err
        assert str(other) in err


def test_static_and_subject_together_are_refused(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["analyze", "t.db3", "--static", "s.db3", "--subject", "c.json", "--out", "o"])
    assert e.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_existing_results_are_not_overwritten(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"mine": true}')
    rec = tmp_path / "trial.db3"
    rec.write_bytes(b"\0" * 64)
    code, _, err = _run(capsys, "analyze", str(rec), "--out", str(out))
    assert code == 1
    assert "already holds results" in err and "--overwrite" in err
    assert (out / "summary.json").read_text() == '{"mine": true}'


def test_out_that_is_a_file_is_refused(tmp_path: Path, capsys) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    rec = tmp_path / "trial.db3"
    rec.write_bytes(b"\0" * 64)
    code, _, err = _run(capsys, "analyze", str(rec), "--out", str(f))
    assert code == 1 and "not a directory" in err
    assert f.read_text() == "x"


def test_unknown_export_format_is_refused_before_work(tmp_path: Path, capsys) -> None:
    rec = tmp_path / "trial.db3"
    rec.write_bytes(b"\0" * 64)
    code, _, err = _run(capsys, "analyze", str(rec), "--out", str(tmp_path / "o"),
                        "--export", "c3d,xls")  # fmt: skip
    assert code == 1 and "xls" in err


def test_corrupt_recording_is_a_clear_error(tmp_path: Path, capsys) -> None:
    rec = tmp_path / "corrupt.db3"
    rec.write_bytes(b"SQLite format 3\0" + b"\x17" * 4000)
    code, _, err = _run(capsys, "analyze", str(rec), "--out", str(tmp_path / "o"), "--quiet")
    assert code == 1
    assert err.startswith("kneesight analyze: error: ") and "corrupt.db3" in err
    assert "Traceback" not in err


def test_demo_directory_is_never_reused(tmp_path: Path) -> None:
    base = tmp_path / "kneesight-demo"
    assert fresh_directory(base) == base
    base.mkdir()
    assert fresh_directory(base) == tmp_path / "kneesight-demo-2"
    (tmp_path / "kneesight-demo-2").mkdir()
    assert fresh_directory(base) == tmp_path / "kneesight-demo-3"
