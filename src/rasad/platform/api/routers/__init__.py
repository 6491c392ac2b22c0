"""The API's routes, one router per subject.

These modules do not use ``from __future__ import annotations``: django-ninja reads the
parameter annotations at import time to build its schemas and cannot resolve strings.
"""
