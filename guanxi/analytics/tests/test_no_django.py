"""guanxi.analytics is plain numpy / scipy / pandas: importing it must not import Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]

CHECK = """
import importlib, pkgutil, sys
import guanxi.analytics as package
names = [
    info.name
    for info in pkgutil.walk_packages(package.__path__, prefix="guanxi.analytics.")
    if ".tests" not in info.name
]
for name in names:
    importlib.import_module(name)
for name in ("guanxi.analytics.rfm", "guanxi.analytics.value", "guanxi.analytics.satisfaction",
             "guanxi.analytics.lifecycle", "guanxi.analytics.churn", "guanxi.analytics.basket"):
    assert name in sys.modules, name
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(len(names), "modules;", "django modules:", leaked)
sys.exit(1 if leaked else 0)
"""


def test_importing_guanxi_analytics_does_not_import_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "django modules: []" in proc.stdout
