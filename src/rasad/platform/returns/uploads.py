"""Uploaded files waiting for their import, in the storage of uploaded files.

The bytes wait as ``uploads/pending/<user id>/<sha256>`` in Django's
``default_storage`` (``MEDIA_ROOT``, never served, or an S3-compatible bucket;
docs/deploy.md), so that the report and the commit may be served by another app server
than the upload, or by a worker (:mod:`.import_jobs`). The user's session lists the
hashes they uploaded, so a later request names a hash, never a path: a hash not in the
session, or bytes that no longer hash to it, are not found.
"""

from __future__ import annotations

import hashlib
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SESSION_KEY = "rasad_pending_uploads"
PENDING_MAX = 10  # uploads a user may have waiting at once
PENDING_SECONDS = 24 * 3600  # how long an upload waits for its commit


def pending_folder(user_id: int) -> str:
    """Where a user's uploads wait for their commit, in the storage of uploaded files."""
    return f"uploads/pending/{int(user_id)}"


def pending_name(user_id: int, sha: str) -> str:
    return f"{pending_folder(user_id)}/{sha}"


def read(user_id: int, sha: str) -> bytes | None:
    """The bytes ``user_id`` uploaded as ``sha``; None once they are gone or, altered in
    the storage, no longer hash to it."""
    try:
        with default_storage.open(pending_name(user_id, sha), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha else None


def keep(session, user_id: int, data: bytes, name: str) -> str:
    """Store an upload (once: the same bytes again are not stored twice) and list it in
    ``session`` under its hash, which is returned; this user's expired uploads go."""
    sha = hashlib.sha256(data).hexdigest()
    target = pending_name(user_id, sha)
    if not default_storage.exists(target):
        saved = default_storage.save(target, ContentFile(data))
        if saved != target:  # the same bytes were stored meanwhile under the same name
            default_storage.delete(saved)
    pending = dict(session.get(SESSION_KEY, {}))
    pending[sha] = {"name": name, "at": time.time(), "size": len(data)}
    session[SESSION_KEY] = _forget_old(user_id, pending)
    return sha


def entry(session, user_id: int, sha: str) -> dict | None:
    """What ``session`` knows of the upload ``sha`` (its name and size), or None."""
    found = session.get(SESSION_KEY, {}).get(sha)
    if found is None:
        return None
    if "size" not in found:  # kept by an earlier version of the upload page
        try:
            found = {**found, "size": default_storage.size(pending_name(user_id, sha))}
        except FileNotFoundError:
            return None
    return found


def load(session, user_id: int, sha: str) -> tuple[bytes, str] | None:
    """The bytes of the upload ``sha`` listed in ``session`` and their file name, or None."""
    found = entry(session, user_id, sha)
    if found is None:
        return None
    data = read(user_id, sha)
    return None if data is None else (data, found["name"])


def _age_seconds(name: str, now: float) -> float:
    try:
        return now - default_storage.get_modified_time(name).timestamp()
    except FileNotFoundError:  # removed meanwhile by another request
        return 0.0


def _forget_old(user_id: int, pending: dict) -> dict:
    """Drop this session's expired uploads (and all beyond its newest PENDING_MAX), and
    any file of this user's folder older than PENDING_SECONDS (other sessions' too)."""
    now = time.time()
    newest = sorted(
        (
            (sha, upload)
            for sha, upload in pending.items()
            if now - upload.get("at", 0) < PENDING_SECONDS
        ),
        key=lambda item: item[1].get("at", 0),
    )[-PENDING_MAX:]
    kept = dict(newest)
    folder = pending_folder(user_id)
    try:
        _folders, names = default_storage.listdir(folder)
    except FileNotFoundError:  # a folder on disk is made by the first upload
        names = []
    for name in names:
        sha = name.split(".")[0]  # the upload's, or its Excel report's (import_jobs)
        dropped = sha in pending and sha not in kept
        if dropped or (sha not in kept and _age_seconds(f"{folder}/{name}", now) > PENDING_SECONDS):
            default_storage.delete(f"{folder}/{name}")
    return kept
