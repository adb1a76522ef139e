"""Discord's payload limits as data, plus validators returning `path: problem` strings."""

from __future__ import annotations

import re
from typing import Any

# Messages and embeds.
CONTENT = 2000
EMBEDS = 10
EMBED = {"title": 256, "description": 4096, "fields": 25, "field.name": 256, "field.value": 1024,
         "footer.text": 2048, "author.name": 256, "total": 6000}
STICKERS = 3
NONCE = 25
# Threads.
THREAD_NAME = 100
AUTO_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
ALLOWED_MENTION_IDS = 100
# Components.
ACTION_ROWS = 5
ROW_BUTTONS = 5
V2_COMPONENTS = 40
IS_COMPONENTS_V2 = 1 << 15
BUTTON_LABEL = 80
CUSTOM_ID = 100
SELECT_OPTIONS = 25
SELECT_OPTION_TEXT = 100
SELECT_PLACEHOLDER = 150
SELECT_TYPES = {3, 5, 6, 7, 8}
# Modals.
MODAL_TITLE = 45
MODAL_COMPONENTS = (1, 5)
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100
TEXT_INPUT_LENGTH = 4000
LABEL_DESCRIPTION = 100
# Application commands and autocomplete.
COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
COMMAND_NAME = 32
COMMAND_DESCRIPTION = 100
COMMAND_OPTIONS = 25
COMMAND_CHOICES = 25
CHOICE_NAME = 100
CHOICE_STRING_VALUE = 100
COMMAND_TOTAL_TEXT = 4000
COMMANDS_PER_TYPE = {1: 100, 2: 15, 3: 15}
AUTOCOMPLETE_CHOICES = 25


def _length(errors: list[str], path: str, value: Any, maximum: int, minimum: int = 0) -> None:
    """Record a length violation, so every check reads as one line."""
    size = len(value) if isinstance(value, str | list) else 0
    if value is not None and size > maximum:
        errors.append(f"{path}: Must be {maximum} or fewer in length.")
    elif minimum and size < minimum:
        errors.append(f"{path}: Must be between {minimum} and {maximum} in length.")


