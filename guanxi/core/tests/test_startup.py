"""The server's start-up step: views imported, start-up objects kept out of the cyclic GC."""

from __future__ import annotations

import gc
import sys

from guanxi.core.startup import settle


def test_settle_imports_the_views_and_freezes_what_is_loaded():
    gc.unfreeze()
    try:
        settle()
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()

    assert "guanxi.customers.views" in sys.modules
    assert frozen > 10_000  # modules, classes and functions of Django and every app
