"""--engine dask: the same bytes as the pandas engine, with the aggregate computed on a Dask
cluster (in-process workers for speed, one test with real worker processes), and a one-line
error naming the install command when the extra is missing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import AS_OF, CLI_ENV, DAY, Cli, csv_text, examples_at_most, order, said
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segcli import api, cache
from segcli.engines import dask as dask_engine

START = api.parse_as_of("2025-01-01") - DAY + 1  # midnight, 2025-01-01


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One in-process cluster (two worker threads) for the module's tests."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",  # any free port: 8787 may be taken
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def both(cli: Cli, scheduler: str, *args: str):
    """The command through the pandas engine and through the dask engine."""
    pandas = cli(*args, "--no-cache")
    dask = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    return pandas, dask


def files_with_ties(tmp_path: Path) -> list[Path]:
    """Three files: the same instant for one customer's orders in different files (the later
    file's wins), an order repeated exactly and one whose copies differ, a refund, a credit
    note, a later-dated order cut by the as-of, a detail empty in the latest order, a skipped
    row, and a customer whose orders are all after the as-of."""
    t = START + 200 * DAY
    first = [
        order("c-1", t, "10.00", "A-1", name="Ann", email="ann@example.com"),
        order("c-2", t - DAY, "7.50", "B-1", name="Bob"),
        order("c-3", t, "1.10", "R-1", name="Cy"),
        order("c-4", t - 5 * DAY, "-3.00", "N-1", name="Di"),
        {**order("c-5", t, "oops", "X-1"), "total": "oops"},
    ]
    second = [
        order("c-1", t, "20.00", "A-2", name="Ann B", email=""),
        order("c-3", t, "1.10", "R-1", name="Cy"),  # repeated exactly
        order("c-2", t - DAY, "9.50", "B-1", name="Bob"),  # differs: this copy counts
        order("c-6", t + 400 * DAY, "99.00", "F-1", name="Future"),
    ]
    third = [
        order("c-1", t, "30.00", "A-3", name="", email="ann3@example.com"),
        order("c-2", t + 300 * DAY, "1.00", "B-9", name="Late Bob"),
        order("c-4", t - 400 * DAY, "5000.01", "N-0", name="Di Old"),
    ]
    paths = []
    for k, rows in enumerate((first, second, third)):
        path = tmp_path / f"orders-{k}.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize(
    "command",
    [
        ("list", "--format", "json"),
        ("list", "--format", "ndjson"),
        ("list", "--format", "csv"),
        ("list", "--sort", "lastOrderDate", "--asc", "--format", "json", "--limit", "2"),
        ("breakdown", "--format", "json"),
        ("show", "c-1", "--format", "json"),
        ("rfm", "--format", "json"),
    ],
    ids=lambda c: "-".join(c[:2]),
)
def test_the_engines_print_the_same_bytes(tmp_path, cli, scheduler, command):
    paths = files_with_ties(tmp_path)
    orders = [a for p in paths for a in ("--orders", str(p))]
    pandas, dask = both(cli, scheduler, *command, *orders, "--as-of", "2025-12-01")
    assert pandas.exit_code == 0, pandas.stderr
    assert dask.exit_code == 0, dask.stderr
    assert dask.stdout == pandas.stdout
    assert "excluded 2 orders dated after" in dask.stderr
    assert "1 order of the same customer differ between files (first: 'B-1')" in dask.stderr


def test_a_glob_of_parquet_files_in_hive_style_folders(tmp_path, cli, scheduler):
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    for k, path in enumerate(files_with_ties(tmp_path)):
        folder = tmp_path / "orders" / "year=2025" / f"month={k + 1:02d}"
        folder.mkdir(parents=True)
        strings = pa_csv.ConvertOptions(strings_can_be_null=False, column_types={"total": "string"})
        table = pa_csv.read_csv(path, convert_options=strings)
        pq.write_table(table, folder / "part-0.parquet")
    pattern = str(tmp_path / "orders" / "year=*" / "month=*" / "*.parquet")
    pandas, dask = both(cli, scheduler, "list", "--orders", pattern, "--json", "--as-of", AS_OF)
    assert dask.exit_code == 0, dask.stderr
    assert dask.stdout == pandas.stdout
    assert json.loads(dask.stdout)["meta"]["total"] == 4


def test_a_piece_of_a_part_carries_only_its_own_customers(tmp_path):
    """A part's rows cut into buckets keep none of the part's other customers: Arrow's take
    keeps the whole dictionary, and 30 copies of it per part, one per bucket (even an empty
    one), were 16 GB at 30M orders in 108 files, which 2 workers of 1.5 GB never finished."""
    import pickle

    import numpy as np
    import pyarrow as pa

    from segcli import scale_parts, scaling
    from segcli.engines import keys
    from segcli.input import sources
    from segcli.model.options import ExportOptions, ParseOptions

    path = tmp_path / "orders.csv"
    rows = [order(f"customer-{k:05d}", START + k, "1.00", name=f"N{k}") for k in range(3000)]
    path.write_text(csv_text(rows), encoding="utf-8")
    found = tuple(sources.resolve_sources([path]))
    part, _ = scale_parts.load_part(found, ExportOptions(), ParseOptions(), False, ("name",), 0)
    apart = np.unique(keys.text_hashes(part[scaling.CONTACT_ID])[:2])  # in other files too
    pieces, _ = scaling._split(part, apart, 0, cut_ms=START + 10**9, latest=True, buckets=8)
    rests = [rest for _, rest in pieces]
    assert sum(rest.num_rows for rest in rests) == 2
    for rest in rests:
        ids = rest[scaling.CONTACT_ID].combine_chunks()
        assert len(ids.dictionary) == len(pa.compute.unique(ids)), "the part's dictionary"
        assert rest.schema == part.schema
    whole = len(pickle.dumps(part))
    assert sum(len(pickle.dumps(rest)) for rest in rests) < whole / 4


def test_one_file_gives_the_same_notices_too(tmp_path, cli, scheduler):
    rows = [order(f"c-{k % 7}", START + (k % 5) * DAY, f"{k}.25") for k in range(60)]
    rows[3] = {**rows[3], "orderDate": "not a date"}
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    pandas, dask = both(cli, scheduler, "list", "--orders", path, "--json", "--as-of", AS_OF)
    assert dask.exit_code == 0, dask.stderr
    assert (dask.stdout, dask.stderr) == (pandas.stdout, pandas.stderr)
    assert "1 unparseable orderDate (line 5)" in dask.stderr


def test_a_reference_two_customers_change_between_files_is_one_order_in_the_notice(
    tmp_path, cli, scheduler
):
    """Loading counts distinct references; the customers may meet in different partitions."""
    t = START + 10 * DAY
    rows = [("c-1", "1.00"), ("c-1", "3.00"), ("c-2", "2.00"), ("c-2", "4.00")]
    orders = []
    for k, (contact, total) in enumerate(rows):
        path = tmp_path / f"orders-{k}.csv"
        path.write_text(csv_text([order(contact, t, total, "R-1")]), encoding="utf-8")
        orders += ["--orders", path]
    pandas, dask = both(cli, scheduler, "list", *orders, "--json", "--as-of", AS_OF)
    assert dask.exit_code == 0, dask.stderr
    assert (dask.stdout, dask.stderr) == (pandas.stdout, pandas.stderr)
    assert "1 order of the same customer differ between files (first: 'R-1')" in dask.stderr


_rows = st.lists(
    st.tuples(
        st.integers(0, 5),  # customer
        st.integers(0, 8),  # reference: shared across customers and files now and then
        st.integers(0, 4),  # day: few, so that instants tie
        st.integers(-500, 100_000),  # cents
        st.sampled_from(["", "Ann", "Bob"]),  # a name, empty now and then
        st.integers(0, 2),  # which file
    ),
    min_size=1,
    max_size=30,
)


# Each example loads its files twice, once through a round trip to the cluster (the suite's
# second slowest, 100 s for 150 examples on a shared 2-core machine): the `ci` profile runs 50.
@settings(
    max_examples=examples_at_most(50),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=_rows, cut=st.integers(0, 5))
def test_property_the_engines_agree_customer_by_customer(tmp_path, scheduler, rows, cut):
    files: list[list[dict]] = [[], [], []]
    for contact, ref, day, cents, name, k in rows:
        total = f"{cents / 100:.2f}"
        files[k].append(order(f"c-{contact}", START + day * DAY, total, f"R-{ref}", name=name))
    paths = []
    for k, found in enumerate(files):
        if found:
            path = tmp_path / f"part-{len(rows)}-{k}.csv"
            path.write_text(csv_text(found), encoding="utf-8")
            paths.append(str(path))
    as_of = START + cut * DAY - 1  # the end of the day before `cut`
    inputs = api.Inputs(paths=tuple(paths))
    on_cluster = api.Inputs(paths=tuple(paths), engine=api.Engine("dask", scheduler=scheduler))
    try:  # a reference shared by two customers in one file is a line-level order in conflict
        pandas = api.load(inputs)
        expected = api.customers(pandas, as_of=as_of)
    except api.SegcliError as error:  # every row skipped: the dask engine says the same
        with pytest.raises(api.SegcliError) as refused:
            api.load(on_cluster, as_of=as_of)
        assert refused.value.code == error.code
        return
    loaded = api.load(on_cluster, as_of=as_of)
    got = api.customers(loaded, as_of=as_of)
    assert json.dumps(got.to_dict()) == json.dumps(expected.to_dict())
    # what is said about orders in several files and after the as-of: the same words, counts
    said = [*pandas.notices, *expected.notices]
    assert across(said) == across([*loaded.notices, *got.notices])


def across(notices) -> list[str]:
    words = ("between files", "in more than one file", "dated after")
    return [n.text for n in notices if any(w in n.text for w in words)]


def test_real_worker_processes_give_the_same_answer(cli):
    args = ("breakdown", "--format", "json", "--as-of", AS_OF)
    pandas = cli(*args, "--no-cache")
    dask = cli(*args, "--engine", "dask", "--workers", "1", "--worker-memory", "500MB")
    assert dask.exit_code == 0, dask.stderr
    assert dask.stdout == pandas.stdout


def test_an_error_on_a_worker_process_is_one_line_as_with_pandas(tmp_path, cli):
    path = tmp_path / "orders.csv"
    path.write_text("id,date,amount\n1,2025-01-01,3\n", encoding="utf-8")
    pandas = cli("list", "--orders", path, "--no-cache")
    segcli = str(Path(sys.executable).with_name("segcli"))
    env = {k: v for k, v in CLI_ENV.items() if v is not None}
    dask = subprocess.run(  # a real process: the workers' own stderr is its stderr too
        [segcli, "list", "--orders", str(path), "--engine", "dask", "--workers", "1"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    assert dask.returncode == pandas.exit_code == 1
    assert dask.stderr == pandas.stderr
    assert len(dask.stderr.splitlines()) == 1


def test_a_missing_extra_is_one_line_naming_the_install_command(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = cli("list", "--engine", "dask", "--format", "json")
    assert result.exit_code == 1
    assert said(result) == "error: the dask engine needs distributed: pip install 'segcli[dask]'"
    assert json.loads(result.stdout)["error"]["code"] == "MISSING_DEPENDENCY"


def test_the_pandas_engine_never_imports_dask():
    code = (
        "import sys; from segcli.cli import main; sys.argv=['segcli','breakdown','--json'];\n"
        "try: main()\nexcept SystemExit: pass\n"
        "assert 'dask' not in sys.modules and 'distributed' not in sys.modules, 'imported'"
    )
    env = {k: v for k, v in CLI_ENV.items() if v is not None}
    done = subprocess.run(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr


def test_a_worker_with_another_segcli_is_refused(cli, scheduler, monkeypatch):
    monkeypatch.setattr(dask_engine, "worker_version", lambda: "0.0.1")
    result = cli("list", "--engine", "dask", "--scheduler", scheduler)
    assert result.exit_code == 1
    assert "the Dask workers run segcli 0.0.1, this is segcli" in said(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("transitions", "--from", "2025-01-01"), "one as-of instant"),
        (("list", "--rejects", "rejects.csv"), "writes no rejects file"),
        (("list", "--orders", "-"), "not stdin"),
    ],
)
def test_what_the_dask_engine_cannot_do_is_refused(tmp_path, cli, scheduler, args, words):
    result = cli(*args, "--engine", "dask", "--scheduler", scheduler, input="a,b\n")
    assert result.exit_code in (1, 2)
    assert words in said(result)
    assert not (tmp_path / "rejects.csv").exists()


def test_a_worker_memory_that_is_not_a_size_is_a_usage_error(cli):
    result = cli("list", "--engine", "dask", "--worker-memory", "lots")
    assert result.exit_code == 2
    assert "'lots' is not a size such as 1.5GB" in said(result)


def test_a_cluster_of_separate_processes_on_loopback(tmp_path, cli):
    """`dask scheduler` and `dask worker` started as the README shows, and a command run
    through them with --scheduler."""
    dask_command = str(Path(sys.executable).with_name("dask"))
    address_file = tmp_path / "scheduler.json"
    started = [
        subprocess.Popen(
            [dask_command, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(address_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    try:
        for _ in range(300):
            if address_file.exists() and address_file.read_text(encoding="utf-8").strip():
                break
            time.sleep(0.1)
        address = json.loads(address_file.read_text(encoding="utf-8"))["address"]
        started.append(
            subprocess.Popen(
                [dask_command, "worker", address, "--nworkers", "2", "--nthreads", "1",
                 "--no-dashboard", "--memory-limit", "500MB", "--local-directory", str(tmp_path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        args = ("list", "--json", "--as-of", AS_OF, "--segment", "VIP")
        pandas = cli(*args, "--no-cache")
        dask = cli(*args, "--engine", "dask", env={"DASK_SCHEDULER_ADDRESS": address})
        assert dask.exit_code == 0, dask.stderr
        assert dask.stdout == pandas.stdout
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)


def test_the_config_file_chooses_the_engine_and_a_flag_overrides_it(tmp_path, cli, monkeypatch):
    config = tmp_path / "segcli.toml"
    config.write_text('engine = "dask"\n', encoding="utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)  # so the dask engine fails at once
    chosen = cli("breakdown", "--config", config, "--json")
    assert json.loads(chosen.stdout)["error"]["code"] == "MISSING_DEPENDENCY"
    overridden = cli("breakdown", "--config", config, "--engine", "pandas", "--json")
    assert overridden.exit_code == 0, overridden.stderr


def test_an_unknown_engine_in_the_config_file_is_an_error(tmp_path, cli):
    config = tmp_path / "segcli.toml"
    config.write_text('engine = "spark"\n', encoding="utf-8")
    result = cli("breakdown", "--config", config)
    assert result.exit_code == 2
    assert "choose one of pandas, dask" in said(result)


def many_customers(tmp_path: Path) -> list[str]:
    """Three files of 40 customers (some in several files) whose spends, dates, counts and
    names tie now and then (names also by case only, or empty), with orders after the as-of."""
    names = ["", "ann", "Ann", "bob", "Bob", "Émile", "zed", "Zed"]
    files: list[list[dict]] = [[], [], []]
    for k in range(90):
        contact = f"c-{(k * 7) % 40:02d}"
        when = START + (k % 6) * 50 * DAY + (400 * DAY if k % 17 == 0 else 0)
        total = ["10.00", "25.50", "-4.00", "10.00", "7300.00"][k % 5]
        row = order(contact, when, total, f"R-{k}", name=names[k % 8], email=f"e{k % 3}@x.org")
        files[k % 3].append(row)
    paths = []
    for k, rows in enumerate(files):
        path = tmp_path / f"many-{k}.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        paths += ["--orders", str(path)]
    return paths


@pytest.fixture
def small_ranges(monkeypatch):
    """Four buckets cut into several ranges (about 8 customers each), chosen from 2 samples a
    bucket: uneven ranges, some empty, on tiny data."""
    from segcli import scaling, streaming

    monkeypatch.setattr(scaling, "BUCKET", 30)
    monkeypatch.setattr(streaming, "RANGE", 8)
    monkeypatch.setattr(streaming, "SAMPLES", 2)


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "ndjson"),
        ("--format", "csv", "--sort", "name", "--asc", "--offset", "5", "--limit", "17"),
        ("--format", "tsv", "--sort", "lastOrderDate", "--segment", "VIP", "--segment", "Dormant"),
        ("--format", "ndjson", "--sort", "lastOrderDaysAgo", "--asc", "--offset", "7"),
        ("--format", "csv", "--sort", "segment", "--max-days", "200", "--columns", "name,segment"),
        ("--format", "csv", "--min-spend", "1000000", "--bom"),  # no match: the header alone
        ("--format", "csv", "--sort", "email", "--desc", "--no-headers", "--offset", "100"),
    ],
    ids=lambda a: "-".join(a[1:4]),
)
def test_a_streamed_list_is_the_pandas_engines_byte_for_byte(
    tmp_path, cli, scheduler, small_ranges, args
):
    orders = many_customers(tmp_path)
    pandas, dask = both(cli, scheduler, "list", *args, *orders, "--as-of", "2025-09-01")
    assert pandas.exit_code == 0, pandas.stderr
    assert (dask.exit_code, dask.stdout, dask.stderr) == (0, pandas.stdout, pandas.stderr)


def test_the_streamed_list_never_brings_every_customer_here(
    tmp_path, cli, scheduler, small_ranges, monkeypatch
):
    """What this process receives: summaries, a few sort keys, range counts, and each range's
    bytes, one range a call. Gathering the customers (frames with a contactID) is not among it,
    nor is more than one range's bytes at once."""
    import pandas as pd

    from segcli import streaming

    received: list[list] = []
    gather = dask_engine.gather

    def spy(connected, futures):
        got = gather(connected, futures)
        received.append(list(got))
        return got

    monkeypatch.setattr(dask_engine, "gather", spy)
    orders = many_customers(tmp_path)
    args = ("list", "--format", "ndjson", *orders, "--as-of", "2025-09-01")
    dask = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    assert dask.exit_code == 0, dask.stderr

    def flat(values):
        for value in values:
            if isinstance(value, tuple | list):
                yield from flat(value)
            else:
                yield value

    for values in received:
        for value in flat(values):
            assert not (isinstance(value, pd.DataFrame) and "contactID" in value.columns)
            if isinstance(value, streaming._Said):
                assert len(value.sample) <= 2
    ranges = [v for v in received if v and isinstance(v[0], bytes)]
    assert len(ranges) > 3
    assert all(len(v) == 1 for v in ranges)
    assert b"".join(v[0] for v in ranges) == dask.stdout_bytes
    pandas = cli(*args, "--no-cache")
    assert dask.stdout == pandas.stdout
    assert dask.stdout.count("\n") == 39  # a customer's orders are all after the as-of


