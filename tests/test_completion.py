"""Shell completion through the protocol a shell uses: the installed `segcli` run with
_SEGCLI_COMPLETE, COMP_WORDS and COMP_CWORD, as the script from --show-completion runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SEGCLI = str(Path(sys.executable).with_name("segcli"))


def complete(words: str, cwd: Path, **env: str) -> list[str]:
    """What bash would offer for the last word of `words` (a trailing space: a new word)."""
    done = subprocess.run(
        [SEGCLI],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={
            "PATH": os.environ.get("PATH", ""),
            "XDG_CONFIG_HOME": "/nonexistent/segcli-tests",
            "_SEGCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
            **env,
        },
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        ("segcli list --segment ", ["VIP", "Active", "New", "Dormant"]),
        ("segcli list --segment D", ["Dormant"]),
        ("segcli list --frequency O", ["Occasional", "One-time"]),
        ("segcli transitions --from 2025-07-01 --sort last", ["lastOrderDate", "lastOrderDaysAgo",
                                                              "lastOrderReference"]),
        ("segcli breakdown --preset ", ["shopify", "woocommerce", "xero"]),
        ("segcli show c-1 --format ", ["table", "json", "ndjson", "csv", "tsv", "markdown"]),
        ("segcli list --rfm-segment A", ["About To Sleep", "At Risk"]),
        ("segcli br", ["breakdown"]),
    ],
)  # fmt: skip
def test_values_complete(tmp_path, words, offered):
    assert complete(words, tmp_path) == offered


def test_rfm_segments_come_from_the_settings_in_effect(tmp_path):
    config = tmp_path / "rfm.toml"
    config.write_text(
        '[[rfm-segments]]\nname = "Gold Club"\nrecency = [4, 5]\nfrequency = [4, 5]\n'
        "monetary = [4, 5]\n",
        encoding="utf-8",
    )
    given = complete(f"segcli list --config {config} --rfm-segment ", tmp_path)
    assert given == ["Gold Club", "Others"]
    (tmp_path / "segcli.toml").write_text(config.read_text(), encoding="utf-8")
    assert complete("segcli list --rfm-segment G", tmp_path) == ["Gold Club"]  # ./segcli.toml
    (tmp_path / "segcli.toml").write_text("dormant-days = -1\n", encoding="utf-8")
    assert complete("segcli list --rfm-segment ", tmp_path) == []  # a bad file: no names


def test_the_completion_script_is_offered(tmp_path):
    done = subprocess.run(
        [SEGCLI, "--show-completion", "bash"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
        },
        check=True,
    )
    assert "_SEGCLI_COMPLETE=complete_bash" in done.stdout and "complete " in done.stdout
