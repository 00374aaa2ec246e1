"""Settings modules: ``local`` (embedded default), ``production`` and ``test``."""
