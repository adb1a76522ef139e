"""Wrong claims the Drive My Car pack must never make, and the checker that finds them.

Shared by ``test_pack_claims.py``. A rule is a regular expression for one wrong claim
(from ``shared/film-facts.md``: the misconceptions of section 5, the UNVERIFIED list of
section 6, what the film does not say in section 7), with sentences it must flag and
sentences it must accept.

How a sentence is judged:

- Text is cut into sentences, and each sentence into clauses (at ``;``, ``:``, dashes and
  contrasting conjunctions: ", but", "though", "unlike", ...). A rule matches inside one
  clause, and only that clause can excuse it: in "They share a passionate kiss, but only
  briefly." the "but" no longer excuses the kiss.
- A negation excuses a match only when it comes before the end of the match, in the same
  clause ("there is no kiss"; not "they kiss, which is not in the story"). Rules whose
  wording contains a negation ("because he can't speak Korean") need it before the match.
- Words that call the claim wrong or unconfirmed ("is an error", "made up",
  "unverified") excuse it anywhere in its clause.
- ``exempt`` names the context in which the claim is true (e.g. Murakami's short story).
- A reading stated as fact is excused by a hedge ("one reading", "perhaps", "viewers",
  "whether") anywhere in its sentence; poll labels are readings by definition.
- Questions: a yes/no question asks, it does not assert; a wh-question presupposes its
  claim ("why do they kiss?"), so it is checked like a statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

STORY = r"\b(short story|murakami\W?s (short )?story|murakami\W?s version|the book)\b"
HEDGE = re.compile(
    r"\b(readings?|interpret\w*|perhaps|maybe|might|may|possibl\w*|suggest\w*|hint\w*|some|"
    r"many|viewers?|fans?|critics?|theor\w*|if|whether|guess\w*|speculat\w*|imagine\w*|"
    r"think|thinks|believe\w*|wonder\w*|one view)\b",
    re.I,
)
# Grammatical negation: must come before the end of the claim to negate it.
NEGATION = re.compile(
    r"\b(no|not|never|nothing|none|neither|nor|without|cannot|nobody|no one|"
    r"rather than|instead of|isnt|arent|wasnt|werent|dont|doesnt|didnt|cant|wont|couldnt|"
    r"wouldnt|shouldnt|hasnt|havent)\b|\w+n['’]t\b",
    re.I,
)
# Words that call a claim wrong or unconfirmed, wherever they stand in its clause.
MARKERS = re.compile(
    r"\b(wrong\w*|mistak\w*|misconceptions?|myths?|false\w*|errors?|erroneous|made up|"
    r"invented|rumou?r\w*|unverified|unconfirmed|untrue|unsupported|unfounded|"
    r"could not (be )?(confirm|verif)\w*|couldn['’]t (confirm|verif)\w*)\b",
    re.I,
)
BOUNDARY = re.compile(
    r"\s*(?:[;:—–]|\s-\s|,\s*(?:but|and|so|yet|while|whereas|though|although|unlike|"
    r"however|instead)\b|\b(?:but|however|though|although|whereas|unlike)\b)\s*",
    re.I,
)
WH = re.compile(r"^\W*((so|ok|okay|wait|but|and)\W+)*(why|how|what|when|where|who|whom|which|"
                r"whose)\b", re.I)


class Claim(NamedTuple):
    name: str
    pattern: str  # the wrong claim, matched case-insensitively within one clause
    why: str  # what the fact sheet says instead
    bad: tuple[str, ...]  # sentences the rule must flag
    good: tuple[str, ...]  # corrected, negated or hedged sentences it must accept
    exempt: str | None = None  # context in the same clause that makes the claim true
    negatable: bool = True  # False: the words must never appear (UNVERIFIED names)
    inner_negation: bool = True  # False: a negation inside the match is part of the claim
    reading: bool = False  # a reading stated as fact: hedges excuse it; poll labels are exempt
    keyword: bool = False  # fires on one word: a bare search term ("kiss") asserts nothing


CLAIMS: tuple[Claim, ...] = (
    Claim("kiss", r"\bkiss(es|ed|ing)?\b",
          "They embrace; nothing romantic passes between them (fact 58, misconception 3).",
          ("At the ruins they share a passionate kiss.",
           "They share a passionate kiss, but only briefly.",
           "They kiss, though not passionately."),
          ("They embrace; there is no kiss.", "No source describes a kiss.",
           "The passionate kiss in one ending article is an error."), keyword=True),
    Claim("make-out", r"\b(they|kafuku and misaki|misaki and kafuku|the two|the pair)\s+(\w+\s+)?"
          r"(make|made|makes|making)\s+out\b|\b(they|the two|kafuku and misaki)\s+(\w+\s+)?"
          r"(hook|hooked|hooks)\s+up\b|\b(they|the two|kafuku and misaki)\s+(\w+\s+)?"
          r"(sleep|slept)\s+together\b",
          "Nothing romantic or sexual passes between Kafuku and Misaki (fact 58).",
          ("They make out at the end.", "At the ruins the two hook up."),
          ("They never make out.", "It is not true that they make out.")),
    Claim("couple", r"\b(kafuku and misaki|misaki and kafuku|kafuku|misaki)\b[^.]*"
          r"\b(are|become|became|end up|ends up|ended up|is|was|fall|falls|fell)\b[^.]*"
          r"\b(a couple(?! of)|lovers|in love|romantically involved)\b"
          r"|\ba couple at the end\b",
          "No romance is shown; Kafuku is absent from the epilogue (facts 58, 60).",
          ("By the end Kafuku and Misaki are lovers.",
           "Kafuku and Misaki end up a couple at the end.", "Kafuku falls in love with Misaki."),
          ("Kafuku and Misaki are not a couple; no romance is shown.",
           "Misaki is never shown in love with Kafuku.")),
    Claim("misaki-affair", r"\bmisaki\b[^.]*\b(had|has|having|hid|hides|was having)\b[^.]*"
          r"\baffairs?\b|\bmisaki\W?s (affair|lover|boyfriend)\b|\baffair with a married\b",
          "No source mentions any affair for Misaki; her secret is her mother's death (fact 55).",
          ("Misaki once had an affair with a married man who died in a crash.",
           "Misaki had an affair with a married colleague.",
           "She hid an affair with a married colleague."),
          ("No source says Misaki had an affair; that story is made up.",
           "Misaki never had an affair with a married colleague.")),
    Claim("crash-death", r"\b(mother|mom|mum|lover|boyfriend|married man|wife|oto)\b[^.]*"
          r"\b(died|dies|killed|death)\b[^.]*\b(car crash|car accident|crash|traffic accident)\b"
          r"|\b(car crash|car accident|crash)\b[^.]*\b(killed|took the life of)\b[^.]*"
          r"\b(mother|mom|mum|lover|boyfriend|married man|wife)\b"
          r"|\bscar\b[^.]*\b(from|in|after|comes from)\b[^.]*\b(car crash|car accident|crash)\b",
          "Misaki's mother died in a landslide; no lover exists (facts 55, 56).",
          ("Her mother died in a car crash.", "Misaki's lover was killed in a car crash.",
           "Her scar comes from the car crash that killed her boyfriend."),
          ("Her mother died in a landslide, not a car crash.",
           "Her scar is not from a car crash.")),
    Claim("driver-language", r"\b(driver|chauffeur|drive himself|driven)\b[^.]*\blanguages?\b"
          r"|\blanguages?\b[^.]*\b(driver|chauffeur)\b",
          "The chauffeur is a festival rule after an earlier guest's accident (fact 44).",
          ("Kafuku needs a driver because of his limited language skills.",),
          ("The driver has nothing to do with language.",)),
    Claim("driver-cant-speak", r"\b(because|since|as|bc|so)\b[^.]*\b(he|kafuku|yusuke)\s+"
          r"(can\W?t|cannot|could\W?n\W?t|could not|does\W?n\W?t|does not|did\W?n\W?t|"
          r"doesnt|cant|didnt)\s+(speak|understand|read)\b",
          "The chauffeur is a festival rule, not a language problem (fact 44, misconception 1).",
          ("The festival gives him a driver because he can't speak Korean.",
           "He needs a chauffeur since Kafuku doesn't speak the language."),
          ("It is not because he can't speak Korean: the festival has a rule.",),
          inner_negation=False),
    Claim("oto-cancer", r"\bcancer\b",
          "Oto dies of a brain haemorrhage; cancer is the short story (fact 41, misconception 8).",
          ("Oto dies of cancer.", "Oto dies of cancer, unlike in Murakami's short story."),
          ("In Murakami's short story the wife dies of cancer.", "Oto does not die of cancer."),
          exempt=STORY, keyword=True),
    Claim("oto-disappears", r"\boto\b[^.]*\bdisappear\w*",
          "Oto dies suddenly; 'disappears' is a mistranslated synopsis (misconception 8).",
          ("Oto disappears one day.",),
          ("Oto does not disappear; she dies suddenly.",)),
    Claim("misaki-age",
          r"\b(misaki|she|the driver)\b[^.]*\b(is|was|aged|turns)\s+\**(20|24|twenty|twenty-four)\b"
          r"|\b(20|24|twenty|twenty-four)[- ]years?[- ]old\b",
          "Misaki is 23 in the film; 24 in the short story (fact 27, misconception 6).",
          ("Misaki is 24 years old.", "She is 20."),
          ("Misaki is 24 in Murakami's short story, but 23 in the film.",), exempt=STORY),
    Claim("palme-dor",
          r"\b(won|wins|win|winning|took|takes|awarded|received)\b[^.]*\bpalme d.or\b"
          r"|\bpalme d.or[- ]winn(er|ing)\b|\b(won|wins|took|takes)\b[^.]*\btop prize\b",
          "It won Best Screenplay at Cannes; Titane won the Palme d'Or (fact 16).",
          ("Drive My Car won the Palme d'Or at Cannes.",),
          ("It did not win the Palme d'Or, which went to Titane.",)),
    Claim("oscar-best-picture",
          r"\b(won|wins|win|winning|took|takes|awarded|received)\b[^.]*\bbest picture\b"
          r"|\bbest picture (winner|win)\b",
          "Best Picture was a nomination; it won International Feature (fact 20).",
          ("It won Best Picture at the Oscars.",),
          ("It did not win Best Picture at the Oscars.",),
          exempt=r"\b(critics|national society|nsfc|japan academy)\b"),
    Claim("first-japanese-oscar",
          r"\bfirst japanese (film|movie|picture|entry)\b[^.]*\b(win|won|wins|winner)\b"
          r"[^.]*\b(oscar|academy award|international feature|foreign)"
          r"|\b(oscar|international feature)\b[^.]*\bfirst japanese (film|movie)\b[^.]*"
          r"\b(win|won)\b",
          "It was the second Japanese winner, after Departures (fact 21).",
          ("It was the first Japanese film to win the Oscar for Best International Feature.",),
          ("It was not the first Japanese film to win the international Oscar.",)),
    Claim("ending-in-japan",
          r"\b(epilogue|ending|final scene|last scene|closing scene|final shot|at the end)\b[^.]*"
          r"\b(in|to|back in|back to|returns? to|returned to)\s+(japan|hiroshima|tokyo|hokkaido)\b"
          r"|\b(she|misaki)\b[^.]*\b(is|was|ends up|goes|went|returns?|returned|comes|came|"
          r"moves?|moved)\s+(back\s+)?(to|in)\s+(japan|hiroshima|tokyo|hokkaido)\b[^.]*"
          r"\b(end|epilogue|final scene|last scene)\b",
          "The epilogue is set in South Korea (facts 4, 60; misconception 17).",
          ("The epilogue takes place in Japan.", "Misaki is back in Hiroshima at the end.",
           "At the end she returns to Hokkaido."),
          ("The epilogue is not in Japan; it is set in South Korea.",
           "Misaki is not back in Hiroshima at the end.")),
    Claim("epilogue-city",
          r"\b(busan|seoul|incheon|daegu)\b[^.]*\b(epilogue|ending|final scene|last scene|"
          r"supermarket|final shot|at the end)\b|\b(epilogue|ending|final scene|last scene|"
          r"supermarket|final shot|at the end)\b[^.]*\b(busan|seoul|incheon|daegu)\b",
          "The epilogue's city is UNVERIFIED (fact 61).",
          ("In the epilogue, Misaki shops at a supermarket in Busan.",
           "The ending is set in Seoul."),
          ("Nothing shows that the supermarket is in Busan.",
           "The epilogue is in Korea; Busan was the pre-COVID production plan.")),
    Claim("yellow-car", r"\byellow\b",
          "The film's Saab is red; the yellow convertible is the short story's (facts 62, 64).",
          ("Kafuku drives a yellow Saab in the film.",),
          ("The yellow convertible is from Murakami's story; the film's Saab is red.",
           "It is not yellow."), exempt=STORY + r"|\bmurakami\W?s story\b", keyword=True),
    Claim("car-colour-rumour",
          r"\b(no|couldn\W?t|could not|unable to|failed to|hard to|impossible to)\b[^.]*"
          r"\b(find|found|source|get)\b[^.]*\b(yellow|convertible)\b"
          r"|\b(yellow|convertible)\b[^.]*\b(could\W?n\W?t|could not|can\W?t) be found\b"
          r"|\b(yellow|convertible)\b[^.]*\b(too hard|impossible|hard) to (find|get)\b",
          "The 'no yellow convertible could be found' rumour has no support (fact 65).",
          ("The car is red because a yellow convertible was too hard to find.",
           "They could not find a good yellow convertible, so the car is red."),
          ("A blog rumour that no good yellow convertible could be found has no support.",),
          exempt=r"\b(rumou?r\w*|no support|unsupported|unfounded|groundless)\b",
          inner_negation=False),
    Claim("kafuku-recorded-tapes",
          r"\b(kafuku|yusuke|yūsuke|husband)\b[^.]*\b(recorded|records|record|recording)\b"
          r"[^.]*\b(for (oto|her|his wife)|tapes?|cassettes?)\b",
          "Oto recorded the other parts for him (fact 37, misconception 9).",
          ("Kafuku recorded the play on tape for his wife.",),
          ("Kafuku did not record the tapes for her.",)),
    Claim("based-on-novel", r"\bnovel\b",
          "The source is a short story of about 40 pages (fact 2, misconception 10).",
          ("The film is based on Murakami's novel.",),
          ("It is adapted from a short story, not a novel.",),
          exempt=r"\bshort story\b", keyword=True),
    Claim("sachi", r"\bsachi\b|\bsaki\b",
          "The second personality's name is UNVERIFIED (fact 54): the pack must not name it.",
          ("Her mother had a second personality called Sachi.",
           "We are not sure whether she was called Saki."),
          ("Her mother had a second, childlike personality; we do not name it.",),
          negatable=False),
    Claim("mother-job",
          r"\bsex[- ]work\w*|\bprostitut\w*|\bescort\b|\b(mother|mom|mum)\W?s?\b[^.]*"
          r"\b(job|occupation|profession|worked as|works as|worked at|worked in|for a living)\b",
          "The mother's occupation is UNVERIFIED (fact 53).",
          ("Misaki's mother was a sex worker.", "Her mother worked as a bar hostess."),
          ("What her mother did for a living is unverified.",)),
    Claim("victim-photographing",
          r"\bphotograph\w*|\bpaparazz\w*|\btaking (photos|pictures) of (him|takatsuki)\b",
          "That the victim photographed Takatsuki is UNVERIFIED (fact 49).",
          ("The man Takatsuki killed had been secretly photographing him.",
           "The man Takatsuki assaulted was a photographer."),
          ("That the victim had been photographing him is unverified.",)),
    Claim("mechanic", r"\bmechanic\b",
          "In the film the festival assigns Misaki (fact 44, misconception 7).",
          ("A mechanic recommends Misaki to Kafuku.",),
          ("The mechanic comes from Murakami's short story.",), exempt=STORY, keyword=True),
    Claim("mechanic-logline",
          r"\b(imdb|logline)\b[^.]*\bmechanic\b|\bmechanic\b[^.]*\b(imdb|logline)\b",
          "No source on the sheet ties the mechanic to an IMDb logline (issue 15).",
          ("The mechanic comes from Murakami's story and an old IMDb-style logline.",),
          ("No source ties the mechanic to an IMDb logline.",)),
    Claim("misaki-introduces-takatsuki", r"\bmisaki\b[^.]*\bintroduc\w*\b[^.]*\btakatsuki\b",
          "Oto introduced them in Tokyo (misconception 15).",
          ("Misaki introduces Kafuku to Takatsuki.",),
          ("Misaki did not introduce Kafuku to Takatsuki.",)),
    Claim("runtime-189", r"\b189\b", "The runtime is 179 minutes (fact 7).",
          ("The film runs 189 minutes.",), ("A figure of 189 minutes is an error.",),
          keyword=True),
    Claim("murakami-nobel",
          r"\bmurakami\b[^.]*\b(won|wins|winner|laureate|received)\b[^.]*\bnobel\b"
          r"|\bnobel (laureate|winner|prize winner)\b",
          "Murakami is a perennial Nobel hopeful (misconception 18).",
          ("Murakami won the Nobel Prize in 2013.",),
          ("Murakami has not won the Nobel Prize.",), exempt=r"\bhopeful\b"),
    Claim("kirishima-plays-driver",
          r"\bkirishima\b[^.]*\b(plays|played|as)\b[^.]*\b(driver|misaki|chauffeur)\b",
          "Kirishima plays Oto; Tōko Miura plays Misaki (facts 26, 27).",
          ("Reika Kirishima plays the driver.",),
          ("Reika Kirishima plays Oto, not the driver.",)),
    Claim("dui-in-film", r"\b(dui|dwi|drink[- ]driving|drunk[- ]driving)\b",
          "In the film the driver is a festival rule; the DUI is the short story (fact 67).",
          ("Kafuku lost his licence after a DUI, so the festival gave him a driver.",),
          ("The drink-driving incident is from Murakami's short story.",),
          exempt=STORY, keyword=True),
    Claim("janice-yelena", r"\byelena\b", "Janice's role in the play is UNVERIFIED (fact 31).",
          ("Janice plays Yelena in the production.",),
          ("We could not confirm that Janice plays Yelena.",)),
    Claim("perry-dizon-role",
          r"\b(dizon|perry)\b[^.]*\b(plays|played|as|role|cast as)\b[^.]*\b(professor|"
          r"serebryakov|astrov|telegin|waffles|marina|yelena|vanya|sonya)\b",
          "Perry Dizon's role in the play is UNVERIFIED (fact 34).",
          ("Perry Dizon plays the Professor, Serebryakov.", "Perry Dizon plays Serebryakov."),
          ("We could not confirm that Perry Dizon plays the Professor.",)),
    Claim("cannes-date",
          r"\b(premiere\w*|screen(ed|ing|ings)?|debut\w*|shown)\b[^.]*"
          r"\b(\d{1,2}(st|nd|rd|th)?\s+july|july\s+\d{1,2}(st|nd|rd|th)?)\b",
          "The exact date of the Cannes premiere is UNVERIFIED (fact 13).",
          ("It premiered at Cannes on 11 July 2021.", "The Cannes premiere was July 11."),
          ("It premiered at Cannes in July 2021; the exact date is unconfirmed.",
           "A photocall is reported for 12 July, but the premiere date is unconfirmed.")),
    Claim("final-act-leaves-theatre",
          r"\b(final|last|third|closing) (act|part|stretch)\b[^.]*\b(leaves?|left|abandons?|"
          r"abandoned|drops?|dropped|forgets?|forgot|moves? away|moved away|shifts?( its)?"
          r"( focus)? away|turns? away|walks? away|steps? away)\b"
          r"|\b(leaves?|abandons?|drops?|forgets?|moves? away from|shifts? (its )?focus away from|"
          r"turns? away from)\b[^.]*\b(theat(re|er)|the play|the production|the stage)\b[^.]*"
          r"\b(final|last|third) act\b",
          "The climax is the performance; only the epilogue follows it (fact 59, row 6).",
          ("The final act leaves the theatre behind for a road trip.",
           "The last act shifts its focus away from the theater production.",
           "In the final act the film abandons the play."),
          ("The final act does not leave the theatre behind: the climax is the performance.",
           "The last act never drops the play.")),
    Claim("drives-off-alone",
          r"\b(drives?|drove|driving|heads?|headed)\s+(off\s+|away\s+)?alone\b"
          r"|\balone\b[^.]*\binto the distance\b",
          "A dog rides with her (fact 60, row 4).",
          ("Misaki drives off alone into the distance.",
           "In the final shot she drives away alone."),
          ("She does not drive off alone: a dog rides with her.",)),
    Claim("oto-story-details",
          r"\b(surveillance|security|cctv) camera\b|\bballpoint\b|\bwith a pen\b",
          "The finer details of the story's ending are medium/low confidence (fact 48).",
          ("The girl stabs the intruder with a pen and a surveillance camera records it.",),
          ("We do not repeat details such as a surveillance camera, which accounts dispute.",)),
    Claim("takatsuki-fate",
          r"\btakatsuki\b[^.]*\b(convicted|sentenced|jailed|imprisoned|goes to prison|go to prison|"
          r"went to prison|found guilty|acquitted|released)\b",
          "No charge, trial or sentence is described (fact 49, section 7.6).",
          ("Takatsuki is convicted and sentenced to prison.",),
          ("The film does not show whether Takatsuki is convicted.",)),
    Claim("kafuku-dies", r"\b(kafuku|yusuke|yūsuke)\s+(dies|died|is dead|has died|dead)\b",
          "Kafuku is simply not shown in the epilogue (fact 60).",
          ("Kafuku dies before the epilogue.",), ("Nothing suggests Kafuku has died.",)),
    # ---- readings stated as fact (section 3, section 7)
    Claim("gave-car",
          r"\b(kafuku|yusuke|he)\s+(gave|give|gives|has given|had given|handed|hands|hand|left|"
          r"leaves|lent|lend|lends|loaned|loans|passed|passes|sold|sells|gifted)\s+(her|misaki)\s+"
          r"(his|the)\s+(red\s+)?(saab|car)\b"
          r"|\b(his|kafuku\W?s)\s+(saab|car)\b[^.]*\b(gift|given|lent|loaned|handed)\s+to\s+(her|misaki)\b",
          "The film never says how she has the car (section 7.3, interpretation 2).",
          ("Kafuku gave Misaki his Saab before she left for Korea.", "Kafuku lent her the Saab.",
           "He lent her the car."),
          ("One reading is that Kafuku gave Misaki his Saab.",
           "The film never says he gave her the car."), reading=True),
    Claim("same-saab",
          r"\b(the|his|kafuku\W?s)(\s+red)?\s+saab\b[^.]*\b(korea|epilogue|at the end|final scene|"
          r"last scene|supermarket)\b|\b(korea|epilogue|final scene|last scene|at the end|"
          r"supermarket)\b[^.]*\b(the|his|kafuku\W?s)(\s+red)?\s+saab\b",
          "It is a red Saab like Kafuku's; whether it is his the film does not say (fact 60, 7.3).",
          ("In the epilogue she drives off in the red Saab.",
           "In Korea, Misaki drives Kafuku's Saab.",
           "She takes the shopping from the Korean supermarket out to the red Saab."),
          ("In the epilogue she drives a red Saab like Kafuku's.",
           "Whether she drives the same Saab in Korea, the film does not say."), reading=True),
    Claim("lives-with-couple",
          r"\b(she|misaki)\b[^.]*\b(lives|live|is living|now lives|moved in|has moved in|works|"
          r"is working|stays|is staying)\s+(with|for)\s+(the\s+)?(korean\s+)?(couple|yoon)",
          "A reading (interpretation 4); the film shows only Misaki and a dog (fact 60).",
          ("Misaki now lives with Yoon-su and Yoon-a in Korea.", "She works for the Korean couple.",
           "She lives with Yoon-su and Yoon-a."),
          ("Many viewers think she lives or works with the couple.",), reading=True),
    Claim("lives-in-korea",
          r"\b(she|misaki)\b[^.]*\b(lives|is living|now lives|has moved|moved|settled|has settled|"
          r"emigrated|relocated)\b[^.]*\b(korea|abroad|seoul|busan)\b"
          r"|\bsettled in (a new country|korea)\b"
          r"|\b(running|runs|leads|leading) her own (everyday )?life abroad\b",
          "The film shows her shopping and driving in Korea, not that she lives there (7.2).",
          ("She is running her own everyday life abroad.", "Misaki has settled in a new country.",
           "Misaki now lives in Korea."),
          ("The film does not show whether Misaki lives in Korea.",
           "Whether she has moved to Korea, the film does not say."), reading=True),
    Claim("hamaguchi-explained",
          r"\b(hamaguchi|the director)\b[^.]*\b(explain\w*|reveal\w*|confirm\w*|said|says|"
          r"has said|stated|told)\b[^.]*\b(korea|whose car|the saab|moved on|new life|starts? "
          r"(a )?new life|starts? over|fresh start|together|happy|at peace)\b",
          "No primary source has him explain the Korea scene (section 3).",
          ("Hamaguchi explained that Misaki moved to Korea to start over.",
           "Hamaguchi said Misaki starts a new life in Korea."),
          ("Hamaguchi has not explained the Korea scene.",
           "No primary source has Hamaguchi saying she starts a new life.")),
    Claim("misaki-happy",
          r"\b(misaki|she)\s+(is|was|looks|seems|feels)\s+(finally\s+)?(happy|at peace|content|"
          r"healed)\b",
          "Whether Misaki is happy the film does not say (section 7.1).",
          ("At the end Misaki is finally happy.", "She is at peace in Korea."),
          ("Whether she is happy at the end, the film does not say.",), reading=True),
    Claim("dog-same",
          r"\b(the|a|that)\s+dog\b[^.]*\b(is|was)\s+(yoon-?su and yoon-?a\W?s|the couple\W?s|their|"
          r"the yoons\W?)\s+(own\s+)?dog\b|\b(their|the couple\W?s|yoon-?su\W?s|yoon-?a\W?s)\s+"
          r"(own\s+)?dog\b[^.]*\b(rides|sits|is in the car|in the saab|with misaki|with her)\b",
          "Whether it is the couple's dog is not established (fact 78, section 7.4).",
          ("The dog in the car is Yoon-su and Yoon-a's dog.",
           "Their dog rides with Misaki in the final scene."),
          ("Whether the dog is the couple's own dog, the film does not say.",), reading=True),
    Claim("glaucoma-ended-driving",
          r"\bglaucoma\b[^.]*\b(ended|ends|stopped|stops|stop|forced|forces|cost)\b[^.]*\bdriv\w*"
          r"|\b(kafuku|he)\b[^.]*\b(can no longer|could no longer|is no longer allowed to|gave up|"
          r"has given up|stopped)\s+driv\w*[^.]*\bglaucoma\b",
          "Linking the car to his glaucoma is a reading (section 7.3).",
          ("His glaucoma ended his driving, so Misaki has the car.",
           "Kafuku can no longer drive because of his glaucoma."),
          ("The film never says his glaucoma ended his driving.",), reading=True,
          inner_negation=False),
    Claim("oto-affair-reason",
          r"\boto\b[^.]*\b(affairs?|cheat\w*|slept with|sleeps with|unfaithful)\b[^.]*\bbecause\b",
          "Why Oto had affairs the film never explains (section 7.5).",
          ("Oto had affairs because she was lonely after their daughter died.",),
          ("It is never explained whether Oto had affairs because of grief.",), reading=True),
    Claim("forgives",
          r"\b(kafuku|yusuke|he)\s+(finally\s+)?(forgives|forgave|has forgiven)\s+"
          r"(oto|her|himself)\b",
          "The film shows what he says in the snow; forgiveness is a reading (fact 58).",
          ("In the snow Kafuku finally forgives Oto.",),
          ("None of our sources says that he forgives her.",), reading=True),
    Claim("why-vanya",
          r"\b(kafuku|he)\b[^.]*\b(plays|agrees to play|decides to play|takes on|takes)\s+"
          r"(the role|vanya|the part)\b[^.]*\bbecause\b",
          "No source quotes his reason; the common reading is not a fact (fact 76, section 7.7).",
          ("Kafuku agrees to play Vanya because the snow confession freed him.",),
          ("The common reading is that he plays Vanya because facing his guilt made it possible.",),
          reading=True),
)


# ---------------------------------------------------------------- the checker


def sentences(text: str) -> list[str]:
    """Markdown text → plain sentences (lines and full stops split; emphasis dropped)."""
    text = re.sub(r"[*_`]+", "", text)
    out = []
    for line in text.splitlines():
        line = line.strip().lstrip("-").strip()
        out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if s.strip())
    return out


def clauses(sentence: str) -> list[str]:
    return [c for c in BOUNDARY.split(sentence) if c and c.strip()]


def is_yes_no(text: str) -> bool:
    """A question that asks whether something is so (it asserts nothing)."""
    t = text.strip()
    if WH.match(t):
        return False
    return t.endswith("?") or bool(re.match(
        r"^\W*(do|does|did|is|are|was|were|has|have|had|can|could|will|would|should|"
        r"isn\W?t|aren\W?t|wasn\W?t|doesn\W?t|didn\W?t|don\W?t)\b", t, re.I)) or bool(
        re.search(r"\b(right|true|or not|or nah|correct)\W*$", t, re.I))


def _excused(clause: str, match: re.Match[str], claim: Claim, sentence: str) -> bool:
    if not claim.negatable:
        return False
    if claim.exempt:
        for ex in re.finditer(claim.exempt, clause, re.I):
            if not re.search(r"\bunlike\s+(in\s+)?$", clause[:ex.start()], re.I):
                return True
    limit = match.end() if claim.inner_negation else match.start()
    if any(n.start() < limit for n in NEGATION.finditer(clause)):
        return True
    if MARKERS.search(clause):
        return True
    return claim.reading and bool(HEDGE.search(sentence))


def judge(text: str, claim: Claim) -> tuple[list[str], list[str]]:
    """(unexcused, excused) sentences of ``text`` that make the claim."""
    bad, excused = [], []
    for sentence in sentences(text):
        if sentence.endswith("?") and is_yes_no(sentence):
            continue
        found = [(clause, m) for clause in clauses(sentence)
                 for m in re.finditer(claim.pattern, clause, re.I)]
        if found:
            ok = all(_excused(clause, m, claim, sentence) for clause, m in found)
            (excused if ok else bad).append(sentence)
    return bad, excused


def violations(text: str, claim: Claim) -> list[str]:
    return judge(text, claim)[0]


def carries(phrase: str, claim: Claim) -> bool:
    """Whether a search phrase (a question, an alias) carries the claim, whatever its form."""
    return any(not _excused(clause, m, claim, phrase)
               for clause in clauses(phrase) for m in re.finditer(claim.pattern, clause, re.I))


def statement_texts(entries: dict, interpretations: list, film: dict, claim: Claim
                    ) -> Iterator[tuple[str, str]]:
    """Every text the pack shows as its own words: titles, answers, readings, source titles."""
    for stem, entry in entries.items():
        yield f"{stem} (title)", entry["title"]
        yield f"{stem} (answer)", entry["answer"]
        for i, source in enumerate(entry["sources"]):
            yield f"{stem} (source {i + 1})", source.get("title") or source.get("scene", "")
    for item in interpretations:
        if not claim.reading:
            yield f"interpretation {item['id']} (label)", item["label"]
        yield f"interpretation {item['id']} (summary)", item["summary"]
        for i, source in enumerate(item["sources"]):
            yield (f"interpretation {item['id']} (source {i + 1})",
                   source.get("title") or source.get("scene", ""))
    yield "film.yaml (title)", film["title"]
    yield "film.yaml (director)", film["director"]
    if not claim.keyword:  # a bare search term such as "kiss" asserts nothing
        for alias in film.get("aliases", []):
            yield "film.yaml (alias)", str(alias)
        for group in film.get("synonyms", []):
            yield "film.yaml (synonyms)", " ".join(group)


def search_phrases(entry: dict) -> Iterator[tuple[str, str]]:
    """What an entry is found by: people's phrasings, aliases and tags."""
    for question in entry["questions"]:
        yield "question", question
    for alias in entry.get("aliases", []):
        yield "alias", str(alias)
    for tag in entry["tags"]:
        yield "tag", tag.replace("-", " ")
