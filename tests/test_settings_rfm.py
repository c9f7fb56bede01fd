"""Settings (flags, config file, defaults), RFM scores and segments, transitions, the cross-tab."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import AS_OF, AS_OF_MS, DAY, Cli, order

from segcli import api, config
from segcli.analytics import rfm
from segcli.input import readers
from segcli.model.errors import ConfigError
from segcli.model.schema import LAST_ORDER_DAYS_AGO, ORDER_COUNT, RFM_SEGMENT, SPEND_CENTS
from segcli.model.settings import DEFAULT_RFM_SEGMENTS, RfmRule, Settings, SettingsError

GOLDEN_FIXTURE = Path(__file__).parent / "golden" / "orders.csv"
ON_FIXTURE = ("--orders", str(GOLDEN_FIXTURE), "--as-of", AS_OF)


# --- settings values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"dormant_days": -1}, "dormant-days"),
        ({"vip_threshold_cents": -1}, "vip-threshold"),
        ({"weekly_days": 30}, "monthly-days"),  # 30 is not < 30
        ({"monthly_days": 90}, "quarterly-days"),
        ({"quarterly_days": 30}, "quarterly-days"),
        ({"rfm_segments": (RfmRule("X", (0, 5), (1, 5), (1, 5)),)}, "rfm-segments[0].recency"),
        ({"rfm_segments": (RfmRule("X", (4, 3), (1, 5), (1, 5)),)}, "rfm-segments[0].recency"),
        ({"rfm_segments": (RfmRule("Others", (1, 5), (1, 5), (1, 5)),)}, "rfm-segments[0].name"),
        ({"rfm_segments": (RfmRule('a"b', (1, 5), (1, 5), (1, 5)),)}, "rfm-segments[0].name"),
    ],
)
def test_bad_settings_name_their_key(kwargs, key):
    with pytest.raises(SettingsError) as caught:
        Settings(**kwargs)
    assert caught.value.key == key


def test_bands_just_increasing_are_fine():
    s = Settings(weekly_days=0, monthly_days=1, quarterly_days=2, dormant_days=0, new_days=0)
    assert s.thresholds()["quarterly-days"] == 2


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("5000", 500_000),
        ("5000.5", 500_050),
        ("5,000.01", 500_001),
        ("0", 0),
        (" 12.30 ", 1230),
        ("$5,000", 500_000),
        ("-5", -500),
    ],
)
def test_parse_money(text, cents):
    assert api.parse_money(text) == cents


@pytest.mark.parametrize("text", ["5.001", "abc", "", "1e3"])
def test_parse_money_rejects(text):
    with pytest.raises(ValueError):
        api.parse_money(text)


@pytest.mark.parametrize("amount", ["$5,000", "5000.00", "5,000"])
def test_one_money_rule_for_every_amount_flag(cli: Cli, amount):
    """--vip-threshold and --min-spend read amounts by the same rule (the `total` column's)."""
    vip = cli.json("list", *ON_FIXTURE, "--vip-threshold", amount)["meta"]["settings"]
    assert vip["vipThreshold"] == "5000.00"
    spend = cli.json("list", *ON_FIXTURE, "--min-spend", amount)["data"]
    assert spend and all(float(c["metrics"]["totalSpend"]) >= 5000 for c in spend)
    refused = cli("list", *ON_FIXTURE, "--vip-threshold", f"-{amount}")
    assert refused.exit_code == 2 and "must not be negative" in refused.stderr


# --- config files -------------------------------------------------------------------------------


def write_config(directory: Path, text: str, name: str = "segcli.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


NO_FLAGS: dict[str, int | None] = {}
RFM_RULE = "[[rfm-segments]]\nname = 'A'\nrecency = [1, 5]\nfrequency = [1, 5]\nmonetary = [1, 5]\n"


def test_precedence_flag_over_file_over_default(tmp_path):
    path = write_config(tmp_path, "vip-threshold = 1000\ndormant-days = 60\n")
    resolved = config.resolve({"dormant-days": 45}, path)
    s = resolved.settings
    assert (s.vip_threshold_cents, s.dormant_days, s.new_days) == (100_000, 45, 30)
    assert resolved.origins["vip-threshold"] == str(path)
    assert resolved.origins["dormant-days"] == "flag"
    assert resolved.origins["new-days"] == "default"


def test_config_is_found_in_cwd_then_xdg(tmp_path, monkeypatch):
    xdg = tmp_path / "xdg"
    user = write_config(xdg / "segcli", "new-days = 14\n", name="config.toml")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    env = {"XDG_CONFIG_HOME": str(xdg)}
    assert config.find_config(None, env) == user
    assert config.resolve(NO_FLAGS, None, env).settings.new_days == 14
    local = write_config(work, "new-days = 7\n")
    assert config.find_config(None, env) == Path(local.name)
    assert config.resolve(NO_FLAGS, None, env).settings.new_days == 7
    explicit = write_config(tmp_path, "new-days = 3\n", name="other.toml")
    assert config.resolve(NO_FLAGS, explicit, env).settings.new_days == 3


def test_no_config_anywhere_is_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    resolved = config.resolve(NO_FLAGS, None, {"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert resolved.settings == Settings() and resolved.path is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("vip_threshold = 10\n", "vip_threshold"),
        ("colour = 'red'\n", "colour"),
        ("dormant-days = -3\n", "dormant-days"),
        ("dormant-days = 3.5\n", "dormant-days"),
        ("dormant-days = '90'\n", "dormant-days"),
        ("vip-threshold = -1\n", "vip-threshold"),
        ("vip-threshold = 10.001\n", "vip-threshold"),
        ("monthly-days = 7\n", "monthly-days"),
        (
            RFM_RULE.replace("recency = [1, 5]", "recency = [1, 6]"),
            "rfm-segments[0].recency",
        ),
        (
            "[[rfm-segments]]\nname = 'A'\nrecency = [1, 5]\nfrequency = [1, 5]\n",
            "rfm-segments[0].monetary",
        ),
        (
            RFM_RULE + "colour = 1\n",
            "rfm-segments[0].colour",
        ),
        ("rfm-segments = []\n", "rfm-segments"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, key):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config.resolve(NO_FLAGS, path)
    assert caught.value.key == key
    assert str(path) in str(caught.value)


def test_unreadable_config_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        config.resolve(NO_FLAGS, tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.resolve(NO_FLAGS, write_config(tmp_path, "dormant-days = \n"))


def test_rfm_table_from_config_replaces_the_default(tmp_path):
    path = write_config(
        tmp_path,
        "[[rfm-segments]]\nname = 'Best'\nrecency = [5, 5]\nfrequency = [5, 5]\n"
        "monetary = [5, 5]\n",
    )
    s = config.resolve(NO_FLAGS, path).settings
    assert s.rfm_segments == (RfmRule("Best", (5, 5), (5, 5), (5, 5)),)
    assert s.rfm_labels() == ("Best", "Others")


# --- settings on the command line -------------------------------------------------------------


def test_flags_change_the_classification_and_show_in_meta(cli: Cli):
    default = cli.json("list", *ON_FIXTURE)
    assert default["meta"]["settings"] == {
        "vipThreshold": "5000.00",
        "dormantDays": 90,
        "newDays": 30,
        "weeklyDays": 7,
        "monthlyDays": 30,
        "quarterlyDays": 90,
    }
    # c-2 spent exactly 5000.01: VIP above 5000.00, not above 5000.01
    segments = {c["contactID"]: c["metrics"]["segment"] for c in default["data"]}
    assert segments["c-2"] == "VIP"
    raised = cli.json("list", *ON_FIXTURE, "--vip-threshold", "5000.01")
    assert {c["contactID"]: c["metrics"]["segment"] for c in raised["data"]}["c-2"] != "VIP"
    assert raised["meta"]["settings"]["vipThreshold"] == "5000.01"


def test_config_file_applies_to_commands(cli: Cli, tmp_path):
    path = write_config(tmp_path, "vip-threshold = 5000.01\n")
    data = cli.json("breakdown", *ON_FIXTURE, "--config", path)
    assert data["meta"]["settings"]["vipThreshold"] == "5000.01"
    assert data["data"]["segment"]["VIP"]["count"] == 1
    flag_wins = cli.json("breakdown", *ON_FIXTURE, "--config", path, "--vip-threshold", "5000")
    assert flag_wins["data"]["segment"]["VIP"]["count"] == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--dormant-days", "-1"), "--dormant-days"),
        (("--vip-threshold", "-5"), "--vip-threshold"),
        (("--weekly-days", "40"), "--weekly-days"),  # the value the user set
        (("--monthly-days", "7"), "--monthly-days"),
    ],
)
def test_bad_flags_are_usage_errors(cli: Cli, args, needle):
    result = cli("list", *ON_FIXTURE, *args, "--format", "json")
    assert result.exit_code == 2
    assert needle in result.stderr and result.stdout == ""


def test_bad_config_file_is_a_usage_error_naming_file_and_key(cli: Cli, tmp_path):
    path = write_config(tmp_path, "dormant-dayz = 3\n")
    result = cli("breakdown", *ON_FIXTURE, "--config", path)
    assert result.exit_code == 2
    assert "dormant-dayz" in result.stderr and "unknown setting" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_show(cli: Cli, tmp_path):
    path = write_config(tmp_path, "new-days = 14\n")
    data = cli.json("config", "show", "--config", path, "--dormant-days", "60")["data"]
    assert data["configFile"] == str(path)
    assert data["settings"]["newDays"] == 14 and data["settings"]["dormantDays"] == 60
    assert data["origins"]["new-days"] == str(path)
    assert data["origins"]["dormant-days"] == "flag"
    assert data["origins"]["rfm-segments"] == "default"
    assert [r["name"] for r in data["rfmSegments"]] == [r.name for r in DEFAULT_RFM_SEGMENTS]
    table = cli("config", "show", "--config", path)
    assert table.exit_code == 0
    assert "new-days" in table.stdout and "Can't Lose Them" in table.stdout


# --- RFM ----------------------------------------------------------------------------------------


def test_tie_scores_formula():
    assert rfm.tie_scores(np.array([10, 20, 30, 40, 50])).tolist() == [1, 2, 3, 4, 5]
    assert rfm.tie_scores(np.array([7, 7, 7])).tolist() == [1, 1, 1]
    assert rfm.tie_scores(np.array([3])).tolist() == [1]
    # n = 4: w = 0, 1, 1, 3 -> 1 + floor(5w/4) = 1, 2, 2, 4
    assert rfm.tie_scores(np.array([1, 2, 2, 9])).tolist() == [1, 2, 2, 4]
    assert rfm.tie_scores(np.array([], dtype=np.int64)).tolist() == []


def customers_frame(days, counts, spends) -> pd.DataFrame:
    return pd.DataFrame(
        {
            LAST_ORDER_DAYS_AGO: pd.array(days, dtype="Int64"),
            ORDER_COUNT: np.array(counts, dtype=np.int64),
            SPEND_CENTS: np.array(spends, dtype=np.int64),
        }
    )


def test_recency_fewer_days_is_better_and_no_orders_is_worst():
    scored = rfm.score(customers_frame([0, 5, 5, None, 400], [1] * 5, [1] * 5), Settings())
    # worse counts: 0 days -> 4 worse; 5 days -> 2 worse (400, none); 400 -> 1; none -> 0
    assert scored["rfmRecency"].tolist() == [5, 3, 3, 1, 2]
    assert scored["rfmFrequency"].tolist() == [1] * 5 and scored["rfmScore"].iloc[0] == "511"


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "Champions"),
        ((4, 4, 4), "Champions"),
        ((3, 4, 4), "Loyal Customers"),
        ((5, 1, 1), "New Customers"),  # first match wins: before Potential Loyalist
        ((3, 1, 1), "Promising"),
        ((3, 2, 2), "Potential Loyalist"),
        ((2, 2, 2), "Need Attention"),
        ((2, 1, 2), "About To Sleep"),
        ((1, 5, 5), "Can't Lose Them"),  # before At Risk
        ((2, 5, 5), "Loyal Customers"),
        ((1, 3, 3), "At Risk"),
        ((1, 1, 1), "Lost"),
        ((2, 5, 1), "Others"),
    ],
)
def test_default_rfm_table_first_match_wins(scores, segment):
    r, f, m = (np.array([v]) for v in scores)
    assert rfm.name_segments(r, f, m, Settings()).tolist() == [segment]