def test_what_cannot_stream_still_gathers_and_agrees(tmp_path, cli, scheduler, small_ranges):
    orders = many_customers(tmp_path)
    for args in (("--format", "csv", "--rfm"), ("--format", "json", "--limit", "5")):
        pandas, dask = both(cli, scheduler, "list", *args, *orders, "--as-of", "2025-09-01")
        assert (dask.exit_code, dask.stdout) == (0, pandas.stdout)


@given(
    counts=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    offset=st.integers(0, 30),
    limit=st.none() | st.integers(0, 30),
)
def test_a_page_takes_its_share_of_each_range(counts, offset, limit):
    from segcli import streaming

    chosen = streaming.page_of(counts, offset, limit)
    rows = [(r, i) for r, n in enumerate(counts) for i in range(n)]  # every match, in order
    stop = None if limit is None else offset + limit
    expected = rows[offset:stop]
    got = [(r, i) for r, start, end in chosen for i in range(start, end)]
    assert got == expected
    assert chosen[0][0] == 0 or expected  # an empty page still renders range 0 (CSV header)


def test_one_file_is_one_bucket_cut_into_ranges(cli, scheduler, monkeypatch):
    """The bundled sample: one file, so one bucket, cut into about three ranges."""
    from segcli import streaming

    monkeypatch.setattr(streaming, "RANGE", 100)
    args = (
        "list",
        "--format",
        "csv",
        "--sort",
        "lastOrderDate",
        "--offset",
        "50",
        "--limit",
        "150",
    )
    pandas, dask = both(cli, scheduler, *args)
    assert pandas.exit_code == 0, pandas.stderr
    assert (dask.exit_code, dask.stdout, dask.stderr) == (0, pandas.stdout, pandas.stderr)
    assert dask.stdout_bytes.count(b"\r\n") == 151  # the header and 150 customers


