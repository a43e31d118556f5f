"""A duress word: a member checks out as usual for anyone watching, and the coordinators are alerted silently.

A member may set a word (App Home, My alert phone). It is kept only as a salted hash (PBKDF2, a salt of
its own per person), never stored, logged or shown as typed. Checking out with it ("OUT <word>" by SMS,
or typed in the check-out form) does exactly what a check-out does (the same DMs, timeline and
"everyone back") and, in the same transaction, raises an SOS marked duress (outreach/sos.py
`raise_duress`): its coordinators are told it is duress, by DM, never in a place the team can see.
Anything else typed, or nothing, is an ordinary check-out: nothing ever says a word was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlite_utils import Database

from outreach import phones, safety, sos
from outreach.store import Store, iso

ROUNDS = 120_000
MIN_LENGTH, MAX_LENGTH = 3, 40
RESERVED = {"in", "out", "sos", "1", "stop", "help", "start", "yes", "no"}  # SMS words and carriers' keywords

Problem = Literal["empty", "short", "long", "digits", "reserved"]


def normalise(text: str | None) -> str:
    """A word as compared: Unicode-normalised, case-folded, inner spaces collapsed, format characters dropped."""
    cleaned = "".join(c for c in unicodedata.normalize("NFKC", text or "") if unicodedata.category(c) != "Cf")
    return " ".join(cleaned.casefold().split())


def problem(text: str | None) -> Problem | None:
    """Why a word cannot be a duress word (None when it can)."""
    word = normalise(text)
    if not word:
        return "empty"
    if len(word) < MIN_LENGTH:
        return "short"
    if len(word) > MAX_LENGTH:
        return "long"
    if re.fullmatch(r"[\d\s#]+", word):
        return "digits"  # "OUT 12" names a shift: a word of digits would be read as one
    if word in RESERVED or word.split(" ", 1)[0] in RESERVED:
        return "reserved"
    return None


def _digest(word: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", word.encode(), bytes.fromhex(salt), ROUNDS).hex()


def has_word(db: Database, user: str) -> bool:
    """Whether this person set a duress word."""
    return db.execute("SELECT 1 FROM duress_words WHERE user_id = ?", [user]).fetchone() is not None


def load(store: Store, user: str) -> bool:
    """Whether this person set a duress word, read through the store."""
    with store.read() as db:
        return has_word(db, user)


def matches(db: Database, user: str, typed: str | None) -> bool:
    """Whether `typed` is this person's duress word (False when they set none, or typed nothing)."""
    word = normalise(typed)
    row = db.execute("SELECT salt, hash FROM duress_words WHERE user_id = ?", [user]).fetchone() if word else None
    return row is not None and hmac.compare_digest(_digest(word, row[0]), row[1])


def is_word(store: Store, user: str, typed: str | None) -> bool:
    """`matches`, read through the store (the hashing, slow by design, holds no write lock)."""
    with store.read() as db:
        return matches(db, user, typed)


def set_word(store: Store, *, user: str, word: str) -> Problem | None:
    """Set (or change) a person's duress word; the problem when it cannot be one."""
    if (found := problem(word)) is not None:
        return found
    salt = secrets.token_hex(16)
    digest = _digest(normalise(word), salt)
    with store.write() as db:
        db.execute("INSERT INTO duress_words (user_id, salt, hash, set_at) VALUES (?, ?, ?, ?) ON CONFLICT(user_id) "
                   "DO UPDATE SET salt = excluded.salt, hash = excluded.hash, set_at = excluded.set_at",
                   [user, salt, digest, iso(store.clock())])
        store.audit(db, actor=user, action="duress.set", subject=f"user:{user}")
    return None


def remove(store: Store, *, user: str) -> bool:
    """Forget a person's duress word; False when they had none."""
    return phones.forget(store, table="duress_words", user=user, action="duress.remove")


@dataclass(frozen=True)
class CheckedOut:
    """A check-out as everyone sees it (`result`), and the duress SOS it raised silently (None: none)."""

    result: safety.Result
    sos_id: int | None = None


def check_out(store: Store, *, shift_id: int, user: str, typed: str | None, coordinator_channel: str | None,
              coordinators: list[str], texted: list[str] | None = None,
              call_after: timedelta | None = None) -> CheckedOut:
    """A person's own check-out, exactly as `safety.check_out`; when `typed` is their duress word, also a duress
    SOS to the coordinators (and by SMS to `texted`), in the same transaction. The word raises it whatever the
    check-out's outcome (a refusal, already back): it is a call for help."""
    under_duress = is_word(store, user, typed)  # hashed before the write lock is taken
    now = store.clock()
    with store.write() as db:
        result = safety.check_out_in(db, store, shift_id=shift_id, user=user, now=now,
                                     coordinator_channel=coordinator_channel)
        if result.shift is None or not under_duress:
            return CheckedOut(result)
        sos_id = sos.raise_duress(db, store, shift=result.shift, user=user, now=now, channel=coordinator_channel,
                                  coordinators=coordinators, texted=texted or [], call_after=call_after)
        return CheckedOut(result, sos_id)


def hidden_steps(db: Database, shift_id: int) -> set[int]:
    """The ids of the shift's timeline steps only coordinators may see: those of its duress SOS, and, when the
    night had no other alarm, how that one was taken on, asked about again and resolved."""
    duress = [r[0] for r in db.execute("SELECT id FROM sos WHERE shift_id = ? AND duress", [shift_id])]
    if not duress:
        return set()
    reasons = [f"sos:{i}" for i in duress]
    marks = ", ".join("?" for _ in reasons)
    hidden = {r[0] for r in db.execute(f"SELECT id FROM safety_steps WHERE shift_id = ? AND reason IN ({marks})",
                                       [shift_id, *reasons])}
    other = db.execute("SELECT 1 FROM sos WHERE shift_id = ? AND NOT duress UNION ALL "
                       "SELECT 1 FROM escalations WHERE shift_id = ? LIMIT 1", [shift_id, shift_id]).fetchone()
    if other is None:
        hidden |= {r[0] for r in db.execute(
            "SELECT id FROM safety_steps WHERE shift_id = ? AND reason = ? AND (step LIKE 'taken:%' OR step LIKE "
            "'recheck:%' OR step LIKE 'resolved:%' OR step LIKE 'by-%' OR step LIKE 'pressed1:%')",
            [shift_id, safety.NIGHT])}
    return hidden
