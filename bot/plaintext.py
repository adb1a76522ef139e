"""Discord markdown → plain terminal text: what the console and ``ask`` print.

Answers are written for Discord (``**bold**``, ``*Uncle Vanya*``, ``- lists``, ``[title](url)``,
``||spoilers||``). A terminal shows those marks as they are, so they are parsed with
markdown-it-py and written back as text: emphasis and code marks dropped, links as
"title - url", lists and quotes kept with their markers and indentation, an inline
spoiler as ``[spoiler: ...]``. The parser follows Discord's rules where they differ from
CommonMark: a single newline is a line break, and there are no HTML tags, entities,
setext headings, indented code or reference links (such text stays as typed).
"""

from __future__ import annotations

import re
import textwrap
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.tree import SyntaxTreeNode

# The characters at which the inline text rule stops so that another rule may start:
# markdown-it's own list plus "|", for ||spoilers||.
_STOP = frozenset("\n!#$%&*+-:<=>@[\\]^_`{}~|")
_INDENT = "    "  # code blocks
_SUBTEXT = re.compile(r"^-# ", re.M)  # Discord's small grey text: a line starting "-# "


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True})
    md.enable("strikethrough")
    md.disable(["entity", "lheading", "code", "reference"])
    md.inline.ruler.at("text", _text_rule)
    md.inline.ruler.before("emphasis", "spoiler", _spoiler_rule)
    return md


def _text_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it's text rule, stopping at "|" too."""
    pos = state.pos
    while pos < state.posMax and state.src[pos] not in _STOP:
        pos += 1
    if pos == state.pos:
        return False
    if not silent:
        state.pending += state.src[state.pos:pos]
    state.pos = pos
    return True


def _spoiler_rule(state: StateInline, silent: bool) -> bool:
    """``||text||`` as a spoiler span (Discord's spoiler markup)."""
    start = state.pos
    if not state.src.startswith("||", start):
        return False
    end = state.src.find("||", start + 2, state.posMax)
    if end <= start + 2:
        return False
    if not silent:
        state.push("spoiler_open", "span", 1)
        old_max, state.pos, state.posMax = state.posMax, start + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("spoiler_close", "span", -1)
    state.pos = end + 2
    return True


def plain(text: str, *, width: int | None = None, show_spoilers: bool = False) -> str:
    """``text`` (Discord markdown) as terminal text, wrapped to ``width`` when given."""
    root = SyntaxTreeNode(_parser().parse(text))
    renderer = _Renderer(text.split("\n"), show_spoilers)
    return "\n".join(renderer.blocks(root.children, width)).strip("\n")


def plain_inline(text: str, *, show_spoilers: bool = False) -> str:
    """One line (a title, a label) without its marks; line breaks become spaces."""
    return " ".join(plain(text, show_spoilers=show_spoilers).split())


class _Renderer:
    """Walks markdown-it's syntax tree, keeping the source lines to see where blank lines were."""

    def __init__(self, source: list[str], spoilers: bool) -> None:
        self.source, self.spoilers = source, spoilers

    def blocks(self, nodes: list[SyntaxTreeNode], width: int | None) -> list[str]:
        """Block nodes as lines, with a blank line between two blocks where the text had one
        (Discord keeps the author's line breaks: a list may follow its paragraph directly)."""
        lines: list[str] = []
        for n, node in enumerate(nodes):
            if n and self._blank_before(node):
                lines.append("")
            lines += self.block(node, width)
        return lines

    def _blank_before(self, node: SyntaxTreeNode) -> bool:
        if not node.map or node.map[0] == 0 or node.map[0] > len(self.source):
            return True
        return not self.source[node.map[0] - 1].strip(" \t>")

    def block(self, node: SyntaxTreeNode, width: int | None) -> list[str]:
        kind = node.type
        if kind in ("paragraph", "heading"):
            text = self.inline(node.children[0]) if node.children else ""
            return _wrap(_SUBTEXT.sub("", text), width)
        if kind in ("bullet_list", "ordered_list"):
            lines: list[str] = []
            start = int(node.attrs.get("start", 1)) if kind == "ordered_list" else 0
            for n, item in enumerate(node.children):
                if n and self._blank_before(item):
                    lines.append("")
                mark = f"{start + n}{node.markup} " if kind == "ordered_list" \
                    else f"{node.markup} "
                inner = self.blocks(item.children, width and max(width - len(mark), 20))
                lines += [(mark if i == 0 else " " * len(mark)) + line if line else ""
                          for i, line in enumerate(inner or [""])]
            return lines
        if kind == "blockquote":
            inner = self.blocks(node.children, width and max(width - 2, 20))
            return [f"> {line}".rstrip() for line in inner]
        if kind in ("fence", "code_block"):
            return [_INDENT + line if line else ""
                    for line in node.content.rstrip("\n").split("\n")]
        if kind == "hr":  # as written: Discord has no rules, so "---" stays "---"
            return [self.source[node.map[0]].strip() if node.map else node.markup]
        return self.blocks(node.children, width)  # anything else: its content

    def inline(self, node: SyntaxTreeNode) -> str:
        out: list[str] = []
        for child in node.children:
            kind = child.type
            if kind in ("text", "code_inline"):
                out.append(child.content)
            elif kind in ("softbreak", "hardbreak"):
                out.append("\n")
            elif kind == "link":
                label, href = self.inline(child), str(child.attrs.get("href", ""))
                out.append(href if label in (href, "") or f"mailto:{label}" == href
                           else f"{label} - {href}")
            elif kind == "image":
                alt, src = self.inline(child), str(child.attrs.get("src", ""))
                out.append(f"{alt} - {src}" if alt else src)
            elif kind == "spoiler":
                inner = self.inline(child)
                out.append(inner if self.spoilers else f"[spoiler: {inner}]")
            else:  # strong, em, s: the text without its marks
                out.append(self.inline(child))
        return "".join(out)


def _wrap(text: str, width: int | None) -> list[str]:
    """Lines of ``text``, each wrapped to ``width`` (links and long words kept whole)."""
    if not width:
        return text.split("\n")
    return [wrapped for line in text.split("\n")
            for wrapped in (textwrap.wrap(line, width, break_long_words=False,
                                          break_on_hyphens=False) or [""])]
