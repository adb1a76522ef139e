"""Where the files that ship with the bot are: the knowledge base and the evaluation sets.

Both are package data, found through ``importlib.resources`` so that an installed wheel
(``pipx install .``) works from any folder. In a checkout the knowledge base is the
top-level ``knowledge/`` folder that curators edit; ``pyproject.toml`` maps it into the
package as ``bot/packs/`` at build time, so git holds one copy. An editable install
(``pip install -e .``) has no ``bot/packs/``: there the folder beside the package is used.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from bot.errors import BotError


def _package_dir() -> Path:
    root = files("bot")
    if not isinstance(root, Path):  # a zip import: the loader needs real files
        raise BotError("the bot must be installed as files (pip or pipx), not run from a zip")
    return root


def knowledge_path() -> Path:
    """The bundled knowledge folder: ``bot/packs`` when installed, ``knowledge/`` in a checkout."""
    package = _package_dir()
    installed = package / "packs"
    return installed if installed.is_dir() else package.parent / "knowledge"


def eval_sets_path() -> Path:
    """The folder of shipped evaluation sets (``bot/evalsets``, package data in both cases)."""
    return _package_dir() / "evalsets"


def default_eval_set() -> Path:
    """The older id-based question set, one of the dev sets ``python -m bot eval`` runs when
    it is given no FILE (``bot.evaluate.default_sets``)."""
    return eval_sets_path() / "questions.yaml"
