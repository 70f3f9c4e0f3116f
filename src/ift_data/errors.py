"""User-facing errors: each names the file, line and field it is about."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (data, recipe, template, rules); the CLI exits with code 2.

    The message is one line: ``FILE:LINE: field 'X': what is wrong``.
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        super().__init__(self.format())

    def format(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.reason}"


class TemplateError(UserError):
    """A template pack or a single template is invalid or failed to render."""


class SpecError(UserError):
    """A task spec, recipe or rules file is invalid."""
