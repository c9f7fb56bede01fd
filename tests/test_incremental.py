"""New exports added to old ones (incremental.py): a folder whose cached entry is extended by the
files added since prints exactly what reading every file with --no-cache prints, stderr too, and
reads only the new files."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from helpers import AS_OF, AS_OF_MS, DAY, DEV_EXAMPLES, Cli, csv_text, examples_at_most, order
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import format_instant

from segcli import accounts, cache, cache_folder, incremental
from segcli.input import readers
from segcli.model.cache_limits import CacheLimits
from segcli.model.schema import DETAIL_COLUMNS

COLUMNS = ("orderReference", "contactID", "orderDate", "total", "name", "email", "phone")
COMMANDS = [
    ("list", "--format", "json"),
    ("breakdown", "--format", "json"),
    ("show", "c-2", "--format", "json"),
]


@st.composite
def export(draw, day: int) -> list[dict]:
    """One file of orders, dated about `day` days before the as-of: some older, some skipped,
    some lines of one order and, in one file of five, some sharing a reference with another
    file (an order repeated or replaced)."""
    shared = ["R-1", "R-2"] if draw(st.integers(0, 4)) == 0 else []
    rows = []
    for n in range(draw(st.integers(1, 6))):
        age = day + draw(st.sampled_from([0, 0, 0, 0, 0, 1, 40]))
        ms = AS_OF_MS - age * DAY + draw(st.sampled_from([0, 0, 1, 3_600_000]))
        date = format_instant(ms) if draw(st.integers(0, 12)) else "not a date"
        reference = draw(st.sampled_from(["", "", "", f"L-{day}", *shared]))
        rows.append(
            {
                "orderReference": reference or f"O-{day}-{n}",
                "contactID": draw(st.sampled_from(["c-1", "c-2", "c-3"])),
                "orderDate": date,
                "total": draw(st.sampled_from(["1.00", "2.50", "-3.00", "5000.01", "0.125"])),
                "name": draw(st.sampled_from(["", "Ana", "Ben"])),
                "email": draw(st.sampled_from(["", "a@x.co"])),
                "phone": draw(st.sampled_from(["", "021"])),
            }
        )
    return rows


@st.composite
def histories(draw) -> list[tuple[str, str, list[dict]]]:
    """A folder's life: files written (name, rows), then added or changed, one step at a time
    (a step is ('add'|'change', name, rows))."""
    days = draw(st.lists(st.integers(0, 60), min_size=4, max_size=7, unique=True))
    days.sort(reverse=True)  # exports arrive in date order, mostly
    steps = []
    for k, day in enumerate(days):
        if k >= 2 and draw(st.integers(0, 4)) == 0:  # an earlier file changes
            name = f"day-{draw(st.integers(0, k - 1)):02d}.csv"
            steps.append(("change", name, draw(export(day))))
        rows = draw(export(day))
        if steps and draw(st.booleans()):  # a tie with an order of the file before
            before = draw(st.sampled_from(steps[-1][2]))
            rows.append(dict(before, orderReference=f"TIE-{k}", name="Tie", total="1.00"))
        steps.append(("add", f"day-{k:02d}.csv", rows))
    return steps


def run_both(cli: Cli, folder: Path, cache_home: str, as_of: str = AS_OF) -> None:
    for command in COMMANDS:
        args = (*command, "--orders", folder, "--as-of", as_of)
        full = cli(*args, "--no-cache")
        cached = cli(*args, env={"XDG_CACHE_HOME": cache_home})
        assert (cached.exit_code, cached.stdout, cached.stderr) == (
            full.exit_code,
            full.stdout,
            full.stderr,
        ), args


# Each example writes files and runs several commands cached and --no-cache (about 4.5 s in
# the ci profile): 40 took 180 s, the suite's slowest test by far; the dev count is the floor.
@settings(
    max_examples=examples_at_most(DEV_EXAMPLES),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=histories(), early=st.booleans(), runs=st.sampled_from([1, 2, incremental.MAX_RUNS]))
def test_adding_and_changing_files_prints_what_a_full_read_prints(cli: Cli, steps, early, runs):
    """(`runs`: a side file's runs are merged past it: at 1, at every file added)"""
    with tempfile.TemporaryDirectory() as work, pytest.MonkeyPatch.context() as patch:
        patch.setattr(incremental, "MAX_RUNS", runs)
        folder, cache_home = Path(work) / "exports", str(Path(work) / "cache")
        folder.mkdir()
        for k, (_, name, rows) in enumerate(steps):
            (folder / name).write_text(csv_text(rows, COLUMNS), encoding="utf-8")
            if k >= 1:
                run_both(cli, folder, cache_home)
        if early:  # an as-of before the newest order needs the orders themselves
            run_both(cli, folder, cache_home, "2025-09-01")


def write(folder: Path, name: str, rows: list[dict]) -> None:
    (folder / name).write_text(csv_text(rows, COLUMNS), encoding="utf-8")


def day_rows(day: int, *contacts: str, **details: str) -> list[dict]:
    ms = AS_OF_MS - day * DAY
    return [order(c, ms + k, "10.00", f"R-{day}-{k}", **details) for k, c in enumerate(contacts)]


def counting_reads(monkeypatch) -> list[list[str]]:
    """Every call to read the orders' columns, as the labels of the files it reads."""
    calls: list[list[str]] = []
    real = readers.read_orders

    def counted(found, *args, **kwargs):
        calls.append([Path(s.label).name for s in found])
        return real(found, *args, **kwargs)

    monkeypatch.setattr(readers, "read_orders", counted)
    return calls


def test_adding_a_file_reads_only_that_file(cli: Cli, tmp_path, own_cache, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    for day in range(10, 4, -1):
        write(folder, f"day-{20 - day:02d}.csv", day_rows(day, "c-1", "c-2", name="Ana"))
    args = ("list", "--format", "json", "--orders", folder, "--as-of", AS_OF)
    assert cli(*args).exit_code == 0  # a full read, which leaves the folder's entry
    write(folder, "day-16.csv", day_rows(4, "c-2", "c-9", name="Ben"))
    calls = counting_reads(monkeypatch)
    added = cli(*args)
    assert calls == [["day-16.csv"]]
    assert added.stdout == cli(*args, "--no-cache").stdout
    assert added.stderr == cli(*args, "--no-cache").stderr
    calls.clear()
    assert cli(*args).stdout == added.stdout  # warm: the entry of every file answers
    assert calls == []


def test_a_new_file_that_repeats_an_order_is_read_with_the_others(
    cli: Cli, tmp_path, own_cache, monkeypatch
):
    folder = tmp_path / "exports"
    folder.mkdir()
    write(folder, "a.csv", day_rows(9, "c-1", "c-2"))
    write(folder, "b.csv", day_rows(8, "c-1"))
    args = ("list", "--format", "json", "--orders", folder, "--as-of", AS_OF)
    assert cli(*args).exit_code == 0
    changed = [dict(row, total="11.00") for row in day_rows(9, "c-1")]  # a differing copy
    write(folder, "c.csv", changed)
    calls = counting_reads(monkeypatch)
    added = cli(*args)
    full = cli(*args, "--no-cache")
    assert (added.stdout, added.stderr) == (full.stdout, full.stderr)
    assert "differ between files" in added.stderr
    assert calls[-1] == ["a.csv", "b.csv", "c.csv"]  # the fallback reads them all
    strict = cli(*args, "--strict")
    assert strict.exit_code == 1 and "differ between files" in strict.stderr


def added_to(cli: Cli, tmp_path: Path) -> tuple[Path, tuple]:
    """A folder of three days read (its entry written), then a fourth day added and read from
    that entry (the entry of day-0..3, from that of day-0..2): the folder and the list asked."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for k in range(3):
        write(folder, f"day-{k}.csv", day_rows(9 - k, "c-1", "c-2"))
    args = ("list", "--format", "json", "--orders", folder, "--as-of", AS_OF)
    assert cli(*args).exit_code == 0
    write(folder, "day-3.csv", day_rows(5, "c-3"))
    assert cli(*args).exit_code == 0
    return folder, args


def test_a_file_appended_to_is_read_again_whole(cli: Cli, tmp_path, own_cache, monkeypatch):
    folder, args = added_to(cli, tmp_path)
    with (folder / "day-3.csv").open("a", encoding="utf-8") as handle:
        handle.write(csv_text(day_rows(4, "c-1"), COLUMNS).split("\n", 1)[1])
    calls = counting_reads(monkeypatch)
    appended = cli(*args)
    assert calls == [["day-3.csv"]]  # on the entry of day-0..2, which is still there
    assert appended.stdout == cli(*args, "--no-cache").stdout


def test_an_entry_and_its_side_file_leave_together(tmp_path, own_cache, cli: Cli):
    folder = tmp_path / "exports"
    folder.mkdir()
    for k in range(2):
        write(folder, f"day-{k}.csv", day_rows(9 - k, "c-1"))
    assert cli("breakdown", "--orders", folder, "--as-of", AS_OF).exit_code == 0
    sides = list(own_cache.glob(f"*{cache.SIDE_SUFFIX}"))
    assert len(sides) == 1
    stored = cache.entries(own_cache)[0]
    files = [p for p in own_cache.iterdir() if p.suffix != cache.ENTRY_SUFFIX]
    assert len(files) == 3  # the checksums, the side file, its one run of hashes
    size = (own_cache / stored.name).stat().st_size + sum(p.stat().st_size for p in files)
    assert stored.size == size  # all counted in the entry's size
    assert cache.evict(own_cache, CacheLimits(max_entries=0)) == 1
    assert list(own_cache.iterdir()) == []


def runs(folder: Path) -> dict[str, list[Path]]:
    """Each side file's runs, by entry."""
    return {
        side.stem: sorted(folder.glob(f"{side.stem}.*{cache_folder.RUN_SUFFIX}"))
        for side in folder.glob(f"*{cache.SIDE_SUFFIX}")
    }


def test_adding_a_file_links_the_old_runs_and_writes_one(
    cli: Cli, tmp_path, own_cache, monkeypatch
):
    """The hashes of the files read before are not written again (a hard link to the old
    entry's runs) until there are more than MAX_RUNS runs: then they are merged into one."""
    monkeypatch.setattr(incremental, "MAX_RUNS", 3)
    folder = tmp_path / "exports"
    folder.mkdir()
    for k in range(2):
        write(folder, f"day-{k}.csv", day_rows(9 - k, "c-1", "c-2"))
    args = ("breakdown", "--format", "json", "--orders", folder, "--as-of", AS_OF)
    assert cli(*args).exit_code == 0
    before = runs(own_cache)
    assert [len(r) for r in before.values()] == [1]
    (last,) = before
    counts = []
    for k in range(2, 6):
        write(folder, f"day-{k}.csv", day_rows(9 - k, "c-2", f"c-{k + 1}"))
        calls = counting_reads(monkeypatch)
        added = cli(*args)
        assert calls == [[f"day-{k}.csv"]]
        assert added.stdout == cli(*args, "--no-cache").stdout
        new = {key: found for key, found in runs(own_cache).items() if key not in before}
        assert len(new) == 1
        ((key, found),) = new.items()
        counts.append(len(found))
        if len(found) > 1:  # the old runs, the same files under new names
            old = [f.stat().st_ino for f in before[last]]
            assert [f.stat().st_ino for f in found[:-1]] == old
        before, last = runs(own_cache), key
    assert counts == [2, 3, 1, 2]  # 4 runs are more than 3: merged into one


@pytest.mark.parametrize("damage", ["side", "run", "missing run"])
def test_a_damaged_side_file_is_refused(cli: Cli, tmp_path, own_cache, monkeypatch, damage):
    folder, args = added_to(cli, tmp_path)  # an entry whose side file has two runs
    (side,) = [s for s, found in runs(own_cache).items() if len(found) == 2]
    for other in set(runs(own_cache)) - {side}:  # (an older entry would serve instead)
        cache_folder.remove(own_cache, other)
    if damage == "side":
        path = own_cache / f"{side}{cache.SIDE_SUFFIX}"
        path.write_bytes(path.read_bytes().replace(b"newest_ms", b"newest_MS"))
    elif damage == "run":
        path = runs(own_cache)[side][0]
        data = bytearray(path.read_bytes())
        data[3] ^= 1
        path.write_bytes(bytes(data))
    else:
        runs(own_cache)[side][1].unlink()
    write(folder, "day-4.csv", day_rows(4, "c-2"))
    calls = counting_reads(monkeypatch)
    added = cli(*args)
    assert calls[-1] == [f"day-{k}.csv" for k in range(5)]  # not trusted: every file read
    full = cli(*args, "--no-cache")
    assert (added.stdout, added.stderr) == (full.stdout, full.stderr)


@pytest.mark.parametrize("several", [False, True])
def test_an_account_survives_its_json(tmp_path, several):
    from segcli import reading
    from segcli.input import sources
    from segcli.model.options import ExportOptions, ParseOptions

    rows = [*day_rows(3, "c-1", "c-2"), dict(day_rows(2, "c-1")[0], orderDate="bad")]
    paths = []
    for k in range(2 if several else 1):
        (tmp_path / f"{k}.csv").write_text(csv_text(rows, COLUMNS), encoding="utf-8")
        paths.append(str(tmp_path / f"{k}.csv"))
    found = sources.resolve_sources(paths)
    read = reading.read_orders(found, [], ExportOptions(), ParseOptions(), False, DETAIL_COLUMNS)
    assert read is not None
    again = accounts.from_json(accounts.to_json(read.account))
    assert accounts.to_json(again) == accounts.to_json(read.account)
    assert accounts.tell(again) == accounts.tell(read.account)
    assert "unparseable orderDate" in " ".join(n.text for n in accounts.tell(again))


XERO_HEADER = "ContactName,EmailAddress,InvoiceNumber,InvoiceDate,Total,Currency,Type,Status\n"


def xero(*rows: tuple[str, str, str, str, str]) -> str:
    """A Xero sales invoices export: (contact, number, day/month/year, total, type) rows."""
    lines = [f"{c},,{n},{d},{t},NZD,{kind},PAID\n" for c, n, d, t, kind in rows]
    return XERO_HEADER + "".join(lines)


def test_credit_notes_of_customers_without_orders_carry_over(
    cli: Cli, tmp_path, own_cache, monkeypatch
):
    """A customer whose only rows are credit notes is not listed, but its credit counts once it
    has an order in a file added later (and the other way round)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    invoice, credit = "Sales invoice", "Sales credit note"
    (folder / "a.csv").write_text(
        xero(
            ("Ana Ltd", "INV-1", "01/10/2025", "100.00", invoice),
            ("Cred Co", "CN-1", "02/10/2025", "30.00", credit),
        ),
        encoding="utf-8",
    )
    (folder / "b.csv").write_text(
        xero(("Ana Ltd", "INV-2", "03/10/2025", "50.00", invoice)), encoding="utf-8"
    )
    args = ("list", "--format", "json", "--orders", folder, "--as-of", AS_OF)
    assert cli(*args).exit_code == 0
    (folder / "c.csv").write_text(
        xero(
            ("Cred Co", "INV-3", "05/10/2025", "80.00", invoice),
            ("Ana Ltd", "CN-2", "06/10/2025", "10.00", credit),
            ("Only Credit", "CN-3", "06/10/2025", "5.00", credit),
        ),
        encoding="utf-8",
    )
    calls = counting_reads(monkeypatch)
    added = cli(*args)
    assert calls == [["c.csv"]]
    full = cli(*args, "--no-cache")
    assert (added.stdout, added.stderr) == (full.stdout, full.stderr)
    assert '"totalSpend":"50.00"' in added.stdout  # Cred Co: 80.00 less its earlier 30.00
    (folder / "d.csv").write_text(
        xero(("Only Credit", "INV-4", "07/10/2025", "20.00", invoice)), encoding="utf-8"
    )
    calls.clear()
    again = cli(*args)
    assert calls == [["d.csv"]]
    full = cli(*args, "--no-cache")
    assert (again.stdout, again.stderr) == (full.stdout, full.stderr)
    assert '"totalSpend":"15.00"' in again.stdout  # Only Credit: 20.00 less 5.00


def test_verbose_says_how_many_files_were_read(cli: Cli, tmp_path, own_cache):
    folder = tmp_path / "exports"
    folder.mkdir()
    for k in range(3):
        write(folder, f"day-{k}.csv", day_rows(9 - k, "c-1", name="Ana"))
    args = ("list", "--format", "json", "--orders", folder, "--as-of", AS_OF, "-v")
    assert cli(*args).exit_code == 0
    write(folder, "day-3.csv", day_rows(5, "c-1", name="Ana"))
    assert "read 1 new of 4 files" in cli(*args).stderr
    # older than the order the entry's name may come from, whose instant it does not keep
    write(folder, "day-4.csv", day_rows(30, "c-1", name="Ann"))
    assert "full read" in cli(*args).stderr


@given(st.lists(st.text(max_size=30), min_size=1, max_size=30), st.data())
def test_equal_text_hashes_equal_whatever_the_layout(texts, data):
    """A text's hash depends on its bytes alone: not on its chunk, its neighbours' lengths or
    a slice's offset into a larger buffer."""
    import pyarrow as pa

    from segcli.engines.hashes import text_hashes

    whole = text_hashes(pa.array(texts))
    cut = data.draw(st.integers(0, len(texts)))
    padded = pa.array(["x" * 40, *texts, "y" * 17]).slice(1, len(texts))
    chunked = pa.chunked_array([padded.slice(0, cut), padded.slice(cut)], type=pa.string())
    assert list(text_hashes(chunked)) == list(whole)
    assert list(text_hashes(pa.array(texts, pa.large_string()))) == list(whole)
    distinct = dict(zip(texts, whole, strict=True))
    assert len(set(distinct.values())) == len(distinct)  # no collision among a few texts