def test_rfm_segments_of_a_frame(tmp_path):
    # five customers, each measure distinct: scores 1..5; the best is a Champion, the worst Lost
    frame = customers_frame([50, 40, 30, 20, 10], [1, 2, 3, 4, 5], [100, 200, 300, 400, 500])
    scored = rfm.score(frame, Settings())
    assert scored["rfmScore"].tolist() == ["111", "222", "333", "444", "555"]
    assert scored[RFM_SEGMENT].tolist() == [
        "Lost",
        "Need Attention",
        "Loyal Customers",
        "Champions",
        "Champions",
    ]


def test_list_rfm_is_additive_and_filters(cli: Cli):
    plain = cli.json("list")["data"]
    scored = cli.json("list", "--rfm")["data"]
    for before, after in zip(plain, scored, strict=True):
        after = {**after, "metrics": dict(after["metrics"])}
        rfm_object = after["metrics"].pop("rfm")
        assert list(rfm_object) == ["recency", "frequency", "monetary", "score", "segment"]
        assert rfm_object["score"] == "".join(
            str(rfm_object[k]) for k in ("recency", "frequency", "monetary")
        )
        assert before == after
    at_risk = cli.json("list", "--rfm-segment", "at risk")["data"]
    assert at_risk and {c["metrics"]["rfm"]["segment"] for c in at_risk} == {"At Risk"}
    expected = sorted(c["contactID"] for c in scored if c["metrics"]["rfm"]["segment"] == "At Risk")
    assert sorted(c["contactID"] for c in at_risk) == expected


