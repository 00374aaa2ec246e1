"""The Simplified Chinese catalogue: complete, consistent with its sources, compiled, and used.

The .po file is read with a small parser of our own (polib is not a dependency); the compiled
.mo file with the standard library's ``gettext.GNUTranslations``.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "guanxi" / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

# Python %-style (named or positional) and str.format-style ({name} or {}).
PLACEHOLDER = re.compile(
    r"%\([A-Za-z0-9_]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"
    r"|\{[A-Za-z0-9_]*\}"
)
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
# Words a Chinese interface shows as they are.
SAME_IN_CHINESE = {"VIP", "English", "account", "contact", "Webhook", "CSV", "XLSX", "URL", "HTTP"}

# Terms fixed across the product (the nav, the docs and the browser tests rely on them).
FIXED = {
    "Accounts": "客户",
    "Contacts": "联系人",
    "Leads": "线索",
    "Opportunity": "商机",
    "Owner": "负责人",
    "Recycle bin": "回收站",
    "Potential customer": "潜在客户",
    "Loyal customer": "忠诚客户",
    "Bad debt": "呆死账",
    "Unified social credit code": "统一社会信用代码",
}


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # -1: the singular msgstr

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def parse_po(text: str) -> list[Entry]:
    """Every live entry (obsolete ``#~`` ones skipped) with its flags, ids and msgstr forms."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            current.msgctxt, target = ast.literal_eval(line[8:]), ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            current.msgid_plural, target = ast.literal_eval(line[13:]), ("msgid_plural", 0)
        elif line.startswith("msgid "):
            current.msgid, target = ast.literal_eval(line[6:]), ("msgid", 0)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            current.msgstr[index] = ast.literal_eval(line[line.index("]") + 1 :].strip())
            target = ("msgstr", index)
        elif line.startswith("msgstr "):
            current.msgstr[-1], target = ast.literal_eval(line[7:]), ("msgstr", -1)
        elif line.startswith('"') and target is not None:
            part = ast.literal_eval(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += part
            else:
                setattr(current, name, (getattr(current, name) or "") + part)
    return [e for e in entries if e.msgstr or e.msgid]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO.exists(), f"{PO} is missing: run `make messages` and translate it"
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(entries) -> list[Entry]:
    return [e for e in entries if not e.is_header]


def _where(entry: Entry) -> str:
    return f"django.po:{entry.line} {entry.msgid!r}"


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _source_of(entry: Entry) -> str:
    # Chinese has one plural form; it stands for the plural message, which names the count.
    return entry.msgid if entry.msgid_plural is None else entry.msgid_plural


def test_catalogue_has_messages(messages):
    assert len(messages) > 100


def test_header_declares_utf8_and_the_single_chinese_plural_form(entries):
    # given the header entry
    header = next(e for e in entries if e.is_header)
    # then it is not fuzzy, and says UTF-8 and nplurals=1
    assert "fuzzy" not in header.flags
    assert "charset=UTF-8" in header.msgstr[-1]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[-1]
    assert "Language: zh_Hans" in header.msgstr[-1]


def test_no_message_is_left_untranslated(messages):
    empty = [_where(e) for e in messages if not e.msgstr or any(not v for v in e.msgstr.values())]
    assert empty == []


def test_no_message_is_fuzzy(messages):
    assert [_where(e) for e in messages if "fuzzy" in e.flags] == []


def test_plural_messages_have_exactly_the_one_chinese_form(messages):
    plurals = [e for e in messages if e.msgid_plural is not None]
    assert plurals, "the catalogue is expected to hold plural messages"
    assert [_where(e) for e in plurals if sorted(e.msgstr) != [0]] == []


def test_singular_messages_have_a_plain_msgstr(messages):
    singulars = [e for e in messages if e.msgid_plural is None]
    assert [_where(e) for e in singulars if sorted(e.msgstr) != [-1]] == []


def test_placeholders_are_the_same_in_the_translation(messages):
    wrong = [
        f"{_where(e)} -> {value!r}"
        for e in messages
        for value in e.msgstr.values()
        if _placeholders(_source_of(e)) != _placeholders(value)
    ]
    assert wrong == []


def test_html_tags_are_kept_in_the_translation(messages):
    wrong = [
        f"{_where(e)} -> {value!r}"
        for e in messages
        for value in e.msgstr.values()
        if sorted(HTML_TAG.findall(_source_of(e))) != sorted(HTML_TAG.findall(value))
    ]
    assert wrong == []


def test_translations_are_chinese_not_copies_of_the_english(messages):
    # A msgstr equal to its msgid is allowed only where its words are names or codes that read
    # the same in Chinese (VIP, Webhook, CSV …).
    copies = [
        _where(e)
        for e in messages
        if e.msgstr.get(-1, e.msgstr.get(0)) == e.msgid
        and not set(re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", e.msgid))) <= SAME_IN_CHINESE
    ]
    assert copies == []


@pytest.mark.parametrize(("english", "chinese"), FIXED.items())
def test_domain_terms_have_their_fixed_translation(messages, english, chinese):
    found = [e.msgstr.get(-1) for e in messages if e.msgid == english and e.msgctxt is None]
    assert found == [chinese]


def test_compiled_catalogue_matches_the_po_file(messages):
    # given the .mo file msgfmt compiled from the .po file
    assert MO.exists(), f"{MO} is missing: run `make compilemessages`"
    assert MO.stat().st_mtime >= PO.stat().st_mtime - 1, "django.mo is older than django.po"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    # then every message of the .po file comes out of it translated as written
    stale = []
    for e in messages:
        if e.msgid_plural is not None:
            got = compiled.ngettext(e.msgid, e.msgid_plural, 2)
            want = e.msgstr[0]
        elif e.msgctxt is not None:
            got, want = compiled.pgettext(e.msgctxt, e.msgid), e.msgstr[-1]
        else:
            got, want = compiled.gettext(e.msgid), e.msgstr[-1]
        if got != want:
            stale.append(_where(e))
    assert stale == []
    assert compiled.gettext("Accounts") == "客户"
    assert compiled.gettext("Contacts") == "联系人"


def test_django_translates_the_fixed_terms_in_zh_hans():
    with translation.override("zh-hans"):
        assert translation.gettext("Accounts") == "客户"
        assert translation.gettext("Contacts") == "联系人"
    with translation.override("en"):
        assert translation.gettext("Accounts") == "Accounts"


@pytest.mark.django_db
def test_login_page_is_in_chinese_for_a_chinese_browser(client):
    # given a browser that asks for Simplified Chinese
    # when it opens the login page
    response = client.get("/auth/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    # then the page is served in Chinese
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in page and "忘记密码？" in page
    assert "Log in" not in page


@pytest.mark.django_db
def test_navigation_is_in_chinese_for_a_user_who_chose_it(client, org):
    # given a user who chose Simplified Chinese
    user = org.east_rep
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    # when they open their settings page
    response = client.get(reverse("profile"))
    # then the page and its navigation are in Chinese
    page = response.content.decode()
    assert response.status_code == 200
    assert "我的设置" in page and "客户" in page and "联系人" in page
    assert "Accounts" not in page and "Contacts" not in page
