"""One `Outgoing` → the messages Telegram can take, the same for every channel.

Telegram refuses a text over 4,096 characters and a caption over 1,024, and takes one reply
markup per message. Nothing is refused here: a long text is split at line boundaries (the
buttons on the last part, an edit replaces the first part), a photo or document whose caption is
too long carries the text's first line and the text follows, and a step asking for a location or
a contact while it also has inline buttons gets its reply keyboard on a short second message
(the inline buttons stay on the message that holds the text, so a press still edits it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace

from bot.types import Outgoing

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# answerCallbackQuery shows at most this many characters; a longer notice is sent as a message.
ANSWER_TEXT_LIMIT = 200
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")


def notice_of(outs: Sequence[Outgoing]) -> Outgoing | None:
    """The reply that answers a button press: the first notice short enough for
    answerCallbackQuery (a longer one, or a second one, goes out as a message: nothing is cut
    or lost)."""
    for out in outs:
        if out.notice is not None and len(plain_text(out.text)) <= ANSWER_TEXT_LIMIT:
            return out
    return None


def plain_text(text: str) -> str:
    """Rendered HTML → the plain text answerCallbackQuery shows (it takes no markup)."""
    return html.unescape(_TAG.sub("", text))


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units) of the HTML source: counting the
    markup too errs on the safe side."""
    return len(text.encode("utf-16-le")) // 2


def _open_tags(text: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tags still open after `text`, given those open before it (name, opening tag)."""
    stack = list(stack)
    for m in _TAG.finditer(text):
        name = m.group(2).lower()
        if m.group(1):
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, m.group(0)))
    return stack


def _cut_line(line: str, limit: int) -> list[str]:
    """A single line over `limit`: cut at spaces where possible, never inside a tag or entity."""
    pieces: list[str] = []
    while size(line) > limit:
        end = limit
        while size(line[:end]) > limit:
            end -= 1
        # Step back out of a tag or an entity the cut would break.
        for pattern in (_TAG, _ENTITY):
            for m in pattern.finditer(line, 0, end + 16):
                if m.start() < end < m.end():
                    end = m.start()
        space = line.rfind(" ", 0, end)
        if space > end // 2:
            end = space + 1
        if end <= 0:
            end = limit  # a tag longer than a whole message: nothing sensible, cut anyway
        pieces.append(line[:end])
        line = line[end:]
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit`, split at line boundaries; tags open across a split
    are closed at the end of one part and opened again at the start of the next."""
    if size(text) <= limit:
        return [text]
    # Room for closing and reopening tags at a split.
    budget = max(limit - 200, limit // 2)
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(_cut_line(line, budget))
    parts: list[str] = []
    current: list[str] = []
    opened: list[tuple[str, str]] = []  # open at the start of `current`
    for line in lines:
        candidate = "\n".join([*current, line])
        if current and size(candidate) > budget:
            body = "\n".join(current)
            still = _open_tags(body, opened)
            parts.append(
                "".join(t for _, t in opened)
                + body
                + "".join(f"</{n}>" for n, _ in reversed(still))
            )
            opened, current = still, [line]
        else:
            current.append(line)
    body = "\n".join(current)
    parts.append("".join(t for _, t in opened) + body)
    # Blank parts (a run of empty lines at a split) would be refused: drop them.
    return [p for p in parts if p.strip()] or [text[:limit]]


def needs_keyboard_message(out: Outgoing) -> bool:
    """Inline buttons and a reply keyboard with a location or contact request: Telegram takes
    one markup per message, and the request buttons exist only on a reply keyboard."""
    return bool(out.buttons) and any(kind for row in out.keyboard or () for _, kind in row)


def plan(
    out: Outgoing, *, separate_keyboard: bool = True, caption_limit: int = CAPTION_LIMIT
) -> list[Outgoing]:
    """The messages to send for `out`, in order; `out` itself when it fits as it is.

    The console passes `separate_keyboard` False (it shows both kinds of buttons on one
    message) and a caption limit of a whole message (it prints a caption like a text).
    """
    parts: list[Outgoing] = []
    media = out.photo is not None or out.document is not None
    text = out.text
    if media and size(text) > caption_limit:
        # The file under the text's first line, then the whole text with the buttons (they act
        # on what the text lists).
        head = text.split("\n", 1)[0]
        parts.append(
            replace(
                out,
                text=head if size(head) <= caption_limit else "",
                buttons=(),
                keyboard=None,
                remove_keyboard=False,
                edit_message_id=None,
                media=(),
            )
        )
        out = replace(out, photo=None, document=None, filename=None)
    chunks = split_text(text) if not media or parts else [text]
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        parts.append(
            replace(
                out,
                text=chunk,
                buttons=out.buttons if last else (),
                keyboard=out.keyboard if last else None,
                remove_keyboard=out.remove_keyboard and last,
                media=out.media if last else (),
                # An edit replaces the first part; the rest follow as new messages.
                edit_message_id=out.edit_message_id if i == 0 else None,
            )
        )
    last_part = parts[-1]
    if separate_keyboard and needs_keyboard_message(last_part):
        assert last_part.keyboard is not None
        labels = [label for row in last_part.keyboard for label, kind in row if kind]
        parts[-1] = replace(last_part, keyboard=None)
        parts.append(
            Outgoing(
                chat_id=out.chat_id,
                text=" · ".join(html.escape(label, quote=False) for label in labels),
                keyboard=last_part.keyboard,
                journal_id=None,
            )
        )
    return parts