def test_list_rfm_segment_must_be_in_the_table(cli: Cli):
    result = cli("list", "--rfm-segment", "Gold")
    assert result.exit_code == 2 and "Champions" in result.stderr


def test_list_rfm_csv_and_table_columns(cli: Cli):
    text = cli("list", "--rfm", "--format", "csv", "--limit", "2").stdout
    assert text.splitlines()[0].endswith(",rfmRecency,rfmFrequency,rfmMonetary,rfmScore,rfmSegment")
    table = cli("list", "--rfm", "--limit", "3", env={"COLUMNS": "200"}).stdout
    assert "RFM segment" in table


def test_rfm_command_counts_every_customer_once(cli: Cli):
    document = cli.json("rfm")
    counts = document["data"]["rfmSegment"]
    assert list(counts) == [r.name for r in DEFAULT_RFM_SEGMENTS] + ["Others"]
    assert sum(c["count"] for c in counts.values()) == document["meta"]["total"] == 305
    scored = cli.json("list", "--rfm")["data"]
    for name, cell in counts.items():
        assert cell["count"] == sum(1 for c in scored if c["metrics"]["rfm"]["segment"] == name)
    assert "Champions" in cli("rfm").stdout


def test_rfm_json_nesting_survives_any_allowed_segment_name(tmp_path, cli: Cli):
    name = "Ünïcode/<&> 'quoted' Best"
    path = write_config(
        tmp_path,
        f'[[rfm-segments]]\nname = "{name}"\nrecency = [1, 5]\nfrequency = [1, 5]\n'
        "monetary = [1, 5]\n",
    )
    data = cli.json("list", *ON_FIXTURE, "--rfm", "--config", path)["data"]
    assert {c["metrics"]["rfm"]["segment"] for c in data} == {name}
    assert all(list(c) == ["contactID", "name", "email", "company", "metrics"] for c in data)


