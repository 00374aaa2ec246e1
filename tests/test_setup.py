"""Setup smoke tests: production settings, the bootstrap command, assets and translations."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from guanxi.core.models import ChangeLogEntry, User
from guanxi.customers.models import Account

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import check_translations  # noqa: E402
import install_assets  # noqa: E402

VENDOR_FILES = [
    "bootstrap/css/bootstrap.min.css",
    "bootstrap/js/bootstrap.bundle.min.js",
    "bootstrap-icons/font/bootstrap-icons.min.css",
    "bootstrap-icons/font/fonts/bootstrap-icons.woff2",
    "htmx/htmx.min.js",
    "echarts/echarts.min.js",
    "fonts/inter/index.css",
]


# --- production settings ------------------------------------------------------------------------


def test_check_deploy_is_clean(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "guanxi.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        # `check` does not connect; the URL only tells the settings this is not SQLite
        "DATABASE_URL": "postgres://guanxi@127.0.0.1:5432/guanxi",
        "ALLOWED_HOSTS": "crm.example.com",
        "GUANXI_VAR_DIR": str(tmp_path),
    }
    # set for the browser tests' event loop, never in a deployment (async.E001)
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)" in output, output
    assert "WARNING" not in output.upper(), output


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guanxi.settings.production"}
    env.pop("SECRET_KEY", None)
    env["GUANXI_VAR_DIR"] = str(tmp_path)

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_default_keeps_its_generated_secret_key_in_var(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guanxi.settings.local"}
    env.pop("SECRET_KEY", None)
    env["GUANXI_VAR_DIR"] = str(tmp_path)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"

    first = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    second = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    key_file = tmp_path / "secret_key"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text().strip()
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


def test_no_secret_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert not [p for p in tracked if p.startswith("var/") or p.endswith("secret_key")]


# --- bootstrap ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bootstrap_on_a_new_database_creates_admin_with_the_given_password(monkeypatch):
    monkeypatch.setenv("GUANXI_ADMIN_PASSWORD", "Given-Admin-Pass-2026")
    out = StringIO()

    call_command("bootstrap", "--no-demo", stdout=out)

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_active
    assert admin.check_password("Given-Admin-Pass-2026")
    assert list(admin.roles.values_list("code", flat=True)) == ["admin"]
    assert ChangeLogEntry.objects.filter(object_type="user", object_id=admin.pk).exists()
    assert "GUANXI_ADMIN_PASSWORD" in out.getvalue()


@pytest.mark.django_db
def test_bootstrap_prints_a_random_admin_password_once(monkeypatch):
    monkeypatch.delenv("GUANXI_ADMIN_PASSWORD", raising=False)
    first, second = StringIO(), StringIO()

    call_command("bootstrap", "--no-demo", stdout=first)
    call_command("bootstrap", "--no-demo", stdout=second)

    admin = User.objects.get(username="admin")
    rows = [line.split() for line in first.getvalue().splitlines()]
    printed = [row[-1] for row in rows if row and row[0] == "admin"]
    assert len(printed) == 1 and admin.check_password(printed[0]) and len(printed[0]) >= 12
    assert printed[0] not in second.getvalue()
    assert "nothing to set up" in second.getvalue()


@pytest.mark.django_db
def test_bootstrap_loads_the_demo_only_on_a_new_database(monkeypatch):
    monkeypatch.setenv("GUANXI_ADMIN_PASSWORD", "Given-Admin-Pass-2026")

    call_command("bootstrap", "--demo-accounts", "12", stdout=StringIO())
    users, accounts = User.objects.count(), Account.all_objects.count()
    call_command("bootstrap", "--demo-accounts", "12", stdout=StringIO())

    assert users > 5 and accounts >= 12
    assert (User.objects.count(), Account.all_objects.count()) == (users, accounts)


# --- front-end assets -----------------------------------------------------------------------------


def _fake_node_modules(root: Path) -> Path:
    files = {
        "bootstrap/dist/css/bootstrap.min.css": "b{}/*# sourceMappingURL=bootstrap.min.css.map */",
        "bootstrap/dist/css/bootstrap.min.css.map": "{}",
        "bootstrap/dist/js/bootstrap.bundle.min.js": "x;\n//# sourceMappingURL=missing.js.map",
        "bootstrap-icons/font/bootstrap-icons.min.css": 'url("fonts/bootstrap-icons.woff2")',
        "bootstrap-icons/font/fonts/bootstrap-icons.woff2": "woff2",
        "htmx.org/dist/htmx.min.js": "htmx",
        "echarts/dist/echarts.min.js": "echarts",
        "@fontsource/inter/files/inter-latin-400-normal.woff2": "w",
        "@fontsource/inter/files/inter-latin-400-normal.woff": "w1",
    }
    for weight in install_assets.INTER_WEIGHTS:
        files[f"@fontsource/inter/{weight}.css"] = (
            "@font-face{src: url(./files/inter-latin-400-normal.woff2) format('woff2'), "
            "url(./files/inter-latin-400-normal.woff) format('woff');}"
        )
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_install_assets_copies_the_files_the_templates_load(tmp_path):
    node_modules = _fake_node_modules(tmp_path / "node_modules")
    vendor = tmp_path / "vendor"

    install_assets.install(node_modules, vendor)

    assert all((vendor / name).is_file() for name in VENDOR_FILES)
    assert (vendor / "bootstrap/css/bootstrap.min.css.map").is_file()
    # a source map that does not exist is not referenced (collectstatic would fail on it)
    assert "sourceMappingURL" not in (vendor / "bootstrap/js/bootstrap.bundle.min.js").read_text()
    fonts_css = (vendor / "fonts/inter/index.css").read_text()
    assert "url(./files/inter-latin-400-normal.woff2) format('woff2')" in fonts_css
    assert ".woff)" not in fonts_css
    assert (vendor / "fonts/inter/files/inter-latin-400-normal.woff2").is_file()


def test_install_assets_reports_a_missing_npm_install(tmp_path, capsys):
    status = install_assets.main(["--node-modules", str(tmp_path), "--dest", str(tmp_path / "v")])

    assert status == 1
    assert "npm ci" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_installed_assets_are_served_from_static_files():
    vendor = ROOT / "guanxi" / "static" / "vendor"
    if not vendor.exists():
        pytest.skip("front-end assets not installed: run `make assets`")

    from django.contrib.staticfiles import finders

    assert all(finders.find(f"vendor/{name}") for name in VENDOR_FILES)


# --- translations ---------------------------------------------------------------------------------


def test_translation_check_flags_empty_and_fuzzy_messages(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        'msgid "Account"\nmsgstr "客户"\n\n'
        'msgid "Contact"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr "你好 %(name)s"\n\n'
        'msgid "one file"\nmsgid_plural "%d files"\nmsgstr[0] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )

    problems = check_translations.problems(po)

    assert [p.split(": ", 1)[1] for p in problems] == [
        "untranslated: 'Contact'",
        "fuzzy: 'Hello %(name)s'",
        "untranslated: 'one file'",
    ]


def test_translation_check_accepts_a_complete_catalogue(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n\nmsgid "Account"\nmsgstr ""\n"客户"\n', encoding="utf-8")

    assert check_translations.main([str(po)]) == 0
