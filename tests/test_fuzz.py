"""Fuzzing the loader (the "Hardening" issue): whatever bytes an input holds, segcli answers
within its contract (SPEC sections 1, 5 and 6).

Three generators feed the CLI in process (typer's CliRunner on `segcli.cli.app`, `--format
json`, a fixed `--as-of`, a cache directory of each example's own):

- mutated bytes of the real sample files (sample_data/orders.csv's first lines, a slice of
  sample_data/orders.parquet, sample_data/exports/*, tests/golden/orders.csv), as CSV, as gzip
  (text mutated then compressed, or compressed then mutated) and as Parquet, named right or
  wrong, with a random command and reading options;
- random Arrow schemas and values written as Parquet (every type a column can hold, extreme
  values, invalid UTF-8, duplicate names, several writer options);
- canonical 4-column CSV files written here, where the number of data rows is known.

Every run must keep these invariants (`violations`): exit code 0, 1 or 2; no exception escapes
and no traceback on stderr; stdout is one line of valid UTF-8 JSON without NaN/Infinity, a
success on exit 0 and, on exit 1, an error whose code is a documented one (never INTERNAL)
and whose message is stderr's last line; a file whose every row is skipped fails (exit 1); the
input is not modified; a warm run (from the cache) prints what a `--no-cache` run prints; each
customer's metrics have the spec's shapes (an instant in years 1-9999, an amount with two
decimals, a known segment and frequency, no negative age). The Parquet generator adds what its
values rule out (a negative spend from non-negative totals, a customer `nan` from a float
column). The canonical CSV files also: counted orders + skipped + excluded rows = the rows
written, "skipped N of M rows" has M = the rows written, and the file never fails but for
every row being skipped.

Runs:

- In the normal suite each property runs a few examples (a tenth of the Hypothesis profile's
  `max_examples`, at least 3; no shrinking): about 2 s with `dev`, 7 s with `ci`, plus the
  kept cases below.
- The long campaign is marked `fuzz` (excluded by default):

      FUZZ_EXAMPLES=2000 .venv/bin/pytest -m fuzz tests/test_fuzz.py

  FUZZ_EXAMPLES is the examples per property (default 1000). It stops at the first failure of
  each property and shrinks it. To collect every distinct failure instead, record them:

      FUZZ_RECORD=/tmp/fuzz-found FUZZ_EXAMPLES=2000 .venv/bin/pytest -m fuzz tests/test_fuzz.py

  Each distinct failure (by `signature`: the invariant and the shape of its message) is kept in
  its own folder there, the smallest example seen, with a case.json (the command); nothing fails.
  Then make each one small:

      .venv/bin/python tests/test_fuzz.py minimise /tmp/fuzz-found/SIGNATURE-FOLDER

- Failures found are kept under tests/fuzz_cases/ (`test_fuzz_case` runs each through the same
  invariants): `NAME.csv` / `NAME.csv.gz` / `NAME.parquet`, and when the command is not
  `list --orders FILE`, `NAME.json` holding {"args": [...], "rows": N, ...} (`@case` is the
  file, `@ROOT/` the repository); tests/fuzz_cases/README.md says what each one shows.

A campaign of about 6,800 examples (2025-12) found the failures kept there; on an idle core
the long run does 1,000 mutated files in about 1.5 min, 1,000 Parquet files in 2.5 min and
1,000 canonical CSV files in 4 min.
"""

from __future__ import annotations

import csv
import decimal
import gzip
import io
import json
import os
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import AS_OF, CLI_ENV
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from strategies import BAD_DATES, BAD_TOTALS, TOTALS
from typer.testing import CliRunner

from segcli.cache import ENTRY_SUFFIX
from segcli.cli import app
from segcli.model.schema import FREQUENCIES, SEGMENTS

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "fuzz_cases"
EXIT_CODES = {0, 1, 2}
ERROR_CODES = {"NOT_FOUND", "INVALID_INPUT", "MISSING_COLUMN", "UNREADABLE", "MISSING_DEPENDENCY"}
RECORD = os.environ.get("FUZZ_RECORD")  # a folder: keep every distinct failure, fail none

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# The suite's run: a tenth of the profile's examples (dev: 3, ci: 15) per property, no
# shrinking (seconds, even while it fails; the long run and tests/fuzz_cases/ give small cases),
# and the same examples every time (derandomized): a suite that fails by chance helps no one;
# finding new failures is the long, random run's job.
SHORT = settings(
    max_examples=max(3, settings().max_examples // 10),
    deadline=None,
    suppress_health_check=_HEALTH,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    derandomize=True,
)
LONG = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=_HEALTH,
)


