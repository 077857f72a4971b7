"""Search keys: full/half-width folded (NFKC) and case-folded, used only for matching."""

import unicodedata


def search_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()
