"""Poll charts: the PNG itself (bars, glyphs, colours), wrapping, and `poll results --png`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont

from bot import chart_fonts, charts, poll_results, polls, votes
from bot.cli import cli
from bot.moderators import OPERATOR, Operator
from bot.store import open_db
from tests.conftest import REPO

JAPANESE = "ミサキは韓国で新しい生活を始める、渡利みさきと家福悠介"
KOREAN = "카후쿠는 모르는 것을 받아들인다, 이유나와 공윤수"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _poll(db, labels, picks, *, anonymous=False, first_user=1000, max_choices=1):
    options = [polls.Option(f"o{n}", label) for n, label in enumerate(labels)]
    poll = polls.create_poll(db, OPERATOR, question="How do you read the ending?",
                             options=options, anonymous=anonymous, max_choices=max_choices)
    for n, choice in enumerate(picks):
        votes.vote(db, Operator(user_id=first_user + n), poll.id,
                   choice if isinstance(choice, list) else [choice])
    return poll_results.tally(db, OPERATOR, poll.id)


def _image(data: bytes) -> Image.Image:
    """The PNG as RGB, after checking it has no transparency (it looks the same on any theme)."""
    assert data.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.mode in ("RGB", "P") and "transparency" not in image.info
    return image.convert("RGB")


def _longest_run(image: Image.Image, colour: tuple[int, int, int]) -> int:
    """The widest horizontal run of exactly ``colour``: a bar's filled length in pixels."""
    pixels, (width, height) = image.load(), image.size
    best = 0
    for y in range(height):
        run = 0
        for x in range(width):
            run = run + 1 if pixels[x, y] == colour else 0
            best = max(best, run)
    return best


def test_bars_are_as_long_as_the_share_of_voters(db) -> None:
    tally = _poll(db, ["Both begin to heal", "Misaki starts over"], ["o0", "o0", "o0", "o1"])
    image = _image(charts.tally_png(tally))
    track = charts.WIDTH - 2 * charts.PAD - charts.FIGURE_WIDTH
    assert image.width == charts.WIDTH
    assert abs(_longest_run(image, charts.LEAD) - 0.75 * track) <= 2
    assert abs(_longest_run(image, charts.BAR) - 0.25 * track) <= 2


def test_a_tie_highlights_every_leader_and_no_votes_draws_no_bar(db) -> None:
    tied = _image(charts.tally_png(_poll(db, ["A", "B", "C"], ["o0", "o1"])))
    assert _longest_run(tied, charts.LEAD) > 0 and _longest_run(tied, charts.BAR) == 0
    empty = _image(charts.tally_png(_poll(db, ["A", "B"], [])))
    assert _longest_run(empty, charts.LEAD) == 0 and _longest_run(empty, charts.BAR) == 0


def test_text_is_readable_on_every_colour_it_sits_on() -> None:
    def luminance(rgb: tuple[int, int, int]) -> float:
        def channel(c: int) -> float:
            c = c / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for background in (charts.BACKGROUND, charts.TRACK, charts.BAR, charts.LEAD):
        assert contrast(charts.INK, background) >= 7, background  # WCAG AAA
    assert contrast(charts.MUTED, charts.BACKGROUND) >= 4.5
    # the card stands out on Discord's dark theme (#313338) and, by its border, on light
    assert contrast(charts.BACKGROUND, (0x31, 0x33, 0x38)) >= 7
    assert contrast(charts.BORDER, (255, 255, 255)) > 1.3


@pytest.mark.parametrize("label", [JAPANESE, KOREAN])
def test_japanese_and_korean_are_drawn_with_real_glyphs(label: str) -> None:
    primary = chart_fonts.faces()[0]
    assert primary.path == chart_fonts.primary_font_path()
    assert chart_fonts.missing(label) == ""
    assert all(primary.covers(c) for c in label if not c.isspace())
    font = ImageFont.truetype(str(primary.path), 40)
    box = bytes(font.getmask("\U0010fffd"))  # not in the font: the missing-glyph box
    assert not primary.covers("\U0010fffd")
    for char in set(label) - {" ", ","}:
        assert bytes(font.getmask(char)) != box, f"{char!r} is drawn as a missing glyph"
    assert bytes(font.getmask(label)) != bytes(font.getmask("\U0010fffd" * len(label)))


def test_every_character_goes_to_a_font_that_has_it() -> None:
    text = f"{JAPANESE} {KOREAN} Kafuku — «Uncle Vanya» ✓"
    chain = chart_fonts.faces()
    for index, piece in chart_fonts.runs(text):
        assert all(chain[index].covers(c) or c.isspace() for c in piece), (index, piece)
    assert "".join(piece for _, piece in chart_fonts.runs(text)) == text


def test_labels_wrap_to_the_width_and_are_cut_with_an_ellipsis() -> None:
    measure = charts._measurer(charts.TEXT_SIZE)
    english = "Deliberately open: Hamaguchi leaves the meaning of the final drive to the audience"
    lines = charts.wrap(english, 300, measure, 10)
    assert len(lines) > 2 and " ".join(lines) == english
    assert all(measure(line) <= 300 for line in lines)
    cut = charts.wrap(english, 300, measure, 2)
    assert len(cut) == 2 and cut[-1].endswith("…") and measure(cut[-1]) <= 300
    japanese = charts.wrap(JAPANESE * 3, 300, measure, 20)
    assert "".join(japanese) == JAPANESE * 3 and len(japanese) > 3
    assert all(measure(line) <= 300 for line in japanese)
    assert not any(line.startswith(("、", "。")) for line in japanese)
    korean = charts.wrap(KOREAN, 300, measure, 10)
    assert " ".join(korean) == KOREAN  # Korean breaks between words, like English
    word = charts.wrap("x" * 500, 300, measure, 50)
    assert "".join(word) == "x" * 500 and all(measure(line) <= 300 for line in word)


