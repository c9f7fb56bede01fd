"""RFM on a 1-10 scale (issue 17): the score formula at its boundaries, the 1-5 table widened
to 1-10 or given for 10 in the config file, `--rfm-scale` and `rfm-scale`, and the scale-5
output byte for byte as before."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import AS_OF, Cli

from segcli import api, config
from segcli.analytics import rfm
from segcli.model.errors import ConfigError
from segcli.model.settings import DEFAULT_RFM_SEGMENTS, RfmRule, Settings, SettingsError, widened

GOLDEN = Path(__file__).parent / "golden"
ON_FIXTURE = ("--orders", str(GOLDEN / "orders.csv"), "--as-of", AS_OF, "--no-cache")


# --- the score formula: 1 + floor(scale * w / n) ------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 9, 10, 11, 19, 20, 21, 99, 100, 101])
def test_tie_scores_on_10_at_every_boundary(n):
    """n distinct values: w = 0..n-1, so every step of floor(10 w / n) is crossed."""
    got = rfm.tie_scores(np.arange(n, dtype=np.int64), 10)
    assert got.tolist() == [1 + (10 * w) // n for w in range(n)]
    assert got.min() == 1 and got.max() == (10 if n >= 10 else 1 + 10 * (n - 1) // n)


def test_tie_scores_on_10_by_hand():
    # n = 7: w = 0..6 -> 1 + floor(10w/7) = 1, 2, 3, 5, 6, 8, 9 (4, 7 and 10 are skipped)
    assert rfm.tie_scores(np.arange(7), 10).tolist() == [1, 2, 3, 5, 6, 8, 9]
    # n = 20: the score goes up every second customer, 19 customers below is 1 + 9 = 10
    assert rfm.tie_scores(np.arange(20), 10).tolist() == [1 + w // 2 for w in range(20)]
    # ties get one score: w counts the strictly worse only
    assert rfm.tie_scores(np.array([5, 1, 5, 5, 9]), 10).tolist() == [3, 1, 3, 3, 9]
    assert rfm.tie_scores(np.array([4, 4, 4]), 10).tolist() == [1, 1, 1]
    assert rfm.tie_scores(np.array([], dtype=np.int64), 10).tolist() == []


def test_score_text_has_separators_on_10_only():
    r, f, m = np.array([10, 3, 2]), np.array([9, 1, 2]), np.array([7, 10, 2])
    assert rfm.score_texts(r, f, m, 10).tolist() == ["10-9-7", "3-1-10", "2-2-2"]
    assert rfm.score_texts(np.array([5]), np.array([4]), np.array([5]), 5).tolist() == ["545"]


# --- the named segments on 1-10 -----------------------------------------------------------------


def test_widened_ranges():
    rule = widened(RfmRule("X", (4, 5), (1, 1), (2, 3)))
    assert (rule.name, rule.recency, rule.frequency, rule.monetary) == (
        "X",
        (7, 10),
        (1, 2),
        (3, 6),
    )
    assert widened(RfmRule("All", (1, 5), (1, 5), (1, 5))).recency == (1, 10)


def test_widened_table_names_every_score_as_the_1_5_table_names_its_half():
    """Score s on 10 is score ceil(s/2) on 5 (floor(floor(10w/n)/2) = floor(5w/n)), so the widened
    default table gives every one of the 1000 triples the segment of its 1-5 triple."""
    triples = np.array(list(itertools.product(range(1, 11), repeat=3)))
    r, f, m = triples.T
    on_10 = rfm.name_segments(r, f, m, Settings(rfm_scale=10))
    on_5 = rfm.name_segments((r + 1) // 2, (f + 1) // 2, (m + 1) // 2, Settings())
    assert on_10.tolist() == on_5.tolist()


def test_table_for_10_replaces_the_widened_one_on_10_only():
    own = (RfmRule("Top", (10, 10), (10, 10), (10, 10)),)
    assert Settings(rfm_scale=10, rfm_segments_10=own).rfm_table() == own
    assert Settings(rfm_scale=10, rfm_segments_10=own).rfm_labels() == ("Top", "Others")
    assert Settings(rfm_segments_10=own).rfm_table() == DEFAULT_RFM_SEGMENTS
    widened_default = rfm.name_segments(
        np.array([10, 9]), np.array([10, 10]), np.array([10, 10]), Settings(rfm_scale=10)
    )
    assert widened_default.tolist() == ["Champions", "Champions"]
    top = Settings(rfm_scale=10, rfm_segments_10=own)
    named = rfm.name_segments(np.array([10, 9]), np.array([10, 10]), np.array([10, 10]), top)
    assert named.tolist() == ["Top", "Others"]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"rfm_scale": 7}, "rfm-scale"),
        ({"rfm_scale": 10.0}, "rfm-scale"),
        ({"rfm_scale": True}, "rfm-scale"),
        (
            {"rfm_segments_10": (RfmRule("X", (1, 11), (1, 10), (1, 10)),)},
            "rfm-segments-10[0].recency",
        ),
        ({"rfm_segments_10": (RfmRule("X", (0, 10), (1, 10), (1, 10)),)}, "rfm-segments-10"),
    ],
)
def test_bad_scale_settings_name_their_key(kwargs, key):
    with pytest.raises(SettingsError) as caught:
        Settings(**kwargs)
    assert caught.value.key.startswith(key)


# --- the config file and the flag ---------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "segcli.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rfm_scale_in_the_file_and_the_flag_over_it(tmp_path):
    path = write_config(tmp_path, "rfm-scale = 10\n")
    resolved = config.resolve({}, path)
    assert resolved.settings.rfm_scale == 10 and resolved.origins["rfm-scale"] == str(path)
    flagged = config.resolve({"rfm-scale": 5}, path)
    assert flagged.settings.rfm_scale == 5 and flagged.origins["rfm-scale"] == "flag"
    assert config.resolve({}, None).origins["rfm-scale"] == "default"


@pytest.mark.parametrize("value", ["7", "0", "10.0", '"10"', "true"])
def test_bad_rfm_scale_in_the_file(tmp_path, value):
    path = write_config(tmp_path, f"rfm-scale = {value}\n")
    with pytest.raises(ConfigError) as caught:
        config.resolve({}, path)
    assert caught.value.key == "rfm-scale" and "must be 5 or 10" in caught.value.message


def test_bad_rfm_scale_is_a_one_line_usage_error(cli: Cli, tmp_path):
    path = write_config(tmp_path, "rfm-scale = 7\n")
    result = cli("rfm", *ON_FIXTURE, "--config", path)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    message = f"Invalid value for 'rfm-scale' in {path}: must be 5 or 10 (got 7)"
    assert message in " ".join(line.strip("│ ") for line in result.stderr.splitlines())
    flag = cli("list", *ON_FIXTURE, "--rfm", "--rfm-scale", "3")
    assert flag.exit_code == 2 and "'--rfm-scale': must be 5 or 10 (got 3)" in flag.stderr


def test_table_for_10_from_the_file(cli: Cli, tmp_path):
    path = write_config(
        tmp_path,
        "rfm-scale = 10\n"
        '[[rfm-segments-10]]\nname = "Top"\nrecency = [9, 10]\nfrequency = [1, 10]\n'
        "monetary = [1, 10]\n",
    )
    resolved = config.resolve({}, path)
    assert resolved.settings.rfm_labels() == ("Top", "Others")
    assert resolved.origins["rfm-segments-10"] == str(path)
    shown = cli.json("config", "show", "--config", path)["data"]
    assert shown["rfmScale"] == 10 and [r["name"] for r in shown["rfmSegments"]] == ["Top"]
    on_5 = cli.json("config", "show", "--config", path, "--rfm-scale", "5")["data"]
    assert on_5["rfmSegments"][0]["name"] == "Champions"
    table = cli("config", "show", "--config", path)
    assert "rfm-scale" in table.stdout and "scores 1–10" in table.stdout
    bad = write_config(tmp_path, '[[rfm-segments-10]]\nname = "X"\nrecency = [1, 11]\n')
    with pytest.raises(ConfigError) as caught:
        config.resolve({}, bad)
    assert caught.value.key == "rfm-segments-10[0].frequency"  # missing, named first


def test_bad_range_of_the_table_for_10(tmp_path):
    path = write_config(
        tmp_path,
        '[[rfm-segments-10]]\nname = "X"\nrecency = [1, 11]\nfrequency = [1, 10]\n'
        "monetary = [1, 10]\n",
    )
    with pytest.raises(ConfigError) as caught:
        config.resolve({}, path)
    assert caught.value.key == "rfm-segments-10[0].recency"
    assert "highest <= 10" in caught.value.message


# --- the outputs ----------------------------------------------------------------------------


def test_list_on_10_json_csv_and_meta(cli: Cli):
    document = cli.json("list", *ON_FIXTURE, "--rfm", "--rfm-scale", "10")
    assert document["meta"]["settings"]["rfmScale"] == 10
    scores = [c["metrics"]["rfm"] for c in document["data"]]
    for s in scores:
        assert s["score"] == f"{s['recency']}-{s['frequency']}-{s['monetary']}"
        assert all(1 <= s[k] <= 10 for k in ("recency", "frequency", "monetary"))
    assert max(s["monetary"] for s in scores) > 5  # the scale is in use
    csv = cli("list", *ON_FIXTURE, "--rfm-scale", "10", "--csv", "--columns", "contactID,rfmScore")
    rows = dict(line.split(",") for line in csv.stdout.splitlines()[1:])
    assert rows == {c["contactID"]: c["metrics"]["rfm"]["score"] for c in document["data"]}
    plain = cli.json("list", *ON_FIXTURE, "--rfm")
    assert "rfmScale" not in plain["meta"]["settings"]


def test_rfm_command_on_10_with_the_widened_table_counts_as_on_5(cli: Cli):
    on_10 = cli.json("rfm", *ON_FIXTURE, "--rfm-scale", "10")
    on_5 = cli.json("rfm", *ON_FIXTURE)
    assert on_10["data"] == on_5["data"] and on_10["meta"]["settings"]["rfmScale"] == 10
    table = cli("rfm", *ON_FIXTURE, "--rfm-scale", "10")
    assert table.exit_code == 0 and "Champions" in table.stdout


def test_library_takes_the_scale_in_the_settings():
    loaded = api.load(api.Inputs(paths=(str(GOLDEN / "orders.csv"),)))
    records = api.customers(loaded, Settings(rfm_scale=10), None, rfm=True).records()
    assert all("-" in r["metrics"]["rfm"]["score"] for r in records)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("rfm5-list.csv", ("list", "--rfm", "--csv")),
        ("rfm5-list.json", ("list", "--rfm", "--json")),
        ("rfm5-rfm.json", ("rfm", "--json")),
        ("rfm5-list.txt", ("list", "--rfm")),
    ],
)
def test_scale_5_output_is_byte_for_byte_as_before(cli: Cli, name, args):
    """The golden files are main's output before the scale existed (issue 17)."""
    result = cli(*args, *ON_FIXTURE, "--quiet")
    want = (GOLDEN / name).read_bytes()
    assert result.exit_code == 0
    assert result.stdout_bytes.replace(b"\r\n", b"\n") == want.replace(b"\r\n", b"\n")
    assert (b"\r\n" in result.stdout_bytes) == (b"\r\n" in want)
    if name.endswith(".json"):
        assert json.loads(want)["success"]
