"""Answers and about-info as Discord embeds, within Discord's size limits."""

from __future__ import annotations

import discord

from bot.answers import ANSWER, CLOSEST, SMALLTALK, Answer
from bot.knowledge import Entry, Source
from bot.poll_results import Tally, render_bar
from bot.polls import Poll
from bot.text import spoiler

COLOUR = discord.Colour.from_rgb(178, 34, 34)  # the Saab's red
TITLE_MAX = 256
FIELD_MAX = 1024


MESSAGE_MAX = 2000
EMBED_TOTAL = 6000  # Discord's limit for all the text of one embed, or of one message's embeds


def clip(text: str, limit: int = MESSAGE_MAX) -> str:
    """Cut text to a Discord length limit, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_markdown(source: Source) -> str:
    """A source as a markdown link, or the scene it refers to."""
    if source.scene:
        return f"Scene: {source.scene}"
    title = source.title.replace("[", "(").replace("]", ")")
    return f"[{title}]({source.url})"


def entry_embed(entry: Entry, *, film_line: str, show_spoilers: bool) -> discord.Embed:
    """One entry: title, answer, sources; last-act entries hidden behind spoiler markup."""
    hidden = entry.spoiler and not show_spoilers
    if hidden:
        embed = discord.Embed(
            title="Spoiler: the last act (tap the dark bars to reveal)",
            description=spoiler(f"**{entry.title}**\n\n{entry.answer.strip()}"),
            colour=COLOUR,
        )
    else:
        embed = discord.Embed(title=clip(entry.title, TITLE_MAX), description=entry.answer.strip(),
                              colour=COLOUR)
    sources = "\n".join(f"{n}. {source_markdown(s)}" for n, s in enumerate(entry.sources, 1))
    embed.add_field(name="Sources", value=clip(sources, FIELD_MAX), inline=False)
    embed.set_footer(text=film_line)
    return embed


def answer_embeds(answer: Answer, *, show_spoilers: bool) -> list[discord.Embed]:
    """The bot's reply to a question: one embed per answered part (a two-part question gets
    two), a closest match, a friendly reply to small talk, or an honest abstention."""
    film = answer.film
    film_line = f"{film.title} ({film.year})" if film else "Drive My Car"
    if answer.outcome == ANSWER:
        embeds = []
        for part in answer.parts:
            embed = entry_embed(part.entry, show_spoilers=show_spoilers,
                                film_line=f"{film_line} · confidence {part.confidence:.0%}")
            if len(answer.parts) > 1:
                embed.set_author(name=clip("Q: " + " ".join(part.question.split()), 256))
            if part.standings is not None:
                embed.add_field(name=f"Where this server stands (poll #{part.standings.poll.id})",
                                value=_standings(part.standings), inline=False)
            embeds.append(embed)
    elif answer.outcome == SMALLTALK:
        examples = "\n".join(f"• {q}" for q in answer.examples)
        embed = discord.Embed(title="Hi!", colour=COLOUR, description=clip(
            f"{answer.reply}\n{examples}\n\n`/about` tells you more about me.", 4000))
        embed.set_footer(text=film_line)
        return [embed]
    elif answer.outcome == CLOSEST and answer.suggested:
        best = answer.suggested
        title = spoiler(best.title) if best.spoiler and not show_spoilers else best.title
        embeds = [discord.Embed(
            title="I'm not sure I have a curated answer for that",
            description=(f"The closest entry I have ({answer.confidence:.0%} sure) is:\n"
                         f"**{title}**\nThe button below shows it, only to you."),
            colour=discord.Colour.light_grey())]
        embeds[0].set_footer(text=film_line)
    else:
        embeds = [discord.Embed(
            title="I don't have a curated answer for that",
            description=(
                "I only answer from our checked knowledge base, and nothing in it fits this "
                "question well enough. I'd rather say so than guess.\n"
                "Moderators see unanswered questions, so it may be covered soon. "
                "You can also propose an entry with `/suggest`."
            ),
            colour=discord.Colour.light_grey(),
        )]
        embeds[0].set_footer(text=film_line)
    if answer.alternatives:
        lines = [f"• {spoiler(a.title) if a.spoiler and not show_spoilers else a.title}"
                 for a in answer.alternatives]
        name = ("Related questions" if answer.answered else "Other topics I can answer"
                if answer.outcome == CLOSEST else "Closest topics I can answer")
        embeds[-1].add_field(name=name, value=clip("\n".join(lines), FIELD_MAX), inline=False)
        if sum(len(e) for e in embeds) > EMBED_TOTAL:  # Discord's limit for one message
            embeds[-1].remove_field(len(embeds[-1].fields) - 1)
    return _within_message_limit(embeds)


def _within_message_limit(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Two long answers can pass Discord's 6,000 characters per message: shorten the last
    embed's sources list by the overflow (the answers themselves stay whole)."""
    over = sum(len(e) for e in embeds) - EMBED_TOTAL
    last = embeds[-1]
    if over > 0 and last.fields and last.fields[0].name == "Sources":
        value = last.fields[0].value or ""
        last.set_field_at(0, name="Sources", value=clip(value, max(1, len(value) - over)),
                          inline=False)
    return embeds


def _standings(tally: Tally, most: int = 5) -> str:
    """The leading options of a poll with bars, short enough for one embed field."""
    top = sorted(tally.results, key=lambda r: -r.count)[:most]
    lines = [f"`{render_bar(r.percent)}` {r.percent:.0f}% ({r.count}) "
             f"{discord.utils.escape_markdown(r.option.label)}" for r in top]
    voters = tally.total_voters
    lines.append(f"{voters} voter{'' if voters == 1 else 's'}"
                 + ("" if tally.poll.is_open else " · closed"))
    return clip("\n".join(lines), FIELD_MAX)