def test_twenty_five_long_options_fit_in_one_chart(db) -> None:
    labels = [(f"{n}. " + [JAPANESE, KOREAN, "Kafuku finally grieves for Oto " * 3][n % 3])[:80]
              for n in range(25)]
    tally = _poll(db, labels, [f"o{n % 25}" for n in range(60)])
    image = _image(charts.tally_png(tally))
    few = _image(charts.tally_png(_poll(db, labels[:3], ["o1"])))
    assert image.height > few.height * 5
    assert image.height < 3000  # two lines at most per label


def test_the_chart_holds_counts_only_never_who_voted(tmp_path: Path) -> None:
    pictures = []
    for n, first_user in enumerate((1000, 987654321987654)):
        db = open_db(tmp_path / f"{n}.db")
        pictures.append(charts.tally_png(_poll(db, ["A", "B"], ["o0", "o1", "o0"],
                                               first_user=first_user)))
        db.close()
    assert pictures[0] == pictures[1]


def test_multiple_choice_polls_explain_their_percentages(db) -> None:
    single = _poll(db, ["A", "B"], ["o0"])
    multi = _poll(db, ["A", "B", "C"], [["o0", "o1"], ["o1"]], anonymous=True, max_choices=2)
    # the footer explains that shares of voters can add up to more than 100%
    assert _image(charts.tally_png(multi)).height > _image(charts.tally_png(single)).height


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labels=st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=5),
       title=st.text(max_size=400))
def test_any_text_draws_without_crashing(labels: list[str], title: str) -> None:
    bars = [charts.Bar(label, float(n), f"{n}") for n, label in enumerate(labels)]
    _image(charts.bar_chart_png(title, bars))


def test_odd_text_and_odd_numbers_draw() -> None:
    odd = ["\ud800 lone surrogate", "@everyone <@123>", "a\nb\tc\x00d", "🚗" * 40,
           "x" * 10_000, "'); DROP TABLE polls; --", ""]
    bars = [charts.Bar(label, value, "?") for label, value in
            zip(odd, [float("nan"), float("inf"), -5.0, 0.0, 1e308, 3.0, 1.0], strict=True)]
    _image(charts.bar_chart_png("\x1b[31mred?" * 100, bars, footer="\ud800"))
    with pytest.raises(ValueError):
        charts.bar_chart_png("too many", [charts.Bar("x", 1, "1")] * (charts.MAX_BARS + 1))


def _cli_poll(tmp_path: Path, pack: Path) -> list[str]:
    db = open_db(tmp_path / "bot.db")
    _poll(db, [JAPANESE[:20], KOREAN[:20], "Both begin to heal"], ["o0", "o1", "o1"])
    db.close()
    return ["--db", str(tmp_path / "bot.db"), "--knowledge", str(pack)]


def test_cli_saves_the_chart_and_still_prints_the_results(tmp_path: Path, pack: Path) -> None:
    args = _cli_poll(tmp_path, pack)
    out = tmp_path / "chart.png"
    result = CliRunner().invoke(cli, ["poll", "results", "1", "--png", str(out), *args])
    assert result.exit_code == 0, result.output
    assert "Poll #1 (open): How do you read the ending?" in result.stdout
    assert f"chart saved to {out}" in result.stderr
    assert _image(out.read_bytes()).width == charts.WIDTH
    as_json = CliRunner().invoke(cli, ["poll", "results", "1", "--json", "--png", str(out),
                                       *args])
    assert as_json.exit_code == 0 and as_json.stdout.lstrip().startswith("{")
    to_stdout = CliRunner().invoke(cli, ["poll", "results", "1", "--png", "-", *args])
    assert to_stdout.exit_code == 0 and to_stdout.stdout_bytes.startswith(PNG_MAGIC)


def test_cli_refuses_bad_polls_and_paths_in_one_line(tmp_path: Path, pack: Path) -> None:
    args = _cli_poll(tmp_path, pack)
    missing = tmp_path / "never.png"
    result = CliRunner().invoke(cli, ["poll", "results", "9", "--png", str(missing), *args])
    assert result.exit_code == 1 and not missing.exists()
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    nowhere = tmp_path / "no-such-folder" / "chart.png"
    result = CliRunner().invoke(cli, ["poll", "results", "1", "--png", str(nowhere), *args])
    assert result.exit_code == 1
    assert "cannot write" in result.stderr and result.stderr.count("\n") == 1


def test_importing_the_bot_loads_no_chart_or_dashboard_library() -> None:
    modules = sorted(f"bot.{p.stem}" for p in (REPO / "bot").glob("*.py")
                     if p.stem != "__main__")
    modules += sorted(f"bot.cli.{p.stem}" for p in (REPO / "bot" / "cli").glob("*.py"))
    assert "bot.charts" in modules and "bot.cli.polls" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(m for m in ('PIL', 'fontTools', 'datasette', 'uvicorn')"
            " if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_character_maps_read_match_fonttools() -> None:
    from fontTools.ttLib import TTFont

    assert chart_fonts.faces(), "no font found at all"
    for face in chart_fonts.faces():
        with TTFont(str(face.path), fontNumber=0) as font:
            assert face.codepoints == frozenset(font.getBestCmap()), face.path
