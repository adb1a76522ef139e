"""Content checks for the shipped Drive My Car knowledge pack.

These read the YAML directly (no bot imports) and guard the facts, not the format:
structure and links, interpretations, known wrong claims stated as fact, invented
quotes, trusted source domains, spoiler flags, and the evaluation question set.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PACK = REPO / "knowledge" / "drive-my-car"
ENTRIES_DIR = PACK / "entries"
EVAL_SET = REPO / "bot" / "evalsets" / "questions.yaml"


def _load(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


ENTRY_FILES = sorted(ENTRIES_DIR.glob("*.yaml"))
ENTRIES = {path.stem: _load(path) for path in ENTRY_FILES}
INTERPRETATIONS = _load(PACK / "interpretations.yaml")
FILM = _load(PACK / "film.yaml")


# ---------------------------------------------------------------- (a) structure


def test_pack_has_enough_entries() -> None:
    assert len(ENTRIES) >= 45


@pytest.mark.parametrize("stem", sorted(ENTRIES))
def test_entry_shape(stem: str) -> None:
    entry = ENTRIES[stem]
    assert entry["id"] == stem, "id must equal the file name"
    assert 4 <= len(entry["questions"]) <= 12, "each entry needs 4 to 12 questions"
    assert len(entry["answer"]) <= 1500
    assert entry["sources"], "at least one source"
    assert any("url" in s for s in entry["sources"]), "at least one web source, not only scenes"
    assert isinstance(entry["spoiler"], bool)
    assert 1 <= len(entry["tags"]) <= 10
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", t) for t in entry["tags"])
    assert len(entry.get("aliases", [])) <= 20


@pytest.mark.parametrize("stem", sorted(ENTRIES))
def test_related_ids_exist(stem: str) -> None:
    related = ENTRIES[stem].get("related", [])
    assert len(related) <= 5
    for rel in related:
        assert rel in ENTRIES, f"{stem}: related id '{rel}' does not exist"
        assert rel != stem


def test_questions_are_distinct_across_entries() -> None:
    seen: dict[str, str] = {}
    for stem, entry in ENTRIES.items():
        for q in entry["questions"]:
            key = " ".join(re.findall(r"\w+", q.lower()))
            assert key not in seen, f"'{q}' is in both {seen.get(key)} and {stem}"
            seen[key] = stem


def test_film_file() -> None:
    assert FILM["id"] == PACK.name
    assert FILM["year"] == 2021
    assert FILM["spoilers"] == "hidden"
    for group in FILM["synonyms"]:
        assert len(group) >= 2
        for word in group:
            assert re.fullmatch(r"[a-z0-9]+", word), f"synonym '{word}' must be one plain word"


# ---------------------------------------------------------------- (b) interpretations


def test_interpretations() -> None:
    assert isinstance(INTERPRETATIONS, list)
    assert len(INTERPRETATIONS) >= 6
    ids = [i["id"] for i in INTERPRETATIONS]
    assert len(ids) == len(set(ids))
    for item in INTERPRETATIONS:
        assert len(item["id"]) <= 40
        assert len(item["label"]) <= 80
        assert len(item["summary"]) <= 1000
        assert item["sources"]


def test_interpretation_summaries_present_themselves_as_readings() -> None:
    for item in INTERPRETATIONS:
        assert re.search(r"\breading\b", item["summary"], re.I), item["id"]


# ---------------------------------------------------------------- (c) forbidden claims
# Wrong claims are checked in every field by test_pack_claims.py (rules in pack_claims.py).


# ---------------------------------------------------------------- (d) no invented quotes

QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|«([^»]+)»|「([^」]+)」")
MAX_QUOTED_WORDS = 12


def long_quotes(text: str) -> list[str]:
    return [
        "".join(m.groups(default=""))
        for m in QUOTED.finditer(text)
        if len("".join(m.groups(default="")).split()) > MAX_QUOTED_WORDS
    ]


def test_quote_check_itself() -> None:
    assert long_quotes('He said "you can never truly see into the heart of another person, '
                       'however hard you try, so look into your own".')
    assert not long_quotes('The story "Drive My Car" comes from “Men Without Women”.')


@pytest.mark.parametrize("stem", sorted(ENTRIES))
def test_no_long_quotations_in_answers(stem: str) -> None:
    assert not long_quotes(ENTRIES[stem]["answer"])


def test_no_long_quotations_in_interpretations() -> None:
    for item in INTERPRETATIONS:
        assert not long_quotes(item["summary"]), item["id"]


# ---------------------------------------------------------------- (e) trusted sources

# Domains of the sources on the verified fact sheet (shared/film-facts.md), excluding
# the scraped spam pages it only cites as examples of wrong claims.
ALLOWED_DOMAINS = frozenset({
    "goldenglobes.com", "voyapon.com", "eigachannel.jp", "michaeljcinema.com", "wikisum.wiki",
    "takorine2.webnode.jp", "koregasiritai.com", "kzbin.info", "watashinojinsei.com",
    "wadaihack.xsrv.jp", "penguin.co.uk", "ciff.org.eg", "tvtropes.org", "cinematicthreads.com",
    "lynxthoughts.com", "nippon.com", "murakami.club", "maidenalleycinema.org", "novinky.cz",
    "screendaily.com", "skipcity-dcf.jp", "nordot.app", "kahoku.news", "criticsnotebook.com",
    "meltingpopcorn.digitalpress.blog", "mreportpod.com", "poeschloncars.blogspot.com",
    "crank-in.net", "hitocinema.mainichi.jp", "natalie.mu", "cinemercato.com",
    "filmekimi.iksv.org", "japantimes.co.jp", "cinema-hitstv.com", "hurriyetdailynews.com",
    "thelagosreview.ng", "deadline.com", "english.kyodonews.net", "centralrecorder.com",
    "lokmattimes.com", "rafu.com", "cinema.com.my", "themiracletech.com", "gq.com",
    "variety.com", "wikiclassic.com", "imdb.es", "eiga-watch.com", "filmarks.com",
    "theinventionofdreams.com", "takatsuki2.jp", "koreaherald.com", "netizenbuzz.com",
    "brightwalldarkroom.com", "dailylobo.com", "summary.hal0322.com", "best-japanese.co.uk",
    "filmfestsalon.com", "whatsafterthemovie.com", "ellemamateaparty.com", "drive-my-car.org",
    "eiga.com", "ameblo.jp", "airundo.sakura.ne.jp", "taketonews.com", "thecaradise.com",
    "one37pm.com", "kultura.onet.pl",
    "glasove.com", "japantoday.com", "eponymistuk.blogspot.com", "siff.kr", "cohost.org",
    "infochretienne.com", "woman.excite.co.jp", "thestar.com.my", "subslikescript.com",
    "nowinfullcolor.com", "filmfestival.gr", "afa-academy.com", "carcle.work",
    # added to the sheet in its second revision (stronger sources, facts 75-78, section 7)
    "film-cred.com", "filmitips.com", "kqed.org", "said-fred.blogspot.com", "note.com",
    "yab.yomiuri.co.jp", "grapee.jp", "reelinterpretations.com", "eiga-pop.com",
    "en.wikisource.org", "book-bot.com", "embed.letterboxd.com",
    "joelwatchesmovies.wordpress.com", "pinkvilla.com", "allpagesandpictures.com",
    "kyashdust.blogspot.com", "robinjapan.com", "rhinoos.xyz", "encount.press",
    "manoverboard-nz.blogspot.com", "spikytv.com", "fullcirclecinema.com", "moviejones.de",
    "lilfilmmakersinc.medium.com", "filmmakermagazine.com", "geekvibesnation.com",
    "kiwix.jackbot.fr", "theylive30.com", "blog.goo.ne.jp", "ewnt.pages.dev",
    "blog.mizukinana.jp", "kosuke910.xsrv.jp",
})

# Pages the fact sheet names as spam or as sources of wrong claims: never cite them.
BANNED_DOMAINS = frozenset({
    "lereveilmatin.fr", "pamelanebeker.com", "asianjoe.com", "lesptitesperles.com",
    "funimation.in", "kissasiantv.cx", "critifyhub.com", "pioneerscoop.com", "monamona2525.com",
    "newsbreak.com", "tatlerasia.com", "newsdio.com", "gregsquaredfilms.com",
})


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def all_sources() -> list[tuple[str, dict]]:
    found = [(stem, s) for stem, e in ENTRIES.items() for s in e["sources"]]
    found += [(f"interpretation {i['id']}", s) for i in INTERPRETATIONS for s in i["sources"]]
    return found


# What some sites are, which a source's title must say (fact sheet, "Site labels"): a
# plot-summary site is not Wikipedia, a mirror is a mirror, a defunct site says so, a
# scraped or re-hosted copy says so.
SOURCE_LABELS = {
    "wikisum.wiki": r"plot-summary site, not Wikipedia",
    "wikiclassic.com": r"Wikipedia mirror",
    "imdb.es": r"IMDb\.es mirror",
    "cohost.org": r"shut down",
    "kzbin.info": r"scraped copy of a YouTube comment thread",
    "ewnt.pages.dev": r"re-hosted copy",
    "kiwix.jackbot.fr": r"copy of French Wikipedia",
    "blog.mizukinana.jp": r"scraped",
}


def test_source_titles_say_what_the_page_is() -> None:
    problems = []
    for where, source in all_sources():
        if "url" not in source:
            continue
        label = SOURCE_LABELS.get(_host(source["url"]))
        if label and not re.search(label, source["title"], re.I):
            problems.append(f"{where}: {source['title']!r} should say /{label}/")
        if re.search(r"wikipedia", source["title"], re.I) and not re.search(
                r"not Wikipedia|Wikipedia mirror|copy of", source["title"]):
            problems.append(f"{where}: {source['title']!r} is not a Wikipedia page")
    assert not problems, "\n".join(problems)


def test_allowlists_are_disjoint() -> None:
    assert not ALLOWED_DOMAINS & BANNED_DOMAINS


def test_every_url_is_http_and_from_a_trusted_domain() -> None:
    problems = []
    for where, source in all_sources():
        if "scene" in source:
            assert set(source) == {"scene"} and source["scene"].strip(), where
            continue
        url = source["url"]
        assert source["title"].strip(), where
        if urlsplit(url).scheme not in ("http", "https"):
            problems.append(f"{where}: not http(s): {url}")
        host = _host(url)
        if host in BANNED_DOMAINS:
            problems.append(f"{where}: banned source {host}")
        elif host not in ALLOWED_DOMAINS:
            problems.append(f"{where}: domain {host} is not on the fact-sheet allowlist")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- spoiler flags

LAST_ACT_WORDS = re.compile(r"\b(epilogue|arrest\w*|landslide|snow|embrace\w*|hokkaido)\b", re.I)


@pytest.mark.parametrize("stem", sorted(ENTRIES))
def test_last_act_entries_are_spoilers(stem: str) -> None:
    entry = ENTRIES[stem]
    if stem.startswith(("ending-", "snow-scene-")) or LAST_ACT_WORDS.search(entry["answer"]):
        assert entry["spoiler"] is True, f"{stem} talks about the last act"


# Titles are shown as /ask suggestions (in spoiler channels only, for last-act entries) and as
# embed titles: name the question, not the twist ("What happens to Takatsuki?").
TWISTS = re.compile(r"\b(arrest\w*|landslide|mudslide|died|dies|death|kill\w*|embrace\w*|hug\w*|"
                    r"confess\w*|plays vanya himself|faded)\b", re.I)


@pytest.mark.parametrize("stem", sorted(ENTRIES))
def test_last_act_titles_do_not_give_the_twist_away(stem: str) -> None:
    entry = ENTRIES[stem]
    assert not (entry["spoiler"] and TWISTS.search(entry["title"])), entry["title"]


@pytest.mark.parametrize("stem", sorted(ENTRIES))
def test_spoiler_free_entries_link_only_to_spoiler_free_entries(stem: str) -> None:
    entry = ENTRIES[stem]
    if not entry["spoiler"]:
        leaking = [r for r in entry.get("related", []) if ENTRIES[r]["spoiler"]]
        assert not leaking, f"{stem} (no spoilers) links to spoiler entries {leaking}"


# ---------------------------------------------------------------- evaluation set

EVAL = _load(EVAL_SET)


def test_eval_set_shape() -> None:
    assert len(EVAL) >= 75
    abstain = [item for item in EVAL if item["expect"] == "abstain"]
    assert len(abstain) >= 15
    for item in EVAL:
        assert set(item) == {"q", "expect"}
        assert item["expect"] == "abstain" or item["expect"] in ENTRIES, item


def test_eval_questions_are_not_copies_of_entry_questions() -> None:
    def norm(text: str) -> str:
        return " ".join(re.findall(r"\w+", text.lower()))

    entry_questions = {norm(q) for e in ENTRIES.values() for q in e["questions"]}
    copies = [item["q"] for item in EVAL if norm(item["q"]) in entry_questions]
    assert not copies, copies