def about_embed(*, film_title: str, entries: int, interpretations: int,
                version: str, moderators: str | None = None) -> discord.Embed:
    """What the bot is, how big its knowledge base is, and how to add to it; for a
    moderator, what they can do here."""
    embed = discord.Embed(
        title=f"About the {film_title} ending bot",
        description=(
            "I answer questions about the ending from a curated, sourced knowledge base, and I "
            "run polls on what the ending means. Ask with `/ask` or by mentioning me.\n\n"
            "Missing something? Propose an entry with `/suggest`; moderators review it."
        ),
        colour=COLOUR,
    )
    embed.add_field(name="Knowledge base", value=f"{entries} entries")
    embed.add_field(name="Readings for polls", value=str(interpretations))
    embed.add_field(name="How to use me", inline=False, value=(
        "`/ask`, a mention, or **Apps → Answer with the bot** on someone's message\n"
        "`/poll ending` starts a poll on the readings (`thread:` opens a discussion thread); "
        "`/poll results` and `/poll voters` show where it stands\n"
        "`/spoilers` (moderators) shows last-act answers without spoiler bars here"))
    if moderators:
        embed.add_field(name="For moderators", value=clip(moderators, FIELD_MAX), inline=False)
    embed.set_footer(text=f"version {version}")
    return embed


def _bars(tally: Tally) -> str:
    """One bold label and one text bar per option; the leaders get a cup once it is closed."""
    lines = []
    for r in tally.results:
        mark = " 🏆" if not tally.poll.is_open and r.option.id in tally.leaders else ""
        lines.append(f"**{discord.utils.escape_markdown(r.option.label)}**{mark}\n"
                     f"`{render_bar(r.percent)}` {r.percent:.0f}% ({r.count})")
    return clip("\n".join(lines), 4000)


def _voters(tally: Tally) -> str:
    return f"{tally.total_voters} voter{'s' if tally.total_voters != 1 else ''}"


def chart_name(poll: Poll) -> str:
    """The file name of a poll's chart, as ``attachment://`` embeds refer to it."""
    return f"poll-{poll.id}.png"


def with_chart(embed: discord.Embed, poll: Poll, attached: bool) -> discord.Embed:
    """Show the attached chart as the embed's image (or no image without one)."""
    embed.set_image(url=f"attachment://{chart_name(poll)}" if attached else None)
    return embed


def results_marker(poll_id: int) -> str:
    """How a results post's footer begins: the bot finds its post again by it."""
    return f"Poll #{poll_id} · final results"


def results_embed(tally: Tally, poll_url: str | None) -> discord.Embed:
    """The results post: final bars, a link to the poll message, counts only (never voters)."""
    poll = tally.poll
    embed = discord.Embed(title=clip(f"Final results: {poll.question}", TITLE_MAX),
                          description=_bars(tally), colour=COLOUR)
    if len(tally.leaders) > 1:
        embed.add_field(name="Result", value="A tie.", inline=False)
    if poll_url:
        embed.add_field(name="Poll", value=f"[Poll #{poll.id}]({poll_url})", inline=False)
    kind = "anonymous" if poll.anonymous else "public"
    embed.set_footer(text=f"{results_marker(poll.id)} · {_voters(tally)} · {kind}")
    return embed


def poll_embed(tally: Tally) -> discord.Embed:
    """Question, one bar per option, voters, deadline as a Discord timestamp."""
    poll = tally.poll
    embed = discord.Embed(title=clip(poll.question, TITLE_MAX), description=_bars(tally),
                          colour=COLOUR)
    voters = _voters(tally)
    if not poll.is_open:
        status = "Closed: final results"
        if len(tally.leaders) > 1:
            status += " (a tie)"
    elif poll.deadline:
        stamp = int(poll.deadline.timestamp())
        status = f"Open until <t:{stamp}:f> (<t:{stamp}:R>)"
    else:
        status = "Open"
    embed.add_field(name="Status", value=status, inline=False)
    kind = "anonymous" if poll.anonymous else "public"
    choice = "one choice" if poll.max_choices == 1 else f"up to {poll.max_choices} choices"
    final = "" if poll.allow_change else " · votes are final"
    embed.set_footer(text=f"Poll #{poll.id} · {voters} · {kind} · {choice}{final}")
    return embed


def voters_embed(poll: Poll, picked: dict[str, tuple[int, ...]]) -> discord.Embed:
    """Who voted for what in a public poll: one field per option, as mentions (never pings)."""
    embed = discord.Embed(title=clip(f"Who voted: {poll.question}", TITLE_MAX), colour=COLOUR)
    embed.set_footer(text=f"Poll #{poll.id} · public · earliest votes first")
    names = [clip(option.label, TITLE_MAX) for option in poll.options]
    fixed = len(embed.title or "") + len(embed.footer.text or "") + sum(map(len, names))
    room = min(FIELD_MAX, (EMBED_TOTAL - fixed) // len(poll.options))
    for option, name in zip(poll.options, names, strict=True):
        users = picked.get(option.id, ())
        embed.add_field(name=name, value=_mention_list(users, room) if users else "nobody yet",
                        inline=False)
    return embed


def _mention_list(users: tuple[int, ...], room: int) -> str:
    """As many mentions as fit in `room` characters, then how many more there are."""
    shown: list[str] = []
    used = 0
    for n, user in enumerate(users):
        piece = f"<@{user}>"
        used += len(piece) + (2 if shown else 0)
        left = len(users) - n - 1
        if used + (len(f" and {left} more") if left else 0) > room:
            return ", ".join(shown) + f" and {len(users) - n} more"
        shown.append(piece)
    return ", ".join(shown)