# --- transitions and the cross-tab -------------------------------------------------------------


def test_transitions_json_shape_and_counts(cli: Cli, write_csv):
    rows = [
        order("a", AS_OF_MS - 200 * DAY, "6000"),  # VIP then VIP
        order("b", AS_OF_MS - 100 * DAY, "10"),  # New at -95 days ... Dormant now
        order("c", AS_OF_MS - 2 * DAY, "10"),  # did not exist at --from
    ]
    path = write_csv(rows)
    document = cli.json("transitions", "--orders", path, "--from", "2025-07-20", "--to", AS_OF)
    assert document["success"] is True
    data = document["data"]
    assert (data["from"], data["to"]) == ("2025-07-20T23:59:59.999Z", "2025-10-23T23:59:59.999Z")
    matrix = data["matrix"]
    assert list(matrix) == ["VIP", "Active", "New", "Dormant", "(none)"]
    assert all(list(row) == ["VIP", "Active", "New", "Dormant"] for row in matrix.values())
    assert matrix["VIP"]["VIP"] == 1
    assert matrix["New"]["Dormant"] == 1
    assert matrix["(none)"]["New"] == 1
    assert sum(sum(row.values()) for row in matrix.values()) == 3
    assert document["meta"]["settings"]["dormantDays"] == 90


