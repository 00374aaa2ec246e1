"""ETags and If-Match: how an API client proves which version of a record it writes over.

Every versioned object (records, users, teams, roles, access policies) has the entity tag
``"<object type>-<id>-v<version>"``. A write (PUT, PATCH, DELETE) must send the tag it read in
``If-Match``; the version in it is handed to the service as ``expected_version``, and the
service's compare-and-set refuses the write when someone else wrote in between (412).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.errors import StaleVersion, VersionRequired

_TAG = re.compile(r'^(?:W/)?"?(?P<type>[a-z_]+)-(?P<pk>\d+)-v(?P<version>\d+)"?$')


def etag_for(obj: Any) -> str:
    """The strong entity tag of a versioned object."""
    etag = getattr(obj, "etag", None)
    if isinstance(etag, str):
        return etag
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def set_etag(response: Response, obj: Any) -> Response:
    response["ETag"] = etag_for(obj)
    return response


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def expected_version(request: Request, obj: Any) -> int:
    """The version an ``If-Match`` header says the client wrote over.

    Raises :class:`VersionRequired` (428) without the header (``*`` counts as none: it would
    overwrite whatever is there) and :class:`StaleVersion` (412) when no tag in it names this
    object. Weak (``W/``) and unquoted tags are accepted, since proxies weaken tags.
    """
    header = request.headers.get("If-Match", "").strip()
    tags = _tags(header)
    if not tags or tags == ["*"]:
        raise VersionRequired()
    versions = []
    for tag in tags:
        match = _TAG.match(tag)
        if match and match["type"] == obj._meta.model_name and int(match["pk"]) == obj.pk:
            versions.append(int(match["version"]))
    if not versions:
        raise StaleVersion(obj, None)
    # Several tags may be listed; the write is based on the current one if any of them is it.
    return obj.version if obj.version in versions else max(versions)


def optional_expected_version(request: Request, obj: Any) -> int | None:
    """Like :func:`expected_version` for actions where ``If-Match`` is optional."""
    if not request.headers.get("If-Match", "").strip():
        return None
    return expected_version(request, obj)


def not_modified(request: Request, obj: Any) -> bool:
    """Whether a conditional GET (``If-None-Match``) already has the current version."""
    header = request.headers.get("If-None-Match", "")
    current = etag_for(obj).strip('"')
    return any(tag.removeprefix("W/").strip('"') == current for tag in _tags(header))
