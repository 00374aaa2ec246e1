#!/usr/bin/env python3
"""Small tools for translating the zh-Hans catalogue without polib.

    python scripts/po_tools.py todo [PO] [--json OUT]  list untranslated and fuzzy entries
    python scripts/po_tools.py apply TRANSLATIONS.json [PO]
                                                        fill msgstr from a {key: translation}
                                                        map (a list for plural forms), drop
                                                        the fuzzy flag, set the header
    python scripts/po_tools.py dump [PO] --json OUT     every translated entry as {key: msgstr}
    python scripts/po_tools.py check [PO]               placeholders that differ in a msgstr

A key is the msgid, or ``msgctxt + "\\x04" + msgid`` for an entry with a context. The default PO
is guanxi/locale/zh_Hans/LC_MESSAGES/django.po. The file is rewritten in gettext's layout
(through ``msgcat`` when it is installed, so the wrapping matches ``makemessages``).
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PO = ROOT / "guanxi" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Python %-style (named or positional, with flags), and str.format-style {name}.
PLACEHOLDER = re.compile(
    r"%\([A-Za-z0-9_]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[-#0 +]*\d*"
    r"(?:\.\d+)?[sdifrxXeEgGc]|\{[A-Za-z0-9_]*\}"
)

HEADER = {
    "Project-Id-Version": "Guanxi",
    "Language-Team": "Chinese (Simplified)",
    "Last-Translator": "Guanxi translators",
    "Language": "zh_Hans",
    "Plural-Forms": "nplurals=1; plural=0;",
}


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)  # "#" lines except "#," flags
    flags: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)  # "#~" lines, kept verbatim
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # -1 for a singular msgstr

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def needs_work(self) -> bool:
        if self.is_header or self.obsolete:
            return False
        return "fuzzy" in self.flags or not self.msgstr or any(not v for v in self.msgstr.values())


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal current, target
        if current.comments or current.flags or current.obsolete or current.msgstr:
            entries.append(current)
        current, target = Entry(), None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            current.obsolete.append(raw)
        elif line.startswith("#,"):
            current.flags += [f.strip() for f in line[2:].split(",") if f.strip()]
        elif line.startswith("#"):
            if current.msgstr:  # a comment after a complete entry starts the next one
                flush()
            current.comments.append(raw)
        elif line.startswith("msgctxt "):
            if current.msgstr:
                flush()
            current.msgctxt, target = _unquote(line[8:]), ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            current.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if current.msgstr:
                flush()
            current.msgid, target = _unquote(line[6:]), ("msgid", 0)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            current.msgstr[index] = _unquote(line[line.index("]") + 1 :].strip())
            target = ("msgstr", index)
        elif line.startswith("msgstr "):
            current.msgstr[-1], target = _unquote(line[7:]), ("msgstr", -1)
        elif line.startswith('"') and target:
            part = _unquote(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += part
            elif name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + part
            elif name == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + part
            else:
                current.msgid += part
    flush()
    return entries


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    )
    parts = escaped.split("\n")
    pieces = [p + "\\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    if len(pieces) <= 1:
        return f'"{pieces[0] if pieces else ""}"'
    return '""\n' + "\n".join(f'"{p}"' for p in pieces)


def render(entries: list[Entry]) -> str:
    blocks = []
    for e in entries:
        # gettext's order: comments and references, then flags, then the previous msgid ("#|").
        lines = [c for c in e.comments if not c.startswith("#|")]
        if e.flags:
            lines.append("#, " + ", ".join(e.flags))
        lines += [c for c in e.comments if c.startswith("#|")]
        lines += e.obsolete
        if not e.obsolete:
            if e.msgctxt is not None:
                lines.append("msgctxt " + _quote(e.msgctxt))
            lines.append("msgid " + _quote(e.msgid))
            if e.msgid_plural is not None:
                lines.append("msgid_plural " + _quote(e.msgid_plural))
            for index in sorted(e.msgstr):
                name = "msgstr" if index < 0 else f"msgstr[{index}]"
                lines.append(f"{name} " + _quote(e.msgstr[index]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def load(path: Path) -> list[Entry]:
    return parse(path.read_text(encoding="utf-8"))


def save(path: Path, entries: list[Entry]) -> None:
    path.write_text(render(entries), encoding="utf-8")
    if shutil.which("msgcat"):
        subprocess.run(["msgcat", "-w", "79", str(path), "-o", str(path)], check=True)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def placeholder_problems(entry: Entry) -> list[str]:
    problems = []
    for index, value in entry.msgstr.items():
        if not value:
            continue
        source = entry.msgid if index <= 0 or entry.msgid_plural is None else entry.msgid_plural
        if entry.msgid_plural is not None:
            # One Chinese form stands for singular and plural: it may use either's placeholders,
            # but must not invent any.
            allowed = set(placeholders(entry.msgid)) | set(placeholders(entry.msgid_plural))
            extra = set(placeholders(value)) - allowed
            named_missing = {p for p in placeholders(entry.msgid_plural) if p.startswith("%(")}
            named_missing -= set(placeholders(value))
            if extra or named_missing:
                problems.append(f"{entry.key!r}: {value!r}")
        elif placeholders(source) != placeholders(value):
            problems.append(f"{entry.key!r}: {value!r}")
    return problems


def fix_header(entries: list[Entry]) -> None:
    for e in entries:
        if e.is_header:
            e.flags = [f for f in e.flags if f != "fuzzy"]
            fields = []
            seen = set()
            for line in e.msgstr.get(-1, "").split("\n"):
                if ":" not in line:
                    continue
                name, value = line.split(":", 1)
                if name in HEADER:
                    value = " " + HEADER[name]
                elif name == "PO-Revision-Date":
                    value = " " + datetime.now().astimezone().strftime("%Y-%m-%d %H:%M%z")
                seen.add(name)
                fields.append(f"{name}:{value}")
            fields += [f"{n}: {v}" for n, v in HEADER.items() if n not in seen]
            e.msgstr[-1] = "\n".join(fields) + "\n"
            e.comments = [
                "# Simplified Chinese translation of Guanxi.",
                "# This file is distributed under the same license as the Guanxi package.",
                "#",
            ]


def cmd_todo(path: Path, out: str | None) -> int:
    todo = []
    for e in load(path):
        if e.needs_work:
            todo.append(
                {
                    "key": e.key,
                    "plural": e.msgid_plural,
                    "current": e.msgstr.get(-1, e.msgstr.get(0, "")),
                    "fuzzy": "fuzzy" in e.flags,
                    "where": [c[3:] for c in e.comments if c.startswith("#:")],
                }
            )
    if out:
        Path(out).write_text(json.dumps(todo, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        for item in todo:
            print(json.dumps(item, ensure_ascii=False))
    print(f"{len(todo)} entries need a translation", file=sys.stderr)
    return 0


def fix_false_formats(entries: list[Entry]) -> None:
    """Drop xgettext's python-format guess where the msgid has no real placeholder.

    xgettext reads "% of leads" as the directive "% o" (space flag, octal), and msgfmt then
    refuses a translation without it. Such a msgid is never %-formatted; say so with
    ``no-python-format`` (msgmerge puts the guess back and marks the entry fuzzy on the next
    extraction, so every ``apply`` does this again).
    """
    for e in entries:
        if "python-format" not in e.flags or e.is_header:
            continue
        texts = [e.msgid] + ([e.msgid_plural] if e.msgid_plural else [])
        if any("%%" in t or placeholders(t) for t in texts):
            continue
        e.flags = [f for f in e.flags if f != "python-format"] + ["no-python-format"]
        previous = [c for c in e.comments if c.startswith("#| msgid ")]
        unchanged = previous == [f"#| msgid {_quote(e.msgid)}"]
        if "fuzzy" in e.flags and unchanged and all(e.msgstr.values()):
            e.flags.remove("fuzzy")
            e.comments = [c for c in e.comments if not c.startswith("#|")]


def cmd_apply(translations: Path, path: Path) -> int:
    mapping = json.loads(translations.read_text(encoding="utf-8"))
    entries = load(path)
    fix_header(entries)
    fix_false_formats(entries)
    applied, bad = 0, []
    for e in entries:
        if e.is_header or e.obsolete or e.key not in mapping:
            continue
        value = mapping[e.key]
        forms = value if isinstance(value, list) else [value]
        if e.msgid_plural is not None:
            e.msgstr = {0: forms[0]}
        else:
            e.msgstr = {-1: forms[0]}
        problems = placeholder_problems(e)
        if problems:
            bad += problems
            e.msgstr = {k: "" for k in e.msgstr}
            continue
        e.flags = [f for f in e.flags if f != "fuzzy"]
        # The previous msgid only explains a fuzzy match; it goes with the flag.
        e.comments = [c for c in e.comments if not c.startswith("#|")]
        applied += 1
    save(path, entries)
    for problem in bad:
        print("placeholder mismatch:", problem, file=sys.stderr)
    left = sum(e.needs_work for e in entries)
    print(f"applied {applied}; {left} entries still need a translation", file=sys.stderr)
    return 1 if bad else 0


def cmd_dump(path: Path, out: str) -> int:
    done = {}
    for e in load(path):
        if e.is_header or e.obsolete or e.needs_work:
            continue
        forms = [e.msgstr[k] for k in sorted(e.msgstr)]
        done[e.key] = forms if e.msgid_plural is not None else forms[0]
    Path(out).write_text(json.dumps(done, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(done)} translated entries written to {out}", file=sys.stderr)
    return 0


def cmd_check(path: Path) -> int:
    problems = [p for e in load(path) if not e.is_header for p in placeholder_problems(e)]
    for p in problems:
        print(p)
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    out = None
    if "--json" in rest:
        i = rest.index("--json")
        out = rest[i + 1]
        rest = rest[:i] + rest[i + 2 :]
    if command == "apply":
        return cmd_apply(Path(rest[0]), Path(rest[1]) if len(rest) > 1 else DEFAULT_PO)
    path = Path(rest[0]) if rest else DEFAULT_PO
    if command == "todo":
        return cmd_todo(path, out)
    if command == "dump":
        return cmd_dump(path, out or "/dev/stdout")
    if command == "check":
        return cmd_check(path)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
