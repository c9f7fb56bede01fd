"""A file's header -> which of its columns plays which role (`Plan`): a preset (given, or detected
from the header), the canonical names, and the user's column mapping on top."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from segcli.input.headers import (
    find_header,
    found_list,
    header_key,
    match_columns,
)
from segcli.input.presets import FIRST_NAME, KEY_FALLBACKS, LAST_NAME, PRESETS, Preset, variants
from segcli.model.errors import MissingColumnError
from segcli.model.options import ExportOptions, ParseOptions
from segcli.model.schema import (
    CONTACT_ID,
    DETAIL_COLUMNS,
    EMAIL,
    LINE_ROLES,
    NAME,
    OPTIONAL_ROLES,
    REQUIRED_COLUMNS,
    TOTAL,
)


@dataclass(frozen=True)
class Plan:
    """Which column of one file plays which role."""

    mapping: dict[str, str]  # header in the file -> the role it is read as
    roles: dict[str, str]  # role -> header (several roles may share one header)
    preset: Preset | None = None
    detected: bool = False
    key_by_email: bool = False
    guessed: tuple[tuple[str, str], ...] = ()  # (role, header) mapped by a synonym

    @property
    def line_amounts(self) -> bool:
        """Whether each row's total is a line's quantity times its unit price."""
        return TOTAL not in self.roles and all(r in self.roles for r in LINE_ROLES)

    @property
    def details(self) -> frozenset[str]:
        """The detail columns this file has (a name in two parts counts as a name)."""
        parts = NAME if FIRST_NAME in self.roles or LAST_NAME in self.roles else None
        return frozenset(r for r in (*self.roles, parts) if r in DETAIL_COLUMNS)

    def reading(self, details: Collection[str]) -> Plan:
        """This plan, reading only the `details` wanted of the detail columns (a command that
        shows no names need not read them); the email, phones and name stay when they key the
        customers."""
        keep = set(details) | (set(KEY_FALLBACKS) if self.key_by_email else set())
        if NAME in keep:
            keep |= {FIRST_NAME, LAST_NAME}
        roles = {
            role: name
            for role, name in self.roles.items()
            if role in keep or (role not in DETAIL_COLUMNS and role not in (FIRST_NAME, LAST_NAME))
        }
        return replace(self, mapping=read_as(roles), roles=roles)

    def parse_options(self, given: ParseOptions) -> ParseOptions:
        """The user's parse options, with the preset's date order when the user gave none."""
        if self.preset is None or given.date_format or given.date_order:
            return given
        return replace(given, date_order=self.preset.date_order)


def plan(header: Sequence[str], label: str, options: ExportOptions | None = None) -> Plan:
    """Decide the roles of a file's columns; raise MissingColumnError naming what is missing.

    A preset given by name, else one whose signature the header carries, else the canonical
    names and their well-known synonyms (`synonyms.py`), under the user's `--column` mapping."""
    options = options or ExportOptions()
    overrides = _find_overrides(header, label, options.columns)
    if options.preset is not None:
        return _preset_plan(header, label, PRESETS[options.preset], overrides, detected=False)
    present = {header_key(h) for h in header}
    for preset in PRESETS.values():
        if all(any(header_key(v) in present for v in variants(h)) for h in preset.signature):
            return _preset_plan(header, label, preset, overrides, detected=True)
    roles = match_columns(
        header, label, overrides=overrides, email_key=True, optional=DETAIL_COLUMNS + OPTIONAL_ROLES
    )
    guessed = tuple(
        (role, name)
        for role, name in roles.items()
        if role not in overrides and header_key(name) != header_key(role)
    )
    return Plan(read_as(roles), roles, key_by_email=CONTACT_ID not in roles, guessed=guessed)


def read_as(roles: Mapping[str, str]) -> dict[str, str]:
    """{header: role} for reading: a header shared by several roles is read once, as the first."""
    mapping: dict[str, str] = {}
    for role, name in roles.items():
        mapping.setdefault(name, role)
    return mapping


def _find_overrides(
    header: Sequence[str], label: str, columns: Mapping[str, str]
) -> dict[str, str]:
    """The user's column mapping as {role: header in this file}; an unknown header is an error
    that lists the file's columns."""
    found = {}
    for role, wanted in columns.items():
        name = find_header(header, wanted)
        if name is None:
            raise MissingColumnError(
                f"{label}: no column '{wanted}' to read {role} from (found: {found_list(header)})"
            )
        found[role] = name
    return found


def _preset_plan(
    header: Sequence[str],
    label: str,
    preset: Preset,
    overrides: Mapping[str, str],
    *,
    detected: bool,
) -> Plan:
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(header_key(name), name)
    roles: dict[str, str] = {}
    for role, wanted in preset.columns.items():
        name = next((by_key[k] for k in map(header_key, variants(wanted)) if k in by_key), None)
        if name is not None:
            roles[role] = name
    roles.update(overrides)
    key_by_email = preset.key_by_email and CONTACT_ID not in overrides
    needed = [r for r in REQUIRED_COLUMNS if not (r == CONTACT_ID and key_by_email)]
    if key_by_email:
        needed.append(EMAIL)
    missing = [r for r in needed if r not in roles]
    if missing:
        names = ", ".join(f"'{variants(preset.columns.get(r, r))[0]}'" for r in missing)
        raise MissingColumnError(
            f"{label}: not a {preset.title}: missing {names} (found: {found_list(header)})"
        )
    return Plan(read_as(roles), roles, preset=preset, detected=detected, key_by_email=key_by_email)
