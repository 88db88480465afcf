"""Canonical JSON of list entries, and the content digest of a list.

The digest is what decisions cite: `sha256:` and the hash of the entries sorted by id, each as
canonical JSON (sorted keys, no spaces, UTF-8) on its own line. Equal content gives an equal
digest whatever the file it came from or the store it sits in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import cattrs

from dualcontrol.errors import DualcontrolError
from dualcontrol.screening.model import ListEntry

__all__ = ["EntryCodec", "EntryDecodeError", "content_digest", "digest_of_texts"]


class EntryDecodeError(DualcontrolError):
    """A stored entry does not have the shape this version writes (another version's store)."""


class EntryCodec:
    """Turns entries into canonical JSON and back, with its own cattrs converter."""

    def __init__(self) -> None:
        self._converter = cattrs.Converter(forbid_extra_keys=True)

    def to_json(self, entry: ListEntry) -> str:
        """The canonical JSON of an entry."""
        data: dict[str, Any] = self._converter.unstructure(entry)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def from_json(self, text: str) -> ListEntry:
        """An entry from its JSON; unknown keys are refused with every reason at once."""
        try:
            return self._converter.structure(json.loads(text), ListEntry)
        except (cattrs.BaseValidationError, ValueError, TypeError) as error:
            reasons = (
                "; ".join(cattrs.transform_error(error))
                if isinstance(error, cattrs.BaseValidationError)
                else str(error)
            )
            msg = f"stored entry does not match this version: {reasons}"
            raise EntryDecodeError(msg) from error


def content_digest(entries: Iterable[ListEntry], codec: EntryCodec | None = None) -> str:
    """The digest of a list's content: `sha256:<hex>`, independent of entry order."""
    coder = codec or EntryCodec()
    return digest_of_texts((e.entry_id, coder.to_json(e)) for e in entries)


def digest_of_texts(texts: Iterable[tuple[str, str]]) -> str:
    """`content_digest` from `(entry id, JSON text)` pairs, for a caller that has the texts."""
    digest = hashlib.sha256()
    for _, text in sorted(texts):
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
    return f"sha256:{digest.hexdigest()}"
