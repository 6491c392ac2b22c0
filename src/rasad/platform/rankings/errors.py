"""What the rankings refuse, in their own words: the API answers it with its status and
code (:mod:`rasad.platform.api.errors`), a page with the message alone."""

from __future__ import annotations


class EditionDataUnavailable(Exception):
    """The data an edition ranked cannot be given back: the edition is not computed yet,
    or its data can no longer be rebuilt (the registry changed under it). Its league
    tables and paths to the top are then not shown, rather than shown on other data."""

    status = 409

    def __init__(self, code: str, message):
        self.code = code
        self.message = message  # a lazy msgid: rendered in the language of whoever reads it
        super().__init__(code)
