"""A held shift, defined once: what the reports, the hours and every figure count as a night that happened.

A shift is held when it is not cancelled, nobody said "It didn't go out", it has ended, and:

- direct outreach: it went out (a check-in, the lead's team check-in, "We're out": `safety.went_out_at`,
  outreach/night.py) or it was debriefed;
- a training or a community event: it was debriefed, its attendance was confirmed (trainings recorded
  from that shift: `trainings.shift_id`), or it went out.

A Go recorded before the start is not needed: a direct night that went out without one is held, and the
coordinators' chat report counts it ("went out without Go"); the funder's files never do. `HELD_SQL` and
`is_held` say the same thing, one for queries and one for a `Night` already read.
"""

from __future__ import annotations

from datetime import datetime

from outreach.night import Night

# A condition on a shift aliased `s`, with the named parameter :now (a stored UTC timestamp).
HELD_SQL = (
    "(s.status = 'planned' AND s.ends_at <= :now "
    "AND NOT EXISTS (SELECT 1 FROM safety h0 WHERE h0.shift_id = s.id AND h0.not_held_at IS NOT NULL) "
    "AND (EXISTS (SELECT 1 FROM safety h1 WHERE h1.shift_id = s.id AND h1.went_out_at IS NOT NULL) "
    "OR EXISTS (SELECT 1 FROM debriefs h2 WHERE h2.shift_id = s.id) "
    "OR (s.kind != 'direct' AND EXISTS (SELECT 1 FROM trainings h3 WHERE h3.shift_id = s.id))))"
)
# A held direct night that went out without a Go recorded before its start (the coordinators' flag).
WITHOUT_GO_SQL = ("(s.kind = 'direct' AND NOT EXISTS "
                  "(SELECT 1 FROM safety h4 WHERE h4.shift_id = s.id AND h4.go_at IS NOT NULL))")


def is_held(night: Night, *, kind: str, ends_at: datetime, now: datetime, debriefed: bool, attended: bool) -> bool:
    """True when the shift of `night` was held by `now` (see the module's definition; `attended`: trainings
    were recorded from its attendance)."""
    if night.status in ("cancelled", "not_held") or ends_at > now:
        return False
    if night.went_out_at is not None or debriefed:
        return True
    return kind != "direct" and attended

