"""The Simplified Chinese catalogue: complete, consistent with its compiled .mo, up to date with the
source, and actually served (Chinese by default, English after the language switch)."""

from __future__ import annotations

import ast
import gettext
import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
LC_MESSAGES = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# --- a tiny PO parser ----------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a PO string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)]

    def __str__(self) -> str:
        return f"django.po:{self.line} msgid {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish():
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    def append(key: str, index: int | None, value: str):
        if key == "msgstr" and index is not None:
            current.msgstr_plural[index] = current.msgstr_plural.get(index, "") + value
        else:
            setattr(current, key, (getattr(current, key) or "") + value)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            if current is None:
                current = Entry(line=number)
            current.obsolete = True
            continue
        if line.startswith("#"):
            if current is None or (target is not None and target[0] == "msgstr"):
                finish()
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"django.po:{number}: stray string"
            append(target[0], target[1], _unquote(line))
            continue
        match = _KEYWORD.match(line)
        assert match, f"django.po:{number}: cannot parse {raw!r}"
        keyword, index, value = match.group(1), match.group(2), match.group(3)
        key = "msgstr" if keyword.startswith("msgstr") else keyword
        if current is None or (key in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr"):
            finish()
            current = Entry(line=number)
        target = (key, int(index) if index is not None else None)
        if key == "msgstr" and index is not None:
            current.msgstr_plural[int(index)] = ""
        else:
            setattr(current, key, "")
        append(target[0], target[1], _unquote(value))
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l zh_Hans"
    return [e for e in parse_po(PO_PATH) if not e.obsolete]


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    return [e for e in po_entries if not e.is_header]


# --- (a) the PO file -----------------------------------------------------------------------------

PERCENT = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{\{\s*[\w.|]+\s*\}\}|\{[\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}")


def placeholders(text: str, flags: set[str]) -> Counter:
    found = Counter()
    if "python-format" in flags or re.search(r"%\(\w+\)", text):
        found.update(m.group(0) for m in PERCENT.finditer(text) if m.group(0) != "%%")
    found.update(m.group(0).replace(" ", "") for m in BRACE.finditer(text))
    return found


def test_header_declares_chinese_with_one_plural_form(po_entries):
    headers = [e for e in po_entries if e.is_header]
    assert len(headers) == 1
    header = headers[0]
    assert "fuzzy" not in header.flags, "the header is still fuzzy: msgfmt would drop its charset"
    fields = dict(line.split(": ", 1) for line in header.msgstr.splitlines() if ": " in line)
    assert fields.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert fields.get("Plural-Forms", "").replace(" ", "").startswith("nplurals=1;plural=0")


def test_po_has_messages(messages):
    assert len(messages) > 100
    keys = [(e.msgctxt, e.msgid) for e in messages]
    assert len(keys) == len(set(keys)), "duplicate msgids in django.po"


def test_every_entry_is_translated_and_not_fuzzy(messages):
    untranslated = [str(e) for e in messages if not all(t.strip() for t in e.translations)]
    fuzzy = [str(e) for e in messages if "fuzzy" in e.flags]
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy entries:\n" + "\n".join(fuzzy)


def test_plural_entries_have_exactly_one_form(messages):
    wrong = [str(e) for e in messages if e.msgid_plural is not None and sorted(e.msgstr_plural) != [0]]
    assert not wrong, "plural entries must have only msgstr[0] (zh has one plural form):\n" + "\n".join(wrong)


def test_placeholders_survive_translation(messages):
    problems = []
    for entry in messages:
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        expected = placeholders(source, entry.flags)
        if entry.msgid_plural is not None:
            # one Chinese form serves both English forms: it may use any placeholder of either
            allowed = expected | placeholders(entry.msgid, entry.flags)
        else:
            allowed = expected
        for translated in entry.translations:
            got = placeholders(translated, entry.flags)
            if expected - got or set(got) - set(allowed):
                problems.append(f"{entry}: expected {dict(expected)}, got {dict(got)} in {translated!r}")
    assert not problems, "\n".join(problems)


# msgids whose Chinese text legitimately has no Chinese characters (brand names, units, codes)
LATIN_ON_PURPOSE: set[str] = set()


def test_translations_look_chinese(messages):
    """A msgstr copied from the msgid (or left in English) is a missed translation."""
    han = re.compile(r"[\u4e00-\u9fff]")
    english = [
        str(e)
        for e in messages
        if e.msgid not in LATIN_ON_PURPOSE and not any(han.search(t) for t in e.translations)
    ]
    assert not english, "translations without any Chinese:\n" + "\n".join(english)


def test_domain_terms(messages):
    by_id = {e.msgid: e.msgstr for e in messages if e.msgctxt is None and e.msgid_plural is None}
    expected = {
        "Principal person in charge": "主要负责人",
        "Safety management staff": "安全生产管理人员",
        "Special-operation worker": "特种作业人员",
        "Other worker": "其他从业人员",
        "Suspended from post": "下岗",
        "On post": "在岗",
        "Team": "班组",
        "Subsidiary": "子公司",
        "Group headquarters": "集团总部",
        "Underground coal mine": "井工煤矿",
        "Tailings pond": "尾矿库",
        "Mining licence": "采矿许可证",
        "Safety production licence": "安全生产许可证",
        "Business licence": "营业执照",
        "Region code": "行政区划代码",
        "unified social credit code": "统一社会信用代码",
        "Gas inspector": "瓦斯检查工",
        "KuangAn": "矿安",
    }
    wrong = {k: (by_id.get(k), v) for k, v in expected.items() if k in by_id and by_id[k] != v}
    assert not wrong, f"msgid: (found, expected) {wrong}"


# --- (b) the compiled MO file --------------------------------------------------------------------


def _mo_count(path: Path) -> int:
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    assert struct.unpack(order + "I", data[:4])[0] == 0x950412DE, "not a GNU .mo file"
    return struct.unpack(order + "I", data[8:12])[0]


def test_mo_is_compiled_from_the_current_po(po_entries, messages):
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages -l zh_Hans"
    assert _mo_count(MO_PATH) == len(po_entries), (
        "django.mo and django.po hold different numbers of messages: run compilemessages -l zh_Hans"
    )
    with MO_PATH.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in messages:
        if e.msgid_plural is not None:
            if e.msgctxt is not None:
                got = mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
            else:
                got = mo.ngettext(e.msgid, e.msgid_plural, 1)
            want = e.msgstr_plural.get(0)
        else:
            got = mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt is not None else mo.gettext(e.msgid)
            want = e.msgstr
        if got != want:
            stale.append(f"{e}: .mo has {got!r}, .po has {want!r}")
    assert not stale, "stale django.mo (run compilemessages -l zh_Hans):\n" + "\n".join(stale)


def test_mo_maps_domain_terms():
    with MO_PATH.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    assert mo.gettext("Worker") == "员工"
    assert mo.gettext("Group admin") == "集团管理员"
    assert mo.gettext("Suspended from post") == "下岗"
    assert mo.gettext("Special-operation worker") == "特种作业人员"
    assert mo.gettext("Rated capacity (10kt/year)") == "核定生产能力（万吨/年）"
    assert mo.ngettext("%(n)s record", "%(n)s records", 5) % {"n": 5} == "共 5 条记录"


def test_django_serves_the_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Mines") == "矿山"
        assert translation.gettext("Open-pit metal/non-metal mine") == "金属非金属露天矿山"
    with translation.override("en"):
        assert translation.gettext("Mines") == "Mines"


# --- the catalogue is up to date with the source -------------------------------------------------

GETTEXT_FUNCS = {
    # name: (index of the context argument or None, index of msgid, index of msgid_plural or None)
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
SKIP_DIRS = {"tests", "locale", "var", "docs", "static", "node_modules", "build", "dist", "staticfiles"}


def _sources(suffixes: tuple[str, ...]):
    for path in sorted(BASE_DIR.rglob("*")):
        rel = path.relative_to(BASE_DIR)
        if path.suffix not in suffixes or not path.is_file():
            continue
        parts = rel.parts[:-1]
        if any(p.startswith(".") or p in SKIP_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        yield rel, path


def _literal(call: ast.Call, index: int | None) -> str | None:
    if index is None or index >= len(call.args):
        return None
    arg = call.args[index]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _calls(tree: ast.AST):
    """(msgctxt, msgid) of every gettext-family call with a literal msgid."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = getattr(func, "id", None) or getattr(func, "attr", None)
        if name not in GETTEXT_FUNCS:
            continue
        ctx_i, id_i, _plural_i = GETTEXT_FUNCS[name]
        msgid = _literal(node, id_i)
        if msgid is not None:
            yield _literal(node, ctx_i), msgid


def _template_calls(source: str):
    from django.utils.translation.template import templatize

    text = templatize(source)
    for match in re.finditer(r"\b(?:n?p?gettext|_)\(", text):
        start = match.start()
        end = text.find(")", match.end())
        while end != -1:
            try:
                tree = ast.parse(text[start : end + 1], mode="eval")
            except SyntaxError:
                end = text.find(")", end + 1)
                continue
            yield from _calls(tree)
            break


def test_every_translatable_string_in_the_source_is_in_the_catalogue(messages):
    known = {(e.msgctxt, e.msgid) for e in messages}
    missing = []
    for rel, path in _sources((".py",)):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
        missing.extend(f"{rel}: {key[1]!r}" for key in _calls(tree) if key not in known)
    for rel, path in _sources((".html", ".txt")):
        found = _template_calls(path.read_text(encoding="utf-8"))
        missing.extend(f"{rel}: {key[1]!r}" for key in found if key not in known)
    assert not missing, (
        "strings not in locale/zh_Hans/LC_MESSAGES/django.po — run makemessages -l zh_Hans, "
        "translate them and compilemessages:\n" + "\n".join(sorted(set(missing)))
    )


def test_import_lookups_stay_unambiguous_in_chinese():
    """The Excel import matches headers and choice labels in either language, so two Chinese labels
    in one set must never coincide."""
    from tenants import people_io

    with translation.override("zh-hans"):
        headers = [str(c.label) for c in people_io.COLUMNS]
        assert len(headers) == len(set(headers)), headers
        for choices in people_io.CHOICE_FIELDS.values():
            labels = [str(label) for _value, label in choices.choices]
            assert len(labels) == len(set(labels)), labels


# --- (c) what a browser gets ---------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default_and_english_after_switching():
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "登录" in html
    assert '<html lang="zh-hans">' in html
    assert "Log in" not in html

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert switched.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert "Log in" in html
    assert '<html lang="en">' in html
    assert "登录" not in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "登录" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_browser_language_is_honoured():
    html = Client(headers={"accept-language": "en"}).get("/accounts/login/").content.decode()
    assert "Log in" in html
