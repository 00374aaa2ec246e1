#!/usr/bin/env python3
"""Fail when the Simplified Chinese catalogue has an untranslated or fuzzy message.

Reads every ``zh_Hans`` .po file under ``guanxi/`` with a small parser of its own (standard
library only, no Django, no polib): an entry fails when any of its ``msgstr`` forms is empty
or when it carries the ``fuzzy`` flag. The header entry (empty msgid) and obsolete entries
(``#~``) are not messages.

    python scripts/check_translations.py [PO_FILE ...]
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgstrs: dict[str, str] = field(default_factory=dict)


def _unquote(text: str) -> str:
    return ast.literal_eval(text) if text.startswith('"') else ""


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file with their flags, msgid and every msgstr form."""
    entries: list[Entry] = []
    current: Entry | None = None
    last_key: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                current, last_key = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural"):
            last_key = "msgid_plural"
        elif line.startswith("msgid"):
            current.msgid = _unquote(line[5:].strip())
            last_key = "msgid"
        elif line.startswith("msgstr"):
            key = line.split(" ", 1)[0]  # msgstr or msgstr[n]
            current.msgstrs[key] = _unquote(line[len(key) :].strip())
            last_key = key
        elif line.startswith('"') and last_key:
            if last_key == "msgid":
                current.msgid += _unquote(line)
            elif last_key.startswith("msgstr"):
                current.msgstrs[last_key] += _unquote(line)
        elif line.startswith("msgctxt"):
            last_key = "msgctxt"
    return [e for e in entries if e.msgstrs or e.msgid]


def problems(path: Path) -> list[str]:
    found = []
    for entry in parse_po(path.read_text(encoding="utf-8")):
        if entry.msgid == "" and "msgstr" in entry.msgstrs:
            continue  # the header
        if "fuzzy" in entry.flags:
            found.append(f"{path}:{entry.line}: fuzzy: {entry.msgid!r}")
        elif not entry.msgstrs or any(not value for value in entry.msgstrs.values()):
            found.append(f"{path}:{entry.line}: untranslated: {entry.msgid!r}")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(
        (ROOT / "guanxi").rglob(f"locale/{LOCALE}/LC_MESSAGES/*.po")
    )
    if not paths:
        print(f"check_translations: no {LOCALE} catalogue yet (run `make messages`).")
        return 0
    found = [problem for path in paths for problem in problems(path)]
    for problem in found:
        print(problem)
    if found:
        print(f"check_translations: {len(found)} message(s) need a {LOCALE} translation.")
        return 1
    print(f"check_translations: {len(paths)} {LOCALE} catalogue(s) complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