# The cache under --engine dask: an entry answers with no cluster (issue 16).

AFTER_ALL = "2026-12-01"  # after every order of files_with_ties: nothing is cut


@pytest.fixture
def clusters(monkeypatch) -> list:
    """The engines asked for a cluster (dask_engine.client), each still served."""
    asked: list = []
    client = dask_engine.client

    def spy(engine):
        asked.append(engine)
        return client(engine)

    monkeypatch.setattr(dask_engine, "client", spy)
    return asked


def entries(own_cache: Path) -> list[Path]:
    return sorted(own_cache.glob("*.arrow")) if own_cache.exists() else []


@pytest.mark.parametrize(
    ("command", "streams"),
    [
        (("list", "--format", "json"), False),  # then the warm path
        (("list", "--format", "ndjson", "--sort", "name"), True),  # then the full path
        (("list", "--format", "csv"), True),  # then the warm path
        (("breakdown", "--format", "json"), False),
        (("show", "c-1", "--format", "json"), False),
        (("rfm", "--format", "json"), False),  # the full path (loading's probe)
    ],
    ids=lambda c: "-".join(c[:2]) if isinstance(c, tuple) else str(c),
)
def test_a_second_dask_run_is_answered_from_the_cache_without_a_cluster(
    tmp_path, cli, scheduler, clusters, own_cache, command, streams
):
    paths = files_with_ties(tmp_path)
    orders = [a for p in paths for a in ("--orders", str(p))]
    args = (*command, *orders, "--as-of", AFTER_ALL)
    dask = ("--engine", "dask", "--scheduler", scheduler)
    first = cli(*args, *dask)
    assert first.exit_code == 0, first.stderr
    if streams:  # the customers stayed on the cluster: no entry, and one from another command
        assert entries(own_cache) == []
        cli("list", "--format", "json", *orders, "--as-of", AFTER_ALL, *dask)
    assert len(entries(own_cache)) == 1
    asked = len(clusters)
    # other cluster options: the same entry (the answer does not depend on them)
    second = cli(*args, "--engine", "dask", "--workers", "3", "--worker-memory", "1GB")
    assert len(clusters) == asked, "the second run asked for a cluster"
    assert (second.exit_code, second.stdout, second.stderr) == (0, first.stdout, first.stderr)
    pandas = cli(*args, "--no-cache")
    assert second.stdout == pandas.stdout


