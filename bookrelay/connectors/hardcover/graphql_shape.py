"""The top-level shape of a GraphQL document, read by a small parser of our own.

Hardcover bills one unit per top-level field (N1) and refuses some Hasura operators; the client reads
both off every document before it is sent. graphql-core would parse them as well, but it costs every
bookrelay process about 5 MiB to import, and only the sandbox's fake and the tests need the full
language (tests check this reader against graphql-core on every document the client sends).

The grammar read is the executable subset of the GraphQL spec (October 2021, §2): operations,
fragments, selections, arguments, values, variables, directives. Type-system definitions are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<block>\"\"\"(?:\\\"\"\"|(?!\"\"\")[\s\S])*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n\r])*")
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\:=@\[\]{|}])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    """,
    re.VERBOSE,
)
_OPERATION_TYPES = ("query", "mutation", "subscription")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    at: int


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field of a selection set: its response key (alias or name) and its name."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Selection:
    """A selection set as far as billing needs it: fields, fragment spreads, inline fragments, in order."""

    items: tuple[FieldRef | str | Selection, ...]  # str: a fragment spread's name


@dataclass
class ParsedDocument:
    """The operations (name, kind, top-level selection), fragments, and every input-object field name."""

    operations: list[tuple[str | None, str, Selection]] = field(default_factory=list)
    fragments: dict[str, Selection] = field(default_factory=dict)
    object_fields: set[str] = field(default_factory=set)


class GraphQLSyntaxError(ValueError):
    """The document is not GraphQL (the message says where)."""


def _tokens(document: str) -> Iterator[_Token]:
    position = 0
    while position < len(document):
        match = _TOKEN.match(document, position)
        if match is None:
            raise GraphQLSyntaxError(f"unexpected character {document[position]!r} at offset {position}")
        kind = match.lastgroup or ""
        if kind != "skip":
            yield _Token(kind, match.group(), position)
        position = match.end()


class _Parser:
    def __init__(self, document: str) -> None:
        self.tokens = list(_tokens(document))
        self.position = 0
        self.parsed = ParsedDocument()

    # -- tokens -----------------------------------------------------------------------------------

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _at(self, text: str) -> bool:
        token = self._peek()
        return token is not None and token.text == text and token.kind in ("punct", "spread", "name")

    def _take(self, text: str | None = None, kind: str | None = None) -> _Token:
        token = self._peek()
        wanted = text or kind or "a token"
        if token is None:
            raise GraphQLSyntaxError(f"expected {wanted!r}, the document ended")
        if (text is not None and token.text != text) or (kind is not None and token.kind != kind):
            raise GraphQLSyntaxError(f"expected {wanted!r}, found {token.text!r} at offset {token.at}")
        self.position += 1
        return token

    def _name(self) -> str:
        return self._take(kind="name").text

    # -- definitions ------------------------------------------------------------------------------

    def document(self) -> ParsedDocument:
        if self._peek() is None:
            raise GraphQLSyntaxError("the document is empty")
        while (token := self._peek()) is not None:
            if token.text == "{":
                self.parsed.operations.append((None, "query", self._selection_set()))
            elif token.kind == "name" and token.text in _OPERATION_TYPES:
                self._operation()
            elif token.kind == "name" and token.text == "fragment":
                self._fragment()
            else:
                raise GraphQLSyntaxError(f"unexpected {token.text!r} at offset {token.at}")
        return self.parsed

    def _operation(self) -> None:
        kind = self._name()
        name = self._name() if (token := self._peek()) is not None and token.kind == "name" else None
        if self._at("("):
            self._variable_definitions()
        self._directives()
        self.parsed.operations.append((name, kind, self._selection_set()))

    def _fragment(self) -> None:
        self._take("fragment")
        name = self._name()
        if name == "on":
            raise GraphQLSyntaxError("a fragment cannot be named 'on'")
        self._take("on")
        self._name()
        self._directives()
        self.parsed.fragments[name] = self._selection_set()

    def _variable_definitions(self) -> None:
        self._take("(")
        while not self._at(")"):
            self._take("$")
            self._name()
            self._take(":")
            self._type()
            if self._at("="):
                self._take("=")
                self._value()
            self._directives()
        self._take(")")

    def _type(self) -> None:
        if self._at("["):
            self._take("[")
            self._type()
            self._take("]")
        else:
            self._name()
        if self._at("!"):
            self._take("!")

    # -- selections -------------------------------------------------------------------------------

    def _selection_set(self) -> Selection:
        self._take("{")
        items: list[FieldRef | str | Selection] = []
        while not self._at("}"):
            if self._at("..."):
                self._take("...")
                token = self._peek()
                if token is not None and token.kind == "name" and token.text != "on":
                    items.append(self._name())
                    self._directives()
                    continue
                if self._at("on"):
                    self._take("on")
                    self._name()
                self._directives()
                items.append(self._selection_set())
                continue
            key = name = self._name()
            if self._at(":"):
                self._take(":")
                name = self._name()
            if self._at("("):
                self._arguments()
            self._directives()
            if self._at("{"):
                self._selection_set()
            items.append(FieldRef(key, name))
        self._take("}")
        if not items:
            raise GraphQLSyntaxError("a selection set cannot be empty")
        return Selection(tuple(items))

    def _arguments(self) -> None:
        self._take("(")
        while not self._at(")"):
            self._name()
            self._take(":")
            self._value()
        self._take(")")

    def _directives(self) -> None:
        while self._at("@"):
            self._take("@")
            self._name()
            if self._at("("):
                self._arguments()

    def _value(self) -> None:
        token = self._take()
        if token.text == "$" and token.kind == "punct":
            self._name()
        elif token.text == "[" and token.kind == "punct":
            while not self._at("]"):
                self._value()
            self._take("]")
        elif token.text == "{" and token.kind == "punct":
            while not self._at("}"):
                self.parsed.object_fields.add(self._name())
                self._take(":")
                self._value()
            self._take("}")
        elif token.kind not in ("name", "number", "string", "block"):
            raise GraphQLSyntaxError(f"expected a value, found {token.text!r} at offset {token.at}")


def parse_document(document: str) -> ParsedDocument:
    """The operations, fragments and input-object field names of ``document``; GraphQLSyntaxError when
    it is not an executable GraphQL document."""
    return _Parser(document).document()