# --- cases and runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """Files to write (name -> bytes) and a command whose `@NAME` arguments are their paths
    (`@ROOT/...`: the repository's files). `rows`: the data rows, when known."""

    files: dict[str, bytes]
    args: tuple[str, ...]
    stdin: bytes | None = None
    rows: int | None = None
    nonnegative: bool = False  # every total is >= 0: no customer's spend may be negative
    not_ids: frozenset[str] = frozenset()  # contactIDs that must not appear (a float NaN)
    origin: str = field(default="", compare=False)  # what generated it, for the record

    def size(self) -> int:
        return sum(len(b) for b in self.files.values()) + len(self.stdin or b"")


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: bytes
    stderr: str
    escaped: BaseException | None  # an exception that got past the CLI's boundary


@dataclass(frozen=True)
class Violation:
    signature: str  # the invariant and the shape of the message: one per distinct failure
    detail: str


def _command(case: Case, folder: Path) -> list[str]:
    def place(arg: str) -> str:
        if arg.startswith("@ROOT/"):
            return str(ROOT / arg.removeprefix("@ROOT/"))
        if arg.startswith("@") and arg[1:] in case.files:
            return str(folder / arg[1:])
        return arg

    return [place(a) for a in case.args] + ["--format", "json", "--as-of", AS_OF]


def _invoke(argv: list[str], stdin: bytes | None, cache_home: Path, folder: Path) -> Run:
    env = {**CLI_ENV, "XDG_CACHE_HOME": str(cache_home)}
    result = CliRunner().invoke(app, argv, input=stdin, env=env)
    escaped = result.exception
    if isinstance(escaped, SystemExit):
        escaped = None

    def plain(text: str) -> str:
        return text.replace(str(folder), "<tmp>").replace(str(ROOT), "<root>")

    stdout = plain(result.stdout_bytes.decode("utf-8", "surrogateescape")).encode(
        "utf-8", "surrogateescape"
    )
    return Run(
        result.exit_code, stdout, plain(result.stderr_bytes.decode("utf-8", "replace")), escaped
    )


def violations(case: Case, *, with_cache: bool = True) -> list[Violation]:
    """Run `case` with the cache (cold, then warm) and with `--no-cache`; every invariant it
    breaks."""
    with tempfile.TemporaryDirectory(prefix="segcli-fuzz-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for name, content in case.files.items():
            (folder / name).write_bytes(content)
        argv = _command(case, folder)
        found: list[Violation] = []
        runs = []
        if with_cache:
            cache_home = Path(tmp) / "cache"
            cold = _invoke(argv, case.stdin, cache_home, folder)
            runs.append(("cold", cold))
            if any(cache_home.rglob(f"*{ENTRY_SUFFIX}")):  # an entry was written: use it
                runs.append(("warm", _invoke(argv, case.stdin, cache_home, folder)))
        plain = _invoke([*argv, "--no-cache"], case.stdin, Path(tmp) / "unused", folder)
        runs.append(("no-cache", plain))
        for _, run in runs:
            found.extend(v for v in _run_violations(run, case) if v not in found)
        for name, run in runs[:-1]:
            found.extend(_differences(name, run, plain))
        for name, content in case.files.items():
            if (folder / name).read_bytes() != content:
                found.append(Violation("input file modified", name))
        return found


def _differences(name: str, run: Run, plain: Run) -> list[Violation]:
    """How a run with the cache differs from the `--no-cache` one (one violation)."""
    parts = [p for p in ("exit_code", "stdout", "stderr") if getattr(run, p) != getattr(plain, p)]
    if not parts:
        return []
    detail = "\n  ".join(
        f"{p}: {getattr(run, p)!r:.300}\n  vs --no-cache: {getattr(plain, p)!r:.300}" for p in parts
    )
    return [Violation(f"cache: {name} run differs from --no-cache in {', '.join(parts)}", detail)]


def shape(message: str) -> str:
    """The shape of a message: no file names, quoted values or numbers; its first words."""
    text = re.sub(r"<tmp>/\S+?:", "FILE:", message)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\(found: [^)]*\)", "(found: …)", text)
    text = re.sub(r"\d[\d,.]*", "0", text)
    text = text.split(" (set SEGCLI_DEBUG")[0]
    text = re.sub(r"(while decompressing data):.*", r"\1", text)  # zlib's reasons: one failure
    text = re.sub(r"[^\x20-\x7e]+", "?", text)  # undecodable bytes, quoted
    return text[:90]


_SKIPPED = re.compile(r"^skipped ([\d,]+) of ([\d,]+) rows", re.MULTILINE)
_EXCLUDED = re.compile(r"^excluded ([\d,]+) orders? ", re.MULTILINE)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _run_violations(run: Run, case: Case) -> list[Violation]:
    found = []

    def bad(signature: str, detail: str = "") -> None:
        found.append(Violation(signature, f"{detail}\n  stderr: {run.stderr[-600:]!r}"))

    if run.escaped is not None:
        bad(f"exception escaped: {type(run.escaped).__name__}: {shape(str(run.escaped))}")
    if run.exit_code not in EXIT_CODES:
        bad(f"exit code {run.exit_code}")
    if "Traceback (most recent call last)" in run.stderr:
        bad("traceback on stderr")
    try:
        text = run.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad("stdout is not UTF-8", str(exc))
        return found
    if run.exit_code == 2 and not text:
        return found  # a usage error, as Click reports it
    if not text.endswith("\n") or "\n" in text[:-1]:
        bad("stdout is not one line of JSON", repr(text[:200]))

    def no_constants(name: str) -> None:
        raise ValueError(f"JSON holds {name}")

    try:
        document = json.loads(text, parse_constant=no_constants)
    except ValueError as exc:
        bad("stdout is not valid JSON", f"{exc}: {text[:200]!r}")
        return found
    if not isinstance(document, dict) or "success" not in document:
        bad("stdout is not a segcli JSON document", text[:200])
        return found
    skipped = _SKIPPED.search(run.stderr)
    if run.exit_code == 0:
        if document["success"] is not True:
            bad("exit 0 without success", text[:200])
        if skipped and _number(skipped[1]) == _number(skipped[2]) > 0:
            bad("every row skipped, yet exit 0", skipped[0])
        if case.args[0] in ("list", "show"):
            found.extend(_customer_violations(document, case))
        if case.rows is not None and case.args[0] == "list":
            found.extend(_row_violations(document, run.stderr, case.rows))
    elif run.exit_code == 1:
        error = document.get("error") or {}
        code, message = error.get("code"), str(error.get("message"))
        if document["success"] is not False:
            bad("exit 1 without an error document", text[:200])
        elif code == "INTERNAL":
            bad(f"INTERNAL {shape(message)}", message)
        elif code not in ERROR_CODES:
            bad(f"undocumented error code {code}", message)
        elif case.rows is not None and code != "INVALID_INPUT":
            # A canonical file can only fail when every row is skipped.
            bad(f"canonical CSV file fails: {code} {shape(message)}", message)
        lines = run.stderr.rstrip("\n").split("\n")
        if lines[-1] != f"error: {message}" or sum(s.startswith("error: ") for s in lines) != 1:
            bad("stderr's error line is not the JSON error's message", message)
    return found


_INSTANT = re.compile(
    r"^(?!0000)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$"
)
_AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


def _customer_violations(document: dict, case: Case) -> list[Violation]:
    """Each customer's metrics in the shapes SPEC section 3 gives (a counted order is dated
    years 1-9999, at or before the as-of), and what the case's own values rule out."""
    data = document["data"]
    customers = data if isinstance(data, list) else [data]
    found = []
    for customer in customers:
        metrics = customer["metrics"]
        checks = {
            "lastOrderDate": metrics["lastOrderDate"] is None
            or bool(_INSTANT.match(metrics["lastOrderDate"])),
            "totalSpend": bool(_AMOUNT.match(metrics["totalSpend"])),
            "orderCount": isinstance(metrics["orderCount"], int) and metrics["orderCount"] >= 0,
            "lastOrderDaysAgo": metrics["lastOrderDaysAgo"] is None
            or (isinstance(metrics["lastOrderDaysAgo"], int) and metrics["lastOrderDaysAgo"] >= 0),
            "segment": metrics["segment"] in SEGMENTS,
            "purchaseFrequency": metrics["purchaseFrequency"] in FREQUENCIES,
        }
        if case.nonnegative and checks["totalSpend"]:
            checks["totalSpend >= 0"] = not metrics["totalSpend"].startswith("-")
        if case.not_ids:
            checks["contactID"] = customer["contactID"] not in case.not_ids
        for name, ok in checks.items():
            if not ok:
                value = (
                    customer["contactID"] if name == "contactID" else metrics.get(name.split()[0])
                )
                found.append(
                    Violation(f"customer's {name} out of contract", f"{value!r}: {customer}")
                )
    return found


def _row_violations(document: dict, stderr: str, rows: int) -> list[Violation]:
    counted = sum(c["metrics"]["orderCount"] for c in document["data"])
    skipped = _SKIPPED.search(stderr)
    n_skipped = _number(skipped[1]) if skipped else 0
    n_excluded = sum(_number(m) for m in _EXCLUDED.findall(stderr))
    found = []
    if skipped and _number(skipped[2]) != rows:
        found.append(
            Violation("rows: 'skipped N of M rows' has M != rows", f"{skipped[0]}; {rows}")
        )
    if counted + n_skipped + n_excluded != rows:
        found.append(
            Violation(
                "rows: counted + skipped + excluded != rows",
                f"{counted} + {n_skipped} + {n_excluded} != {rows}\n  stderr: {stderr!r:.600}",
            )
        )
    return found


def check(case: Case) -> None:
    """Fail with every violation of `case`; or, when recording, keep it and go on."""
    found = violations(case)
    if RECORD:
        for violation in found:
            _record(Path(RECORD), case, violation)
        return
    assert not found, "\n".join(f"{v.signature}\n  {v.detail}" for v in found)


def _slug(signature: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", signature).strip("-")[:80]


def _record(root: Path, case: Case, violation: Violation) -> None:
    """Keep the smallest case of each signature under root/slug/."""
    folder = root / _slug(violation.signature)
    meta = folder / "case.json"
    if meta.exists() and json.loads(meta.read_text())["size"] <= case.size():
        seen = json.loads(meta.read_text())
        seen["seen"] += 1
        meta.write_text(json.dumps(seen, indent=1))
        return
    seen = json.loads(meta.read_text())["seen"] + 1 if meta.exists() else 1
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        (folder / name).write_bytes(content)
    if case.stdin is not None:
        (folder / "stdin").write_bytes(case.stdin)
    record = {
        "signature": violation.signature,
        "detail": violation.detail,
        "args": list(case.args),
        "rows": case.rows,
        "nonnegative": case.nonnegative,
        "not_ids": sorted(case.not_ids),
        "stdin": case.stdin is not None,
        "origin": case.origin,
        "size": case.size(),
        "seen": seen,
    }
    meta.write_text(json.dumps(record, indent=1))


# --- seeds: the real sample files ---------------------------------------------------------------

CSV_SEEDS = {
    "orders.csv": ("sample_data/orders.csv", 30),  # its first 30 lines: small repros
    "golden.csv": ("tests/golden/orders.csv", None),
    "accounting.csv": ("sample_data/exports/accounting_invoices.csv", None),
    "contacts.csv": ("sample_data/exports/contacts.csv", None),
    "shopify.csv": ("sample_data/exports/shopify_orders_export.csv", None),
    "woocommerce.csv": ("sample_data/exports/woocommerce_orders.csv", None),
    "xero.csv": ("sample_data/exports/xero_sales_invoices.csv", None),
}


@cache
def csv_seed(name: str) -> bytes:
    path, lines = CSV_SEEDS[name]
    data = (ROOT / path).read_bytes()
    if lines is not None:
        data = b"".join(data.splitlines(keepends=True)[:lines])
    return data


@cache
def parquet_seed(compression: str) -> bytes:
    """The first rows of the sample Parquet file, its schema kept, written anew."""
    table = pq.read_table(ROOT / "sample_data/orders.parquet").slice(0, 12)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression=compression)
    return buffer.getvalue()


TOKENS = [
    b",",
    b'"',
    b'""',
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00",
    b"\t",
    b";",
    b" ",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x99\x82",
    b"\x1b[31m",
    b"-",
    b"+",
    b".",
    b"$",
    b"(",
    b"=",
    b"NaN",
    b"inf",
    b"1e400",
    b"9" * 25,
    b"-0",
    b"0001-01-01",
    b"9999-12-31T23:59:59.999Z",
    b"10000-01-01",
    b"2025-10-24",
    b"+14:00",
    b"Z",
    b"T",
    b"cancelled",
    b"credit",
    b"PAR1",
    b"\x1f\x8b",
]


def rarely(draw, one_in: int) -> bool:
    """True about once in `one_in` draws (Hypothesis favours the low end of integers; the last
    of sampled_from's elements comes less often than its share)."""
    return draw(st.sampled_from(range(one_in))) == one_in - 1


@st.composite
def mutations(draw, data: bytes, at_most: int = 6) -> bytes:
    """`data` with a few random edits: bits, bytes, tokens, runs cut, doubled or moved."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, at_most))):
        kind = draw(st.sampled_from(["flip", "byte", "token", "random", "cut", "double", "end"]))
        at = draw(st.integers(0, len(out)))
        if kind == "flip" and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and at < len(out):
            out[at] = draw(st.integers(0, 255))
        elif kind == "token":
            out[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "random":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "cut":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "double":
            out[at:at] = out[at : at + draw(st.integers(1, 200))]
        elif kind == "end":
            del out[at:]
    return bytes(out)


COMMANDS = [("list",), ("list",), ("list",), ("breakdown",), ("show", "c-1")]
READING = [
    (),
    (),
    (),
    ("--strict",),
    ("--include-cancelled",),
    ("--preset", "shopify"),
    ("--preset", "woocommerce"),
    ("--preset", "xero"),
    ("--decimal", ","),
    ("--dayfirst",),
    ("--timezone", "Pacific/Auckland"),
    ("--encoding", "cp1252"),
    ("--encoding", "utf-16"),
]


@st.composite
def mutated_cases(draw) -> Case:
    kind = draw(st.sampled_from(["csv", "csv", "gzip-text", "gzip-bytes", "parquet", "contacts"]))
    command = draw(st.sampled_from(COMMANDS))
    reading = draw(st.sampled_from(READING))
    if kind == "parquet":
        seed = parquet_seed(draw(st.sampled_from(["none", "snappy", "zstd"])))
        data, name = draw(mutations(seed)), "orders.parquet"
    else:
        seed_name = draw(st.sampled_from(sorted(CSV_SEEDS)))
        seed = csv_seed(seed_name)
        if kind == "gzip-text":
            data, name = gzip.compress(draw(mutations(seed)), mtime=0), "orders.csv.gz"
        elif kind == "gzip-bytes":
            data, name = draw(mutations(gzip.compress(seed, mtime=0))), "orders.csv.gz"
        else:
            data, name = draw(mutations(seed)), "orders.csv"
    if rarely(draw, 10):  # named as the other format, or read as it
        other = "orders.parquet" if name != "orders.parquet" else "orders.csv"
        name, reading = draw(
            st.sampled_from(
                [
                    (other, reading),
                    (name, ("--input-format", "csv")),
                    (name, ("--input-format", "parquet")),
                ]
            )
        )
    if kind == "contacts":
        args = (*command, "--orders", "@ROOT/tests/golden/orders.csv", "--customers", f"@{name}")
    elif rarely(draw, 10) and name.endswith(".csv"):
        return Case({}, (*command, "--orders", "-", *reading), stdin=data, origin=f"stdin {kind}")
    elif rarely(draw, 10):  # with a second, sound file
        args = (*command, "--orders", f"@{name}", "--orders", "@ROOT/tests/golden/orders.csv")
    else:
        args = (*command, "--orders", f"@{name}")
    return Case({name: data}, (*args, *reading), origin=kind)


# --- random Arrow schemas and values, as Parquet ------------------------------------------------

INT_TYPES = {
    "int8": (pa.int8(), -(2**7), 2**7 - 1),
    "int16": (pa.int16(), -(2**15), 2**15 - 1),
    "int32": (pa.int32(), -(2**31), 2**31 - 1),
    "int64": (pa.int64(), -(2**63), 2**63 - 1),
    "uint8": (pa.uint8(), 0, 2**8 - 1),
    "uint32": (pa.uint32(), 0, 2**32 - 1),
    "uint64": (pa.uint64(), 0, 2**64 - 1),
}
TIMESTAMP_RANGE = {"s": 2**63 // 1000 - 1, "ms": 2**63 - 1, "us": 2**63 - 1, "ns": 2**63 - 1}
NORMAL_MS = 1_760_000_000_000  # about the as-of day, in ms
YEAR_1_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z
YEAR_10000_MS = 253_402_300_800_000  # 10000-01-01T00:00:00Z
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
WORDS = st.sampled_from(["c-1", "c-2", " c-1 ", "ORD-1", "ORD-2", "0", "NaN", "日本"])
ODD_WORDS = st.one_of(st.sampled_from(["", " ", "\t", "null"]), TEXT)
DATE_TEXT = st.sampled_from(
    ["2025-10-15T08:30:00.000Z", "2025-10-15", "2030-01-01", "0001-01-01", "9999-12-31", *BAD_DATES]
)
AMOUNT_TEXT = st.sampled_from(TOTALS + BAD_TOTALS)

# Each role's column types: the first few (often drawn) read well, the last ones are odd.
_ROLE_KINDS = {
    "orderReference": (["string", "large_string", "dictionary", "int"], ["bad_utf8", "null"]),
    "contactID": (["string", "dictionary", "int", "float"], ["bad_utf8", "binary", "null"]),
    "orderDate": (["timestamp", "date", "date_text"], ["int", "float"]),
    "total": (["decimal", "int", "float", "amount_text"], ["bool", "null"]),
}
ROLE_KINDS = {role: good * 3 + odd for role, (good, odd) in _ROLE_KINDS.items()}
ANY_KIND = sorted({k for kinds in ROLE_KINDS.values() for k in kinds} | {"list", "struct"})
EXTRA_COLUMNS = [
    "name",
    "email",
    "company",
    "phone",
    "accountName",
    "accountCode",
    "status",
    "currency",
    "quantity",
    "unitPrice",
]


@st.composite
def arrow_arrays(draw, kind: str, n: int) -> pa.Array:
    def values(normal, extreme=None):
        """Mostly `normal` values (so that most rows reach the metrics), one in eight null and,
        with `extreme`, one in eight from there."""

        def one():
            k = draw(st.sampled_from(range(8)))
            if k == 7:
                return None
            return draw(extreme if k == 6 and extreme is not None else normal)

        return [one() for _ in range(n)]

    if kind in ("string", "large_string", "dictionary"):
        array = pa.array(values(WORDS, ODD_WORDS), pa.string())
        if kind == "large_string":
            return array.cast(pa.large_string())
        return array.dictionary_encode() if kind == "dictionary" else array
    if kind == "date_text":
        return pa.array(values(DATE_TEXT), pa.string())
    if kind == "amount_text":
        return pa.array(values(AMOUNT_TEXT), pa.string())
    if kind in ("bad_utf8", "binary"):
        raw = pa.array(values(WORDS.map(str.encode), st.binary(max_size=6)), pa.binary())
        return raw.view(pa.string()) if kind == "bad_utf8" else raw
    if kind == "int":
        arrow_type, low, high = INT_TYPES[draw(st.sampled_from(sorted(INT_TYPES)))]
        edges = [e for e in (low, high, 2**63 - 1, 2**63, 2**53 + 1) if low <= e <= high]
        extreme = st.one_of(st.sampled_from(edges), st.integers(low, high))
        return pa.array(values(st.integers(max(low, -5), min(high, 5000)), extreme), arrow_type)
    if kind == "float":
        width = draw(st.sampled_from([32, 64]))
        edges = [1e300, float("nan"), float("inf"), float("-inf"), -0.0, 2.0**63]
        extreme = st.one_of(st.sampled_from(edges), st.floats(width=width))
        normal = st.sampled_from([0.5, 12.25, -1.0, 3.0, 1245.5])
        return pa.array(values(normal, extreme), pa.float32() if width == 32 else pa.float64())
    if kind == "decimal":
        big = draw(st.booleans())
        precision = draw(st.integers(1, 76 if big else 38))
        scale = draw(st.integers(0, precision))  # Parquet has no negative scale
        limit = 10**precision - 1
        small = st.integers(-min(limit, 99_999), min(limit, 99_999))
        arrow_type = (pa.decimal256 if big else pa.decimal128)(precision, scale)
        context = decimal.Context(prec=80)
        digits = values(small, st.integers(-limit, limit))
        numbers = [None if d is None else context.scaleb(d, -scale) for d in digits]
        try:
            return pa.array(numbers, arrow_type)
        except pa.ArrowInvalid:  # pyarrow infers its own precision from a value's exponent
            return pa.array([None if d is None else str(d) for d in numbers]).cast(arrow_type)
    if kind == "timestamp":
        unit = draw(st.sampled_from(sorted(TIMESTAMP_RANGE)))
        zone = draw(st.sampled_from([None, "UTC", "Pacific/Auckland", "+05:30"]))
        limit = TIMESTAMP_RANGE[unit]
        per_ms = {"s": 1 / 1000, "ms": 1, "us": 1000, "ns": 1_000_000}[unit]
        normal = st.integers(-(10**11), 10**9).map(lambda ms: int((NORMAL_MS + ms) * per_ms))
        # The first instant of year 1 and of year 10000, and one unit either side.
        edges = [int(ms * per_ms) + d for ms in (YEAR_1_MS, YEAR_10000_MS) for d in (-1, 0, 1)]
        edges = [e for e in edges if abs(e) <= limit] or [0]  # ns reach years 1677-2262 only
        extreme = st.one_of(st.sampled_from(edges), st.integers(-limit, limit))
        return pa.array(values(normal, extreme), pa.timestamp(unit, zone))
    if kind == "date":
        normal = st.integers(NORMAL_MS // 86_400_000 - 1000, NORMAL_MS // 86_400_000 + 10)
        if draw(st.booleans()):
            edges = [YEAR_1_MS // 86_400_000 + d for d in (-1, 0)] + [2_932_896, 2_932_897]
            extreme = st.one_of(st.sampled_from(edges), st.integers(-(2**31), 2**31 - 1))
            return pa.array(values(normal, extreme), pa.date32())
        extreme = st.integers(-((2**63 - 1) // 86_400_000), (2**63 - 1) // 86_400_000)
        days = values(normal, extreme)
        return pa.array([None if d is None else d * 86_400_000 for d in days], pa.int64()).cast(
            pa.date64()
        )
    if kind == "bool":
        return pa.array(values(st.booleans()), pa.bool_())
    if kind == "null":
        return pa.nulls(n)
    if kind == "list":
        return pa.array(values(st.lists(WORDS, max_size=2)), pa.list_(pa.string()))
    if kind == "struct":
        return pa.array(
            values(st.fixed_dictionaries({"a": WORDS})), pa.struct([("a", pa.string())])
        )
    raise AssertionError(kind)


def _nonnegative(column: pa.Array) -> bool:
    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        return False
    return all(v is None or v != v or v >= 0 for v in column.to_pylist())


@st.composite
def parquet_cases(draw) -> Case:
    n = 0 if rarely(draw, 10) else draw(st.integers(1, 6))
    names, arrays = [], []
    for role, kinds in ROLE_KINDS.items():
        if rarely(draw, 60):
            continue  # a required column missing
        kind = draw(st.sampled_from(kinds + ["list"] if rarely(draw, 31) else kinds))
        names.append(role)
        arrays.append(draw(arrow_arrays(kind, n)))
    extras = draw(st.lists(st.sampled_from(EXTRA_COLUMNS), unique=True, max_size=3))
    if rarely(draw, 30):  # a second candidate for a role: an ambiguous header
        extras.append(draw(st.sampled_from(["contact_id", "Order Date"])))
    for name in extras:
        names.append(name)
        arrays.append(draw(arrow_arrays(draw(st.sampled_from(ANY_KIND)), n)))
    if names and rarely(draw, 30):  # a name twice
        names.append(draw(st.sampled_from(names)))
        arrays.append(draw(arrow_arrays(draw(st.sampled_from(ANY_KIND)), n)))
    table = pa.Table.from_arrays(arrays, names=names)
    nonnegative = names.count("total") == 1 and _nonnegative(arrays[names.index("total")])
    floats = any(
        n == "contactID" and pa.types.is_floating(a.type)
        for n, a in zip(names, arrays, strict=True)
    )
    options = draw(
        st.fixed_dictionaries(
            {
                "compression": st.sampled_from(["none", "snappy", "zstd"]),
                "use_dictionary": st.booleans(),
                "row_group_size": st.sampled_from([None, 1, 2]),
                "version": st.sampled_from(["2.6", "2.6", "1.0"]),
            }
        )
    )
    buffer = io.BytesIO()
    try:
        pq.write_table(table, buffer, **options)
    except (pa.ArrowException, OSError, ValueError, OverflowError):
        buffer = io.BytesIO()
        try:
            pq.write_table(table, buffer)
        except (pa.ArrowException, OSError, ValueError, OverflowError):
            assume(False)
    command = draw(st.sampled_from(COMMANDS))
    reading = draw(st.sampled_from([(), (), ("--strict",), ("--include-cancelled",)]))
    return Case(
        {"orders.parquet": buffer.getvalue()},
        (*command, "--orders", "@orders.parquet", *reading),
        nonnegative=nonnegative,
        not_ids=frozenset({"nan", "NaN"}) if floats else frozenset(),
        origin=f"parquet {table.schema}".replace("\n", "; "),
    )


# --- canonical CSV files, whose rows are known --------------------------------------------------

GOOD_DATES = [
    "2025-10-15T08:30:00.000Z",
    "2025-10-15",
    "2025-10-15 08:30:00",
    "2025-10-15T08:30:00+13:00",
    "2024-02-29T23:59:59.999-09:30",
    "2025-10-23T23:59:59.999Z",
    "2025-10-24T00:00:00+13:00",
    "1970-01-01T00:00:00Z",
    "0001-01-01",
    "9999-12-31T23:59:59.999Z",
]
LATER_DATES = ["2025-10-24", "2025-10-24T00:00:00.000Z", "2030-01-01", "9999-12-31"]
MORE_BAD_DATES = ["10000-01-01", "-2025-01-01", "2025-10-15T08:30:00+24:00", "0000-01-01"]
CONTACTS = ["c-1", "c-2", " c-3 ", "C-1", "日本", "", " ", "NaN", "null"]


@st.composite
def canonical_csv_cases(draw) -> Case:
    """A CSV file with the canonical header and known data rows (unique references, so that
    every counted row is one order), some skipped, some after the as-of, some malformed."""
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ["orderReference,contactID,orderDate,total"]
    for i in range(draw(st.integers(0, 8))):
        date = draw(
            st.one_of(
                st.sampled_from(GOOD_DATES),
                st.sampled_from(LATER_DATES),
                st.sampled_from(BAD_DATES + MORE_BAD_DATES),
            )
        )
        total = draw(st.one_of(st.sampled_from(TOTALS), st.sampled_from(BAD_TOTALS)))
        row = [
            draw(st.sampled_from([f"R{i}", f"R{i}", ""])),
            draw(st.sampled_from(CONTACTS)),
            date,
            total,
        ]
        if rarely(draw, 12):
            row.append("extra")  # a field too many
        elif rarely(draw, 12):
            row.pop()  # a field too few
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(row)
        lines.append(buffer.getvalue())
    rows = len(lines) - 1
    text = ending.join(lines) + (ending if draw(st.integers(0, 4)) else "")
    bom = "\ufeff" if rarely(draw, 6) else ""
    return Case(
        {"orders.csv": (bom + text).encode("utf-8")},
        ("list", "--orders", "@orders.csv"),
        rows=rows,
        origin="canonical csv",
    )


# --- the properties -----------------------------------------------------------------------------


@SHORT
@given(case=mutated_cases())
def test_mutated_sample_files(case):
    check(case)


@SHORT
@given(case=parquet_cases())
def test_random_parquet(case):
    check(case)


@SHORT
@given(case=canonical_csv_cases())
def test_canonical_csv_rows_add_up(case):
    check(case)


@pytest.mark.fuzz
@LONG
@given(case=mutated_cases())
def test_long_mutated_sample_files(case):
    check(case)


@pytest.mark.fuzz
@LONG
@given(case=parquet_cases())
def test_long_random_parquet(case):
    check(case)


@pytest.mark.fuzz
@LONG
@given(case=canonical_csv_cases())
def test_long_canonical_csv_rows_add_up(case):
    check(case)


# --- the failures found, kept -------------------------------------------------------------------


def _from_meta(files: dict[str, bytes], meta: dict, stdin: bytes | None = None) -> Case:
    return Case(
        files,
        tuple(meta["args"]),
        stdin=stdin,
        rows=meta.get("rows"),
        nonnegative=meta.get("nonnegative", False),
        not_ids=frozenset(meta.get("not_ids", ())),
    )


def regression_case(path: Path) -> Case:
    meta_path = path.with_name(path.name.split(".")[0] + ".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    args = meta.get("args", ["list", "--orders", "@case"])
    meta["args"] = [f"@{path.name}" if a == "@case" else a for a in args]
    if meta.get("stdin"):
        return _from_meta({}, meta, stdin=path.read_bytes())
    return _from_meta({path.name: path.read_bytes()}, meta)


def _case_files() -> list[Path]:
    if not CASES.is_dir():
        return []
    return sorted(p for p in CASES.iterdir() if p.suffix not in (".json", ".md"))


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
def test_fuzz_case(path):
    found = violations(regression_case(path))
    assert not found, "\n".join(f"{v.signature}\n  {v.detail}" for v in found)


# --- making a recorded failure small ------------------------------------------------------------


def _chunks(data: list, parts: int) -> Iterator[list]:
    size = max(1, len(data) // parts)
    for start in range(0, len(data), size):
        yield data[:start] + data[start + size :]


def _ddmin(items: list, keeps: Callable[[list], bool]) -> list:
    """Delta debugging: a smaller list for which `keeps` still holds."""
    parts = 2
    while len(items) >= 2:
        for smaller in _chunks(items, parts):
            if smaller and keeps(smaller):
                items, parts = smaller, max(parts - 1, 2)
                break
        else:
            if parts >= len(items):
                break
            parts = min(len(items), parts * 2)
    return items


def minimise(case: Case, signature: str) -> Case:
    """A smaller case (fewer lines, bytes, Parquet rows and columns) with the same signature."""
    with_cache = signature.startswith("cache")

    def same(candidate: Case) -> bool:
        return any(v.signature == signature for v in violations(candidate, with_cache=with_cache))

    name = next(iter(case.files), None)
    if name is None:
        return case
    data = case.files[name]

    def with_data(new: bytes, rows: int | None = None) -> Case:
        return replace(case, files={**case.files, name: new}, rows=rows)

    if name.endswith(".parquet"):
        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError):
            table = None
        if table is not None:

            def written(t: pa.Table) -> bytes:
                buffer = io.BytesIO()
                pq.write_table(t, buffer)
                return buffer.getvalue()

            def rows(t: pa.Table, keep: list) -> pa.Table:
                return t.take(pa.array(keep, pa.int64()))

            if same(with_data(written(table))):
                kept = _ddmin(
                    list(range(table.num_rows)),
                    lambda r: same(with_data(written(rows(table, r)))),
                )
                if same(with_data(written(rows(table, kept)))):
                    table = rows(table, kept)
                for column in reversed(range(table.num_columns)):
                    smaller = table.remove_column(column)
                    if same(with_data(written(smaller))):
                        table = smaller
                if len(written(table)) < len(data):
                    case = with_data(written(table))
    elif name.endswith(".gz"):
        try:
            text = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            text = None
        if text is not None and same(with_data(gzip.compress(text, mtime=0))):
            lines = _ddmin(
                text.splitlines(keepends=True),
                lambda ls: same(with_data(gzip.compress(b"".join(ls), mtime=0))),
            )
            return with_data(gzip.compress(b"".join(lines), mtime=0))
    if not name.endswith(".parquet"):
        lines = data.splitlines(keepends=True)

        def rows_of(ls: list) -> int | None:
            return None if case.rows is None else sum(1 for line in ls[1:] if line.strip(b"\r\n"))

        if case.rows is not None:  # keep the header line
            lines = lines[:1] + _ddmin(
                lines[1:],
                lambda ls: same(with_data(b"".join(lines[:1] + ls), rows_of(lines[:1] + ls))),
            )
        else:
            lines = _ddmin(lines, lambda ls: same(with_data(b"".join(ls))))
        data = b"".join(lines)
        case = with_data(data, rows_of(lines))
        if case.rows is None and len(data) <= 600:
            data = bytes(_ddmin(list(data), lambda bs: same(with_data(bytes(bs)))))
            case = with_data(data)
    return case


def _minimise_recorded(folder: Path) -> None:
    meta = json.loads((folder / "case.json").read_text())
    files = {
        p.name: p.read_bytes() for p in folder.iterdir() if p.name not in ("case.json", "stdin")
    }
    if meta["stdin"]:  # minimise it as a file named on the command line
        files = {"stdin.csv": (folder / "stdin").read_bytes()}
        meta["args"] = ["@stdin.csv" if a == "-" else a for a in meta["args"]]
    case = _from_meta(files, meta)
    small = minimise(case, meta["signature"])
    out = folder / "minimal"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for name, content in small.files.items():
        (out / name).write_bytes(content)
    meta.update(args=list(small.args), rows=small.rows, size=small.size(), stdin=False)
    (out / "case.json").write_text(json.dumps(meta, indent=1))
    print(f"{folder.name}: {case.size()} -> {small.size()} bytes")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "minimise":
        sys.exit("usage: python tests/test_fuzz.py minimise RECORDED-FOLDER...")
    for recorded in sys.argv[2:]:
        _minimise_recorded(Path(recorded))