def test_one_file_from_the_cache_says_what_the_pandas_engine_says(
    tmp_path, cli, scheduler, clusters
):
    path = files_with_ties(tmp_path)[0]  # a skipped row
    args = ("list", "--format", "json", "--orders", path, "--as-of", AFTER_ALL)
    first = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    second = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    pandas = cli(*args, "--no-cache")
    assert len(clusters) == 1
    assert "skipped 1 of 5 rows" in pandas.stderr
    for dask in (first, second):
        assert (dask.exit_code, dask.stdout, dask.stderr) == (0, pandas.stdout, pandas.stderr)


def test_a_changed_file_is_computed_again(tmp_path, cli, scheduler, clusters):
    paths = files_with_ties(tmp_path)
    orders = [a for p in paths for a in ("--orders", str(p))]
    args = ("list", "--format", "json", *orders, "--as-of", AFTER_ALL)
    before = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    assert before.exit_code == 0, before.stderr
    later = order("c-9", START + 10 * DAY, "42.00", "Z-1", name="Zoe", email="z@x.org")
    paths[1].write_text(paths[1].read_text(encoding="utf-8") + csv_text([later]).split("\n", 1)[1])
    after = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    assert len(clusters) == 2
    assert '"c-9"' in after.stdout and '"c-9"' not in before.stdout
    assert after.stdout == cli(*args, "--no-cache").stdout


