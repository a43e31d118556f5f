"""Retention: free text tied to an outreach night is deleted after the retention period; counts stay.

Every text a person typed about a night goes: a debrief's notes and free-text answers, the words
of its follow-ups (the follow-up itself, its owner, due date and status stay), the team's wellbeing
notes, the shift's own notes, cancellation reason and readiness evidence, a repeating series' template
notes (outreach/series.py), the cancellation reason a "cancelled this and later" DM carried in its
outbox row, and the reason given for a correction of someone's hours (kept `days` after it was made;
the correction's figures stay). Debrief text and wellbeing notes are kept `days` after they were last written; follow-ups
`days` after they were made; a shift's text until `days` after the shift ended; a series' notes until
`days` after it ended (no longer active, last changed and its last shift ended before the cutoff): an
active series keeps them, as each new shift copies them. The job is idempotent: text written
after its expiry (an edit inside the debrief's edit window, a late shift edit) expires again on
the next run. The audit never holds free text (it records which fields changed), and the store
zeroes deleted text (`secure_delete`); `Store.checkpoint()` then empties the write-ahead log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from outreach.store import Store, iso


@dataclass(frozen=True)
class Expired:
    """How many rows lost their free text in one run."""

    debriefs: int = 0
    followups: int = 0
    wellbeing: int = 0
    shifts: int = 0
    evidence: int = 0
    series: int = 0
    notices: int = 0
    corrections: int = 0

    @property
    def total(self) -> int:
        """Rows changed in all."""
        return (self.debriefs + self.followups + self.wellbeing + self.shifts + self.evidence + self.series
                + self.notices + self.corrections)


def expire(store: Store, *, now: datetime, days: int) -> Expired:
    """Delete the free text older than `days` (see the module's docstring); keep every count."""
    cutoff = iso(now - timedelta(days=days))
    with store.write() as db:
        debriefs = db.execute(
            "UPDATE debriefs SET notes = '', police_why = '', incident_what = '', notes_expired_at = ? "
            "WHERE coalesce(updated_at, submitted_at) <= ? AND (notes_expired_at IS NULL OR coalesce(notes, '') != '' "
            "OR coalesce(police_why, '') != '' OR coalesce(incident_what, '') != '')",
            [iso(now), cutoff],
        ).rowcount
        followups = db.execute(
            "UPDATE followups SET what = '' WHERE what != '' AND created_at <= ?", [cutoff],
        ).rowcount
        wellbeing = db.execute(
            "UPDATE wellbeing SET note = '' WHERE coalesce(note, '') != '' AND coalesce(updated_at, created_at) <= ?",
            [cutoff],
        ).rowcount
        shifts = db.execute(
            "UPDATE shifts SET notes = '', cancel_reason = '' WHERE ends_at <= ? AND (notes != '' OR cancel_reason != '')",
            [cutoff],
        ).rowcount
        evidence = db.execute(
            "UPDATE readiness_items SET evidence = NULL WHERE evidence IS NOT NULL "
            "AND shift_id IN (SELECT id FROM shifts WHERE ends_at <= ?)",
            [cutoff],
        ).rowcount
        series = db.execute(
            "UPDATE series SET notes = '' WHERE notes != '' AND status != 'active' AND coalesce(updated_at, created_at) <= ? "
            "AND NOT EXISTS (SELECT 1 FROM shifts s WHERE s.series_id = series.id AND s.ends_at > ?)",
            [cutoff, cutoff],
        ).rowcount
        notices = db.execute(
            "UPDATE notifications SET context = json_remove(context, '$.reason') WHERE template = 'series/cancelled' "
            "AND created_at <= ? AND coalesce(json_extract(context, '$.reason'), '') != ''",
            [cutoff],
        ).rowcount
        corrections = db.execute(
            "UPDATE hour_corrections SET reason = '' WHERE reason != '' AND corrected_at <= ?", [cutoff],
        ).rowcount
    return Expired(debriefs, followups, wellbeing, shifts, evidence, series, notices, corrections)
