"""The one router of the v1 API; ``guanxi/api_urls.py`` registers every app's viewsets on it.

An app that adds endpoints registers them in ``api_urls.py`` (or imports this router in its own
module that ``api_urls.py`` imports), so all of them share one root, one schema and one prefix.
"""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()


def register(prefix: str, viewset: type, basename: str) -> None:
    """Register ``viewset`` at ``v1/<prefix>/``; registering the same one again is a no-op."""
    for registered_prefix, registered_viewset, registered_basename in router.registry:
        if registered_basename == basename:
            if (registered_prefix, registered_viewset) != (prefix, viewset):
                raise ValueError(f"API basename {basename!r} is already taken")
            return
    router.register(prefix, viewset, basename=basename)
