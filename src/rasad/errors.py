"""Errors that a person reads, in Persian and English.

Every check in the pure core that rejects user input raises a subclass of
:class:`RasadInputError`, so the CLI, the importer and the web forms can show the same
message in the reader's language and point at the offending field without parsing
strings.
"""

from __future__ import annotations


class RasadInputError(ValueError):
    """Bad input, explained in both languages.

    ``field`` names what was wrong (a column, a YAML key, a form field) and ``value``
    is the offending input as received, so reports can show it next to the message.
    """

    def __init__(self, message_en: str, message_fa: str, *, field: str | None = None, value=None):
        from rasad.iran.text import persian_numbers  # rasad.iran.text raises these errors

        self.message_en = message_en
        self.message_fa = persian_numbers(message_fa)
        self.field = field
        self.value = value
        super().__init__(f"{message_en} / {self.message_fa}")

    def message(self, language: str = "en") -> str:
        return self.message_fa if language.startswith("fa") else self.message_en


class InputProblems(RasadInputError):
    """Every problem of one record at once, so the sender can fix them in one go."""

    def __init__(self, problems: list[RasadInputError]):
        self.problems = problems
        super().__init__(
            "; ".join(p.message_en for p in problems),
            "؛ ".join(p.message_fa for p in problems),
        )
