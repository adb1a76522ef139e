"""Content checks for the shipped Drive My Car knowledge pack.

These read the YAML directly (no bot imports) and guard the facts, not the format:
structure and links, interpretations, known wrong claims stated as fact, invented
quotes, trusted source domains, spoiler flags, and the evaluation question set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple
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
    assert 4 <= len(entry["questions"]) <= 8, "each entry needs 4 to 8 questions"
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

# A sentence containing one of these words is a denial, correction or hedge, not a claim.
NEGATION = re.compile(
    r"\b(no|not|never|nothing|none|neither|nor|without|cannot|wrong\w*|myths?|mistak\w*|"
    r"misconceptions?|false|errors?|unverified|unconfirmed|unproven|rather than|instead|"
    r"but|however|although|though|made up|invented|rumou?rs?)\b|n['’]t\b",
    re.I,
)


class Claim(NamedTuple):
    name: str
    pattern: str  # the wrong claim
    exempt: str | None  # context that makes the sentence correct (e.g. "in the short story")
    strict: bool  # True: a negation does not excuse the sentence
    bad: str  # example the check must flag
    good: str  # example (negated / corrected) it must accept
    why: str
    # Poll labels are, by definition, one reading each: a claim that is only wrong when
    # stated as fact (not as a reading) skips them.
    labels_ok: bool = False


STORY = r"\b(story|stories|murakami|book|logline)\b"

CLAIMS = [
    Claim("kiss", r"\bkiss(es|ed|ing)?\b", None, False,
          "At the ruins they share a passionate kiss.",
          "They embrace; there is no kiss.",
          "They embrace; nothing romantic passes between them."),
    Claim("misaki-affair",
          r"\bmisaki\b[^.]*\b(had|has|having|hid|hides)\b[^.]*\baffairs?\b"
          r"|\bmisaki'?s (affair|lover)\b|\bmarried man\b", None, False,
          "Misaki once had an affair with a married man who died in a crash.",
          "No source says Misaki had an affair; that story is made up.",
          "Misaki's trauma is her mother's death in a landslide."),
    Claim("driver-language",
          r"\b(driver|chauffeur|drive himself)\b[^.]*\blanguage\b"
          r"|\blanguage\b[^.]*\b(driver|chauffeur)\b", None, False,
          "Kafuku needs a driver because of his limited language skills.",
          "The driver has nothing to do with language.",
          "The chauffeur is a festival rule after an earlier guest's accident."),
    Claim("oto-cancer", r"\bcancer\b", STORY, False,
          "Oto dies of cancer.",
          "In Murakami's short story the wife dies of cancer.",
          "In the film Oto dies of a brain haemorrhage; cancer is the short story."),
    Claim("misaki-age",
          r"\b(misaki|she|the driver)\b[^.]*\b(is|was|aged|turns)\s+\**(20|24|twenty|twenty-four)\b"
          r"|\b(20|24|twenty|twenty-four)[- ]years?[- ]old\b", STORY, False,
          "Misaki is 24 years old.",
          "Misaki is 24 in the short story, but 23 in the film.",
          "Misaki is 23 in the film."),
    Claim("palme-dor",
          r"\b(won|wins|win|winning|took|takes|awarded|received)\b[^.]*\bpalme d.or\b"
          r"|\bpalme d.or[- ]winn(er|ing)\b|\b(won|wins|took|takes)\b[^.]*\btop prize\b", None, False,
          "Drive My Car won the Palme d'Or at Cannes.",
          "It did not win the Palme d'Or, which went to Titane.",
          "It won Best Screenplay at Cannes; Titane won the Palme d'Or."),
    Claim("oscar-best-picture",
          r"\b(won|wins|win|winning|took|takes|awarded|received)\b[^.]*\bbest picture\b"
          r"|\bbest picture (winner|win)\b",
          r"\b(critics|national society|nsfc|japan academy)\b", False,
          "It won Best Picture at the Oscars.",
          "It did not win Best Picture at the Oscars.",
          "Best Picture was a nomination; it won Best International Feature."),
    Claim("first-japanese-oscar",
          r"\bfirst japanese (film|movie|picture|entry)\b[^.]*\b(win|won|wins|winner)\b"
          r"[^.]*\b(oscar|academy award|international feature|foreign)"
          r"|\b(oscar|international feature)\b[^.]*\bfirst japanese (film|movie)\b[^.]*\b(win|won)\b",
          None, False,
          "It was the first Japanese film to win the Oscar for Best International Feature.",
          "It was not the first Japanese film to win the international Oscar.",
          "It was the second Japanese winner, after Departures."),
    Claim("ending-in-japan",
          r"\b(epilogue|ending|final scene|last scene|closing scene|final shot)\b[^.]*"
          r"\b(in|to)\s+(japan|hiroshima|tokyo|hokkaido)\b", None, False,
          "The epilogue takes place in Japan.",
          "The epilogue is not in Japan; it is set in South Korea.",
          "The epilogue is set in South Korea."),
    Claim("yellow-car", r"\byellow\b", STORY, False,
          "Kafuku drives a yellow Saab in the film.",
          "The yellow convertible is from Murakami's story; the film's Saab is red.",
          "The film's Saab is red; the yellow convertible is the short story's."),
    Claim("kafuku-recorded-tapes",
          r"\b(kafuku|yusuke|yūsuke|he|husband)\s+(recorded|records|recording|made the (tapes|recordings))\b",
          None, False,
          "Kafuku recorded the play on tape for his wife.",
          "It is wrong to say he recorded the tapes for Oto.",
          "Oto recorded the other parts for him."),
    Claim("based-on-novel", r"\bnovel\b", r"\bshort story\b", False,
          "The film is based on Murakami's novel.",
          "It is adapted from a short story, not a novel.",
          "The source is a short story of about 40 pages."),
    Claim("sachi", r"\bsachi\b", None, True,
          "Her mother had a second personality called Sachi.",
          "Recaps mention a second personality for her mother that we could not verify.",
          "UNVERIFIED on the fact sheet; the pack must not even name it."),
    Claim("busan-epilogue",
          r"\bbusan\b[^.]*\b(epilogue|ending|final scene|last scene|supermarket|final shot)\b"
          r"|\b(epilogue|ending|final scene|last scene|supermarket|final shot)\b[^.]*\bbusan\b",
          None, False,
          "In the epilogue, Misaki shops at a supermarket in Busan.",
          "The epilogue's city is not confirmed, and Busan is only a guess.",
          "The epilogue city is UNVERIFIED; Busan was the pre-COVID production plan."),
    Claim("mother-sex-worker", r"\bsex[- ]work(er|ers|ing)?\b|\bprostitut\w*|\bescort\b", None, False,
          "Misaki's mother was a sex worker.",
          "Her mother's job is unverified, and we do not repeat what recaps say about it.",
          "The mother's occupation is UNVERIFIED."),
    Claim("victim-photographing", r"\bphotograph\w*|\bpaparazz\w*", None, False,
          "The man Takatsuki killed had been secretly photographing him.",
          "Some recaps say the victim was photographing him, but that is unverified.",
          "That the victim photographed Takatsuki is UNVERIFIED."),
    Claim("two-day-deadline", r"\b(two|2)[- ]days?\b|\b48 hours\b", None, False,
          "The festival gives Kafuku two days to decide.",
          "We could not confirm a two-day deadline.",
          "The deadline length is UNVERIFIED."),
    Claim("mechanic", r"\bmechanic\b", STORY, False,
          "A mechanic recommends Misaki to Kafuku.",
          "The mechanic comes from Murakami's short story.",
          "In the film the festival assigns Misaki."),
    Claim("misaki-introduces-takatsuki", r"\bmisaki\b[^.]*\bintroduc\w*\b[^.]*\btakatsuki\b", None, False,
          "Misaki introduces Kafuku to Takatsuki.",
          "Misaki did not introduce Kafuku to Takatsuki.",
          "Oto introduced them in Tokyo."),
    Claim("runtime-189", r"\b189\b", None, False,
          "The film runs 189 minutes.",
          "A figure of 189 minutes is an error.",
          "The runtime is 179 minutes."),
    Claim("murakami-nobel",
          r"\bmurakami\b[^.]*\b(won|wins|winner|laureate|received)\b[^.]*\bnobel\b"
          r"|\bnobel (laureate|winner|prize winner)\b", r"\bhopeful\b", False,
          "Murakami won the Nobel Prize in 2013.",
          "Murakami has not won the Nobel Prize.",
          "Murakami is a perennial Nobel hopeful, not a laureate."),
    Claim("oto-disappears", r"\boto\b[^.]*\bdisappear\w*", None, False,
          "Oto disappears one day.",
          "Oto does not disappear; she dies suddenly.",
          "'Disappears' is a mistranslated synopsis."),
    Claim("gave-car-as-fact",
          r"\b(kafuku|yusuke|he)\s+(gave|gives|has given|handed|hands|left|leaves)\s+(her|misaki)\s+"
          r"(his|the)\s+(saab|car)\b",
          r"\b(reading|interpret\w*|perhaps|maybe|might|may|suggest\w*|some|viewers|critics|"
          r"theor\w*|possib\w*|if)\b", False,
          "Kafuku gave Misaki his Saab before she left for Korea.",
          "One reading is that Kafuku gave Misaki his Saab.",
          "The film never says how she has the car; that is interpretation.", labels_ok=True),
    Claim("hamaguchi-explained-ending",
          r"\b(hamaguchi|the director)\b[^.]*\b(explain\w*|reveal\w*|confirm\w*|said|says)\b"
          r"[^.]*\b(korea|whose car|the saab|moved on)\b", None, False,
          "Hamaguchi explained that Misaki moved to Korea to start over.",
          "Hamaguchi has not explained the Korea scene.",
          "No primary source has him explain the Korea scene."),
    Claim("kirishima-plays-driver",
          r"\bkirishima\b[^.]*\b(plays|played|as)\b[^.]*\b(driver|misaki|chauffeur)\b", None, False,
          "Reika Kirishima plays the driver.",
          "Reika Kirishima plays Oto, not the driver.",
          "Kirishima plays Oto; Toko Miura plays Misaki."),
    Claim("dui-in-film", r"\b(dui|dwi|drink[- ]driving|drunk[- ]driving)\b", STORY, False,
          "Kafuku lost his licence after a DUI, so the festival gave him a driver.",
          "The drink-driving incident is from Murakami's short story.",
          "In the film the driver is a festival rule."),
    Claim("janice-yelena", r"\byelena\b", None, False,
          "Janice plays Yelena in the production.",
          "Janice's role in the play is unverified, so we do not say she plays Yelena.",
          "Janice's role in the play is UNVERIFIED."),
    Claim("car-colour-reason",
          r"\b(changed|switched|made)\b[^.]*\b(red|colou?r|convertible)\b[^.]*\bbecause\b", None, False,
          "The car was changed to red because a yellow convertible was too hard to find.",
          "It is unconfirmed whether the colour was changed because no convertible was found.",
          "Why the car changed is UNVERIFIED."),
    Claim("oto-story-details", r"\b(surveillance|security|cctv) camera\b|\bballpoint\b|\bwith a pen\b",
          None, False,
          "The girl stabs the intruder with a pen and a surveillance camera records it.",
          "We do not repeat details such as a surveillance camera, which accounts do not agree on.",
          "The finer details of the story's ending are medium/low confidence."),
]


def sentences(text: str) -> list[str]:
    """Markdown text → plain sentences (lines and full stops split; emphasis dropped)."""
    text = re.sub(r"[*_`]+", "", text)
    out = []
    for line in text.splitlines():
        line = line.strip().lstrip("-").strip()
        out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if s.strip())
    return out


def violations(text: str, claim: Claim) -> list[str]:
    bad = []
    for sentence in sentences(text):
        if sentence.endswith("?"):  # a question asks; it does not assert
            continue
        if not re.search(claim.pattern, sentence, re.I):
            continue
        if claim.exempt and re.search(claim.exempt, sentence, re.I):
            continue
        if not claim.strict and NEGATION.search(sentence):
            continue
        bad.append(sentence)
    return bad


def checked_texts(claim: Claim) -> list[tuple[str, str]]:
    texts = []
    for stem, entry in ENTRIES.items():
        texts.append((f"{stem} (title)", entry["title"]))
        texts.append((f"{stem} (answer)", entry["answer"]))
    for item in INTERPRETATIONS:
        if not claim.labels_ok:
            texts.append((f"interpretation {item['id']} (label)", item["label"]))
        texts.append((f"interpretation {item['id']} (summary)", item["summary"]))
    return texts


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.name for c in CLAIMS])
def test_claim_check_flags_bad_and_passes_good(claim: Claim) -> None:
    assert violations(claim.bad, claim), f"{claim.name} should flag: {claim.bad}"
    assert not violations(claim.good, claim), f"{claim.name} should accept: {claim.good}"


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.name for c in CLAIMS])
def test_pack_states_no_forbidden_claim(claim: Claim) -> None:
    found = [
        f"{where}: {sentence}"
        for where, text in checked_texts(claim)
        for sentence in violations(text, claim)
    ]
    assert not found, f"{claim.name} ({claim.why}):\n" + "\n".join(found)


def test_sentence_splitter() -> None:
    assert sentences("**No.** They embrace.\n- a *list* item. Two") == [
        "No.", "They embrace.", "a list item.", "Two"]


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
    "brand-site-one37pm-production.us-east-1.k8s.gallerymediagroup.net", "kultura.onet.pl",
    "glasove.com", "japantoday.com", "eponymistuk.blogspot.com", "siff.kr", "cohost.org",
    "infochretienne.com", "woman.excite.co.jp", "thestar.com.my", "subslikescript.com",
    "nowinfullcolor.com", "filmfestival.gr", "afa-academy.com", "carcle.work",
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