def test_an_as_of_that_cuts_orders_is_never_stored_nor_served(
    tmp_path, cli, scheduler, clusters, own_cache
):
    paths = files_with_ties(tmp_path)
    orders = [a for p in paths for a in ("--orders", str(p))]
    dask = ("--engine", "dask", "--scheduler", scheduler)
    early = ("list", "--format", "json", *orders, "--as-of", "2025-12-01")
    cut = cli(*early, *dask)
    assert "excluded 2 orders dated after" in cut.stderr
    assert entries(own_cache) == []  # an aggregate without those orders is not every order's
    whole = cli("list", "--format", "json", *orders, "--as-of", AFTER_ALL, *dask)
    assert whole.exit_code == 0 and len(entries(own_cache)) == 1
    again = cli(*early, *dask)  # the entry does not hold this as-of: computed on the cluster
    assert len(clusters) == 3
    pandas = cli(*early, "--no-cache")
    assert again.stdout == cut.stdout == pandas.stdout
    assert again.stderr == cut.stderr
    with_pandas = cli(*early)  # and the dask entry is not the pandas engine's
    assert with_pandas.stdout == pandas.stdout


def test_a_pandas_entry_is_not_served_to_the_dask_engine(
    tmp_path, cli, scheduler, clusters, own_cache
):
    paths = files_with_ties(tmp_path)
    orders = [a for p in paths for a in ("--orders", str(p))]
    args = ("breakdown", "--format", "json", *orders, "--as-of", AFTER_ALL)
    pandas = cli(*args)
    assert pandas.exit_code == 0 and len(entries(own_cache)) == 1
    dask = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    assert len(clusters) == 1  # the pandas engine's notices are not told as the dask engine's
    assert dask.stdout == pandas.stdout
    assert len(entries(own_cache)) == 2
    engines = []
    for path in entries(own_cache):
        with cache.open_entry(path.stem, root=own_cache) as opened:
            engines.append(opened.meta["built_from"]["options"].get("engine", "pandas"))
    assert sorted(engines) == ["dask", "pandas"]


