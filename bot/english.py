"""An English word list, to tell a real word from a typo.

Typo correction only touches words that are neither in the knowledge base nor real English:
``locked`` is a real word and stays itself, ``happend`` is not and becomes ``happened``.

``data/english-words.txt.gz`` holds the 44,419 alphabetic words that occur at least 100 times
in the English frequency list of pyspellchecker 0.9.1 (MIT licence; built from subtitle
corpora), most frequent first. Regenerate it with ``python -m bot.english`` (needs
``pip install pyspellchecker``).
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources
from pathlib import Path

MIN_COUNT = 100
FILE = "english-words.txt.gz"


@cache
def ranks() -> dict[str, int]:
    """Word → frequency rank (0 is the most frequent), read once on first use."""
    data = (resources.files("bot") / "data" / FILE).read_bytes()
    return {w: n for n, w in enumerate(gzip.decompress(data).decode("ascii").split())}


def is_word(word: str) -> bool:
    """True for a real English word (in its normalized, lowercase form)."""
    return word in ranks()


def main() -> None:  # pragma: no cover - a maintenance script
    """Rebuild the word list from pyspellchecker's English frequency dictionary."""
    import json

    import spellchecker

    source = Path(spellchecker.__file__).parent / "resources" / "en.json.gz"
    counts = json.loads(gzip.decompress(source.read_bytes()))
    found = sorted((w for w, c in counts.items() if c >= MIN_COUNT and w.isalpha()
                    and w.isascii()), key=lambda w: (-counts[w], w))
    target = Path(__file__).parent / "data" / FILE
    with gzip.GzipFile(target, "wb", mtime=0) as out:
        out.write(("\n".join(found) + "\n").encode("ascii"))
    print(f"{target}: {len(found)} words")


if __name__ == "__main__":
    main()