def test_transitions_list_and_table(cli: Cli, write_csv):
    rows = [
        order("a", AS_OF_MS - 200 * DAY, "6000"),
        order("b", AS_OF_MS - 100 * DAY, "10"),
        order("c", AS_OF_MS - 2 * DAY, "10"),
    ]
    path = write_csv(rows)
    common = ("transitions", "--orders", path, "--from", "2025-07-20", "--as-of", AS_OF)
    moved = cli.json(*common, "--list", "new:dormant")["data"]
    assert [c["contactID"] for c in moved] == ["b"]
    assert moved[0]["metrics"]["segment"] == "Dormant"  # as the customer is at --to
    fresh = cli(*common, "--list", "(none):New", "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line)["contactID"] for line in fresh] == ["c"]
    table = cli(*common)
    assert table.exit_code == 0
    assert "Biggest movements" in table.stdout and "(none)" in table.stdout


def test_transitions_reads_the_file_once(cli: Cli, write_csv, monkeypatch):
    calls = []
    real = readers.read_orders
    monkeypatch.setattr(readers, "read_orders", lambda *a, **k: calls.append(1) or real(*a, **k))
    path = write_csv([order("a", AS_OF_MS - DAY, "1")])
    assert (
        cli("transitions", "--orders", path, "--from", "2025-01-01", "--to", AS_OF).exit_code == 0
    )
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--from", "2025-10-24", "--to", AS_OF), "--from"),
        (("--from", "2025-01-01", "--list", "VIP-Dormant"), "FROM:TO"),
        (("--from", "2025-01-01", "--list", "VIP:Gold"), "Gold"),
        (("--from", "yesterday"), "--from"),
    ],
)
def test_transitions_usage_errors(cli: Cli, args, needle):
    result = cli("transitions", *ON_FIXTURE[:2], *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_breakdown_cross(cli: Cli):
    document = cli.json("breakdown", "--cross")
    cells = document["data"]["segmentByFrequency"]
    assert list(cells) == ["VIP", "Active", "New", "Dormant"]
    segments = cli.json("breakdown")["data"]
    for segment, row in cells.items():
        assert sum(row.values()) == segments["segment"][segment]["count"]
    for frequency in cells["VIP"]:
        column = sum(row[frequency] for row in cells.values())
        assert column == segments["purchaseFrequency"][frequency]["count"]
    assert "Occasional" in cli("breakdown", "--cross").stdout


def test_one_load_answers_at_several_instants(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(
        "orderReference,contactID,orderDate,total\nA,c,2025-10-01T00:00:00Z,1\n"
        "B,c,2025-10-20T00:00:00Z,1\n",
        encoding="utf-8",
    )
    loaded = api.load(api.Inputs(paths=(path,)))
    early = api.customers(loaded, None, "2025-10-05")
    late = api.customers(loaded, None, AS_OF_MS)
    assert early.frame[ORDER_COUNT].tolist() == [1]
    assert late.frame[ORDER_COUNT].tolist() == [2]
    assert tuple(n.text for n in early.notices) == (
        "excluded 1 order dated after the as-of instant 2025-10-05T23:59:59.999Z",
    )


def test_transitions_tells_only_the_later_instants_notices(cli: Cli):
    """Orders after --from are left out of the earlier classification by definition: no notice
    says so; the notices are loading's and the later instant's, as for any command."""
    result = cli("transitions", "--from", "2025-07-01", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "using the bundled sample data (as of 2025-10-23); "
        "pass --orders FILE or set SEGCLI_ORDERS to read your own"
    ]


def test_every_named_default_rfm_segment_can_match():
    """Issue 12: no row of the default table is shadowed by the rows above it."""
    grid = np.array([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)])
    named = set(rfm.name_segments(grid[:, 0], grid[:, 1], grid[:, 2], Settings()).tolist())
    assert named == {rule.name for rule in DEFAULT_RFM_SEGMENTS} | {"Others"}
