"""In the field without data: the words a member texts back from their verified alert phone (IN, OUT, SOS) and
which of their shifts one means.

A watched shift's start is texted to each person expected out who has a verified phone ("Shift #12
starts. Reply IN when you are out, OUT when you are back, SOS if you need help now.": outreach/phones.py
`queue_start`, run by the safety timer). A reply acts exactly as the Slack button would, for the phone's
owner only (handlers/field.py calls the same domain functions). "IN 12", "out #12", "sos": any case, with
or without the shift's number; what follows OUT (after the number) is read as the duress word, which
nothing ever says was wrong (outreach/duress.py). Spanish words do the same (KEYWORDS: LLEGUÉ or ENTRO for
IN, TERMINÉ or SALIDA for OUT), in any case, with or without their accent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from outreach import safety, sos
from outreach.digits import parse_number
from outreach.store import iso

Word = Literal["in", "out", "sos"]
# The words texted back, folded (lower case, no accent), in English and Spanish. Not SALGO ("I'm going out"
# reads as the start of the night, and OUT would check the person out then), nor a carrier's keyword (STOP...).
KEYWORDS: dict[str, Word] = {
    "in": "in", "llegue": "in", "entro": "in", "entrada": "in",
    "out": "out", "termine": "out", "salida": "out",
    "sos": "sos",
}
# The first word (letters only, up to a space, punctuation or the end: "in12" is none), then the rest.
REPLY = re.compile(r"^\s*([^\W\d_]+)\b[\s.,:;!-]*(.*)$", re.DOTALL)


def fold(word: str) -> str:
    """A word as a keyword is compared: lower case, accents dropped ("LLEGUÉ" -> "llegue")."""
    apart = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in apart if not unicodedata.combining(c))


@dataclass(frozen=True)
class Reply:
    """An SMS read as one of the field words: which, the shift it names (if any), and the rest (OUT's word)."""

    word: Word
    shift_id: int | None = None
    rest: str = ""


def parse(body: str | None) -> Reply | None:
    """An SMS as IN, OUT or SOS or a Spanish keyword (any case, with or without accents: "IN 12", "out #12 <word>",
    "Llegué 12"), or None when it is none of them."""
    found = REPLY.match(unicodedata.normalize("NFC", body or ""))
    word = KEYWORDS.get(fold(found.group(1))) if found else None
    if found is None or word is None:
        return None
    rest = found.group(2).strip()
    first, _, after = rest.partition(" ")
    number = parse_number(first[1:] if first.startswith("#") else first)
    if number is not None:
        rest = after.strip()
    return Reply(word, number, rest)


def live_shifts(db: Database, user: str, now: datetime) -> tuple[list[int], list[int]]:
    """The person's watched shifts around now (from an hour before the start to SOS_AFTER_END after the end:
    theirs as lead or confirmed member, or checked in), and of those the ones still open for them (the night
    neither over nor recorded as not held, and they not yet checked out nor marked absent); earliest first."""
    ids = [r["id"] for r in db.query(
        "SELECT s.id FROM shifts s WHERE s.status = 'planned' AND s.safety_net = 1 AND s.starts_at <= ? "
        "AND s.ends_at > ? AND (s.lead = ? OR EXISTS (SELECT 1 FROM signups u WHERE u.shift_id = s.id AND "
        "u.user_id = ? AND u.status = 'confirmed') OR EXISTS (SELECT 1 FROM member_checkins m WHERE "
        "m.shift_id = s.id AND m.user_id = ? AND m.checked_in_at IS NOT NULL)) ORDER BY s.starts_at, s.id",
        [iso(now + safety.EARLY_CHECKIN), iso(now - sos.SOS_AFTER_END), user, user, user])]
    open_ = []
    for shift_id in ids:
        state = safety.get_state(db, shift_id, now=now)
        mine = state.member(user)
        if state.over or (state.night and state.night.status == "not_held"):
            continue
        if mine and (mine.checked_out_at or mine.absent):
            continue
        open_.append(shift_id)
    return ids, open_


Pick = Literal["one", "choose", "none"]


def pick(db: Database, user: str, reply: Reply, now: datetime) -> tuple[Pick, int | None, list[int]]:
    """Which shift an IN or OUT means: the one named; else the only one still open for them (or, none open,
    their only one, so its refusal says why); several open: `choose` with the list; none at all: `none`."""
    if reply.shift_id is not None:
        return "one", reply.shift_id, []
    every, open_ = live_shifts(db, user, now)
    if len(open_) == 1:
        return "one", open_[0], open_
    if len(open_) > 1:
        return "choose", None, open_
    if len(every) == 1:
        return "one", every[0], every
    return ("choose", None, every) if every else ("none", None, [])