def validate_embeds(embeds: list[dict[str, Any]], path: str = "embeds") -> list[str]:
    """Check per-field and whole-message embed limits."""
    errors: list[str] = []
    _length(errors, path, embeds, EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        p = f"{path}.{i}"
        footer, author = embed.get("footer") or {}, embed.get("author") or {}
        texts = [(f"{p}.title", embed.get("title"), EMBED["title"]),
                 (f"{p}.description", embed.get("description"), EMBED["description"]),
                 (f"{p}.footer.text", footer.get("text"), EMBED["footer.text"]),
                 (f"{p}.author.name", author.get("name"), EMBED["author.name"])]
        fields = embed.get("fields") or []
        _length(errors, f"{p}.fields", fields, EMBED["fields"])
        for j, field in enumerate(fields):
            texts.append((f"{p}.fields.{j}.name", field.get("name"), EMBED["field.name"]))
            texts.append((f"{p}.fields.{j}.value", field.get("value"), EMBED["field.value"]))
        for fpath, text, maximum in texts:
            _length(errors, fpath, text, maximum)
            total += len(text or "")
    if total > EMBED["total"]:
        errors.append(f"{path}: Embed size exceeds maximum size of {EMBED['total']}")
    return errors


def _validate_item(item: dict[str, Any], path: str, errors: list[str], ids: set[str]) -> None:
    """Check one interactive component (button, select, text input) and track custom_id reuse."""
    kind = item.get("type")
    custom_id = item.get("custom_id")
    if custom_id is not None:
        _length(errors, f"{path}.custom_id", custom_id, CUSTOM_ID, 1)
        if custom_id in ids:
            errors.append(f"{path}.custom_id: Component custom id cannot be duplicated")
        ids.add(custom_id)
    if kind == 2:
        _length(errors, f"{path}.label", item.get("label"), BUTTON_LABEL)
        if item.get("style") == 5:
            if not item.get("url") or custom_id is not None:
                errors.append(f"{path}: Link buttons need a url and no custom_id")
        elif item.get("style") != 6 and custom_id is None:
            errors.append(f"{path}.custom_id: This field is required")
    elif kind in SELECT_TYPES:
        if custom_id is None:
            errors.append(f"{path}.custom_id: This field is required")
        _length(errors, f"{path}.placeholder", item.get("placeholder"), SELECT_PLACEHOLDER)
        if not 0 <= item.get("min_values", 1) <= SELECT_OPTIONS:
            errors.append(f"{path}.min_values: Must be between 0 and {SELECT_OPTIONS}")
        if not 1 <= item.get("max_values", 1) <= SELECT_OPTIONS:
            errors.append(f"{path}.max_values: Must be between 1 and {SELECT_OPTIONS}")
        if kind == 3:
            options = item.get("options") or []
            _length(errors, f"{path}.options", options, SELECT_OPTIONS, 1)
            for k, opt in enumerate(options):
                for key, low in (("label", 1), ("value", 1), ("description", 0)):
                    _length(errors, f"{path}.options.{k}.{key}", opt.get(key),
                            SELECT_OPTION_TEXT, low)
    elif kind == 4:
        _length(errors, f"{path}.label", item.get("label"), TEXT_INPUT_LABEL)
        _length(errors, f"{path}.placeholder", item.get("placeholder"), TEXT_INPUT_PLACEHOLDER)
        _length(errors, f"{path}.value", item.get("value"), TEXT_INPUT_LENGTH)
        for key, low in (("min_length", 0), ("max_length", 1)):
            if key in item and not low <= item[key] <= TEXT_INPUT_LENGTH:
                errors.append(f"{path}.{key}: Must be between {low} and {TEXT_INPUT_LENGTH}")
    elif kind == 18:
        _length(errors, f"{path}.label", item.get("label"), TEXT_INPUT_LABEL, 1)
        _length(errors, f"{path}.description", item.get("description"), LABEL_DESCRIPTION)
        _validate_item(item.get("component") or {}, f"{path}.component", errors, ids)


def _validate_tree(items: list[dict[str, Any]], path: str, errors: list[str], ids: set[str]) -> int:
    """Walk rows/containers/sections, validating leaves; return how many components were seen."""
    count = 0
    for i, item in enumerate(items):
        p = f"{path}.{i}"
        count += 1
        if item.get("type") == 1:
            children = item.get("components") or []
            _length(errors, f"{p}.components", children, ROW_BUTTONS, 1)
            if any(c.get("type") in SELECT_TYPES for c in children) and len(children) > 1:
                errors.append(f"{p}.components: A select menu must be alone in its action row")
            count += _validate_tree(children, f"{p}.components", errors, ids)
        elif item.get("type") in (9, 17):  # section, container
            count += _validate_tree(item.get("components") or [], f"{p}.components", errors, ids)
            if item.get("accessory"):
                count += _validate_tree([item["accessory"]], f"{p}.accessory", errors, ids)
        else:
            _validate_item(item, p, errors, ids)
    return count


def validate_components(components: list[dict[str, Any]], flags: int = 0) -> list[str]:
    """Check message components: rows for classic messages, a 40-item budget for v2 layouts."""
    errors: list[str] = []
    if flags & IS_COMPONENTS_V2:
        if _validate_tree(components, "components", errors, set()) > V2_COMPONENTS:
            errors.append(f"components: Must be {V2_COMPONENTS} or fewer in length.")
        return errors
    _length(errors, "components", components, ACTION_ROWS)
    for i, row in enumerate(components):
        if row.get("type") != 1:
            errors.append(f"components.{i}.type: Top-level components must be action rows")
    _validate_tree(components, "components", errors, set())
    return errors


def validate_message(payload: dict[str, Any]) -> list[str]:
    """Check a message create/edit body (channel message, webhook or interaction response)."""
    errors: list[str] = []
    _length(errors, "content", payload.get("content"), CONTENT)
    errors += validate_embeds(payload.get("embeds") or [])
    errors += validate_components(payload.get("components") or [], payload.get("flags") or 0)
    _length(errors, "sticker_ids", payload.get("sticker_ids"), STICKERS)
    mentions = payload.get("allowed_mentions") or {}
    for key in ("users", "roles"):
        _length(errors, f"allowed_mentions.{key}", mentions.get(key), ALLOWED_MENTION_IDS)
        if mentions.get(key) and key in (mentions.get("parse") or []):
            errors.append(f"allowed_mentions: parse:[\"{key}\"] and {key}: [ids] are exclusive")
    return errors


def validate_modal(data: dict[str, Any]) -> list[str]:
    """Check a type-9 modal callback's data."""
    errors: list[str] = []
    _length(errors, "data.title", data.get("title"), MODAL_TITLE, 1)
    _length(errors, "data.custom_id", data.get("custom_id"), CUSTOM_ID, 1)
    components = data.get("components") or []
    _length(errors, "data.components", components, MODAL_COMPONENTS[1], MODAL_COMPONENTS[0])
    _validate_tree(components, "data.components", errors, set())
    return errors


def _validate_choices(choices: list[dict[str, Any]], path: str, maximum: int) -> list[str]:
    """Check choice lists shared by command options and autocomplete results."""
    errors: list[str] = []
    _length(errors, path, choices, maximum)
    for i, choice in enumerate(choices):
        _length(errors, f"{path}.{i}.name", choice.get("name"), CHOICE_NAME, 1)
        if isinstance(choice.get("value"), str):
            _length(errors, f"{path}.{i}.value", choice["value"], CHOICE_STRING_VALUE)
    return errors


def validate_autocomplete(data: dict[str, Any]) -> list[str]:
    """Check a type-8 autocomplete result."""
    return _validate_choices(data.get("choices") or [], "data.choices", AUTOCOMPLETE_CHOICES)


def _text_size(obj: dict[str, Any]) -> int:
    """Count name/description/choice characters toward the 4000-per-command budget."""
    size = len(obj.get("name", "")) + len(obj.get("description", ""))
    choices = obj.get("choices") or []
    size += sum(len(c.get("name", "")) + len(str(c.get("value", ""))) for c in choices)
    return size + sum(_text_size(o) for o in obj.get("options") or [])


def _validate_options(options: list[dict[str, Any]], path: str, errors: list[str]) -> None:
    """Check option names, descriptions, ordering, choices and nesting."""
    _length(errors, path, options, COMMAND_OPTIONS)
    seen_optional = False
    names: set[str] = set()
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        name = opt.get("name") or ""
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            errors.append(f"{p}.name: Command name is invalid")
        if name in names:
            errors.append(f"{p}.name: Option names must be unique")
        names.add(name)
        _length(errors, f"{p}.description", opt.get("description"), COMMAND_DESCRIPTION, 1)
        if opt.get("type") in (1, 2):
            sub = opt.get("options") or []
            if opt["type"] == 2 and any(o.get("type") != 1 for o in sub):
                errors.append(f"{p}.options: Subcommand groups may only contain subcommands")
            if opt["type"] == 1 and any(o.get("type") in (1, 2) for o in sub):
                errors.append(f"{p}.options: Subcommands cannot contain subcommands")
            _validate_options(sub, f"{p}.options", errors)
            continue
        if opt.get("required"):
            if seen_optional:
                errors.append(f"{p}.required: Required options must be placed before non-required")
        else:
            seen_optional = True
        if opt.get("choices") and opt.get("autocomplete"):
            errors.append(f"{p}.autocomplete: Autocomplete and choices are exclusive")
        errors += _validate_choices(opt.get("choices") or [], f"{p}.choices", COMMAND_CHOICES)


def validate_commands(commands: list[dict[str, Any]]) -> list[str]:
    """Check a bulk-overwrite body: each command's shape plus per-type totals and unique names."""
    errors: list[str] = []
    counts: dict[int, int] = {}
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        p, kind, name = str(i), cmd.get("type", 1), cmd.get("name") or ""
        counts[kind] = counts.get(kind, 0) + 1
        if (kind, name) in seen:
            errors.append(f"{p}.name: Application command names must be unique")
        seen.add((kind, name))
        if kind == 1:
            if not COMMAND_NAME_RE.match(name) or name != name.lower():
                errors.append(f"{p}.name: Command name is invalid")
            _length(errors, f"{p}.description", cmd.get("description"), COMMAND_DESCRIPTION, 1)
            _validate_options(cmd.get("options") or [], f"{p}.options", errors)
            if _text_size(cmd) > COMMAND_TOTAL_TEXT:
                errors.append(f"{p}: Command exceeds maximum size ({COMMAND_TOTAL_TEXT})")
        else:
            _length(errors, f"{p}.name", name, COMMAND_NAME, 1)
            if cmd.get("description"):
                errors.append(f"{p}.description: Context menu commands cannot have a description")
    for kind, count in counts.items():
        if count > COMMANDS_PER_TYPE.get(kind, 0):
            errors.append(f"_errors: Maximum number of type {kind} commands reached "
                          f"({COMMANDS_PER_TYPE.get(kind, 0)})")
    return errors
