#!/usr/bin/env python3
"""Copy the front-end files Guanxi serves from ``node_modules/`` into ``guanxi/static/vendor/``.

``npm ci`` installs the packages pinned in ``package-lock.json``; this script then copies only
the files the templates load, at fixed paths, so the pages never depend on a CDN and
``collectstatic`` sees a small, predictable tree. It uses only the standard library: it runs
before (and without) Django.

    python scripts/install_assets.py [--node-modules DIR] [--dest DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (package file, destination under vendor/)
FILES = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"),
    ("bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/font/"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("echarts/dist/echarts.min.js", "echarts/echarts.min.js"),
]
FOLDERS = [
    ("bootstrap-icons/font/fonts", "bootstrap-icons/font/fonts"),
]
LICENSES = [
    ("bootstrap/LICENSE", "bootstrap/LICENSE"),
    ("bootstrap-icons/LICENSE", "bootstrap-icons/LICENSE"),
    ("htmx.org/LICENSE", "htmx/LICENSE"),
    ("echarts/LICENSE", "echarts/LICENSE"),
    ("@fontsource/inter/LICENSE", "fonts/inter/LICENSE"),
]
# Inter in the weights the stylesheet uses; each weight file covers every script subset, and
# the browser downloads a subset only when the page has characters in its unicode-range.
INTER_WEIGHTS = ("400", "500", "600", "700")

SOURCE_MAP = re.compile(r"/[*/]# sourceMappingURL=(\S+?)(?: \*/)?\s*$", re.MULTILINE)
FONT_URL = re.compile(
    r"url\(\./files/([\w.-]+\.woff2)\) format\('woff2'\)(?:, url\([^)]*\) format\('woff'\))?"
)


class AssetError(RuntimeError):
    pass


def _source(node_modules: Path, relative: str) -> Path:
    path = node_modules / relative
    if not path.exists():
        raise AssetError(f"{path} is missing: run `npm ci` first (or `make assets`).")
    return path


def copy_with_source_map(source: Path, target: Path) -> list[Path]:
    """Copy a file and the source map it names; drop the reference when there is no map.

    A dangling ``sourceMappingURL`` would make ``collectstatic`` with the manifest storage of
    production fail, and a missing one only costs developer tools a prettier view.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    text = source.read_text(encoding="utf-8")
    written = [target]
    match = SOURCE_MAP.search(text)
    if match:
        map_source = source.parent / match.group(1)
        if map_source.is_file():
            shutil.copyfile(map_source, target.parent / match.group(1))
            written.append(target.parent / match.group(1))
        else:
            text = SOURCE_MAP.sub("", text)
    target.write_text(text, encoding="utf-8")
    return written


def build_inter(node_modules: Path, dest: Path) -> list[Path]:
    """One ``index.css`` with the Inter weights we use, pointing at local woff2 files only."""
    package = _source(node_modules, "@fontsource/inter")
    files_dir = dest / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    written = []
    for weight in INTER_WEIGHTS:
        css = _source(node_modules, f"@fontsource/inter/{weight}.css").read_text(encoding="utf-8")
        for name in FONT_URL.findall(css):
            shutil.copyfile(package / "files" / name, files_dir / name)
            written.append(files_dir / name)
        # woff2 alone: every browser Guanxi supports reads it, and the fallback doubles the size
        parts.append(FONT_URL.sub(lambda m: f"url(./files/{m.group(1)}) format('woff2')", css))
    index = dest / "index.css"
    index.write_text("\n".join(parts), encoding="utf-8")
    return [index, *written]


def install(node_modules: Path, vendor: Path) -> list[Path]:
    """Rebuild ``vendor`` from ``node_modules``; returns the files written."""
    for relative, _target in FILES + FOLDERS:
        _source(node_modules, relative)
    staging = vendor.with_name(vendor.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    written: list[Path] = []
    for relative, target in FILES:
        if target.endswith("/"):  # a folder: keep the file's name
            target += relative.rsplit("/", 1)[-1]
        written += copy_with_source_map(node_modules / relative, staging / target)
    for relative, target in FOLDERS:
        shutil.copytree(node_modules / relative, staging / target)
        written += sorted((staging / target).rglob("*"))
    for relative, target in LICENSES:
        if (node_modules / relative).is_file():
            (staging / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(node_modules / relative, staging / target)
    written += build_inter(node_modules, staging / "fonts" / "inter")
    # Swap in the new tree whole, so a failed copy never leaves a half-updated vendor folder.
    if vendor.exists():
        shutil.rmtree(vendor)
    staging.rename(vendor)
    return [vendor / path.relative_to(staging) for path in written]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--dest", type=Path, default=ROOT / "guanxi" / "static" / "vendor")
    args = parser.parse_args(argv)
    try:
        written = install(args.node_modules, args.dest)
    except AssetError as exc:
        print(f"install_assets: {exc}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in written if p.is_file())
    print(f"install_assets: {len(written)} files ({size / 1e6:.1f} MB) in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