def test_no_cache_and_a_damaged_entry_go_to_the_cluster(
    tmp_path, cli, scheduler, clusters, own_cache
):
    paths = files_with_ties(tmp_path)
    orders = [a for p in paths for a in ("--orders", str(p))]
    listed = ("list", *orders, "--as-of", AFTER_ALL)
    dask = ("--engine", "dask", "--scheduler", scheduler)
    first = cli(*listed, "--format", "json", *dask)  # gathered: an entry
    cli(*listed, "--format", "json", *dask, "--no-cache")
    assert len(clusters) == 2
    (entry,) = entries(own_cache)
    data = entry.read_bytes()
    assert b"Late Bob" in data
    entry.write_bytes(data.replace(b"Late Bob", b"Late Bop"))
    streamed = (*listed, "--format", "ndjson", "--sort", "name")  # the entry's meta is sound
    damaged = cli(*streamed, *dask)
    assert len(clusters) == 3
    rebuilt = "the cache entry for these inputs was damaged; rebuilt\n"
    assert damaged.stderr == rebuilt + first.stderr
    assert damaged.stdout == cli(*streamed, "--no-cache").stdout
    assert "Late Bop" not in damaged.stdout and "Late Bob" in damaged.stdout
    again = cli(*streamed, *dask)  # the rebuilt entry, with no cluster
    assert (again.stdout, again.stderr) == (damaged.stdout, first.stderr)
    assert len(clusters) == 3


def test_a_contacts_file_is_read_afresh_beside_a_cached_aggregate(
    tmp_path, cli, scheduler, clusters
):
    paths = files_with_ties(tmp_path)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("contactID,name\nc-1,Ann Contact\nc-77,No Orders\n", encoding="utf-8")
    orders = [a for p in paths for a in ("--orders", str(p))]
    args = ("list", "--format", "json", *orders, "--customers", contacts, "--as-of", AFTER_ALL)
    first = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    second = cli(*args, "--engine", "dask", "--scheduler", scheduler)
    assert len(clusters) == 1
    assert (second.exit_code, second.stdout, second.stderr) == (0, first.stdout, first.stderr)
    assert '"c-77"' in second.stdout
    assert second.stdout == cli(*args, "--no-cache").stdout
