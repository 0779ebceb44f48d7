"""`newsgraph` command-line behaviour: output and exit codes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from api.cli import main
from tests.conftest import INVALID, VALID


def test_ingest_prints_a_summary_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(VALID), "--db", str(tmp_path / "n.db")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("added ") and "rejected 0" in out and "files/s" in out


def test_rejections_exit_1_and_name_path_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "c"
    shutil.copytree(INVALID, folder)
    shutil.copy(VALID / "minimal.md", folder)
    assert main(["ingest", str(folder), "--db", str(tmp_path / "n.db"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 1
    assert report["rejected"] == len(report["rejected_files"]) == len(list(INVALID.iterdir()))
    by_name = {Path(r["path"]).name: r["reason"] for r in report["rejected_files"]}
    assert by_name["missing_title.md"] == "title: required field is missing"


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "missing"), "--db", str(tmp_path / "n.db")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest"])
    assert exit_info.value.code == 2


def test_foreign_database_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert main(["ingest", str(VALID), "--db", str(other)]) == 2
    assert "not a newsgraph database" in capsys.readouterr().err


def test_schema_command_prints_the_committed_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    sdl_file = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
    assert capsys.readouterr().out == sdl_file.read_text()


def test_serve_help_documents_every_environment_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = capsys.readouterr().out
    from api.settings import OPTIONS

    assert len(OPTIONS) > 25
    for option in OPTIONS:
        assert f"NEWSGRAPH_{option.env}" in text and option.flag in text


def test_bad_environment_values_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSGRAPH_PORT", "eighty")
    with pytest.raises(SystemExit) as exit_info:
        main(["serve"])
    assert exit_info.value.code == 2
    assert "--port: expected a whole number, got 'eighty'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("INTROSPECTION", "maybe", "--introspection: expected on or off, got 'maybe'"),
        ("MODE", "staging", "--mode: expected one of production, development"),
        ("MAX_DEPTH", "0", "--max-depth: must be at least 1, got 0"),
        ("INLINE_SQL_MS", "-1", "--inline-sql-ms: must be 0 or more, got -1.0"),
        ("INLINE_SQL_MS", "nan", "--inline-sql-ms: expected a finite number, got 'nan'"),
        ("POLL_SECONDS", "inf", "--poll-seconds: expected a finite number, got 'inf'"),
    ],
)
def test_new_settings_reject_bad_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    name: str, value: str, message: str,
) -> None:  # fmt: skip
    monkeypatch.setenv(f"NEWSGRAPH_{name}", value)
    with pytest.raises(SystemExit) as exit_info:
        main(["serve"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_settings_round_trip_through_the_environment() -> None:
    from pathlib import Path

    from api.settings import Settings

    settings = Settings(
        db=Path("/x.db"), introspection=False, cors_origins=("https://a", "https://b"),
        allow_list=Path("/m.json"), max_cost=7, poll_seconds=0.25, mode="development",
        inline_sql_ms=0.5, sql_cache_mb=7,
    )  # fmt: skip
    assert Settings.from_env(settings.to_env()) == settings
    assert settings.limits.max_cost == 7 and not settings.production


def test_serve_refuses_a_database_an_upgrade_emptied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.loaders.test_storage import _old_database

    path = tmp_path / "old.db"
    _old_database(path)
    # Quietly serving nothing (or the seeds) would hide that the content is gone.
    assert main(["serve", "--db", str(path)]) == 2
    assert "pass --content" in capsys.readouterr().err


def test_ingest_takes_the_trending_half_life(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    assert main(["ingest", str(VALID), "--db", str(path), "--trending-half-life", "12"]) == 0
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT value FROM meta WHERE key = 'trending_half_life_hours'")
    assert float(stored.fetchone()[0]) == 12.0
    conn.close()
    with pytest.raises(SystemExit):
        main(["ingest", str(VALID), "--db", str(path), "--trending-half-life", "0"])
