"""Fill a database at the scale a large coalition reaches in years.

Usage: python bench/generate.py PATH [--shifts 10000] [--volunteers 2000] [--signups 100000] [--debriefs 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlite_utils import Database  # noqa: E402

from outreach.store import Store, iso  # noqa: E402

KINDS = ["direct", "direct", "community", "training"]
VENUES = ["motel", "farm", "restaurant", "street", "court", "private-home"]


def generate(path: Path, *, shifts: int, volunteers: int, signups: int, debriefs: int, now: datetime) -> dict:
    """Write the rows; return what was written."""
    rng = random.Random(42)
    store = Store(path)
    users = [f"UV{i:05d}" for i in range(volunteers)]
    with store.write() as db:
        db["trainings"].insert_all(
            ({"user_id": u, "training": "direct-outreach", "completed_on": "2025-01-01", "expires_on": None,
              "recorded_by": "UADMIN", "recorded_at": iso(now)} for u in users), batch_size=1000)
        rows = []
        for _ in range(shifts):
            # A year of history, and the next 60 days planned.
            start = now + timedelta(days=rng.uniform(-365, 60), hours=rng.randint(0, 23))
            start = start.replace(minute=0, second=0, microsecond=0)
            kind = rng.choice(KINDS)
            rows.append({
                "kind": kind, "venue": rng.choice(VENUES), "area": f"Area {rng.randint(1, 60)}",
                "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=4)), "tz": "America/Chicago",
                "capacity": 12, "min_team": 2, "languages": '["es"]', "lead": rng.choice(users),
                "training": "direct-outreach" if kind == "direct" else None, "notes": "",
                "status": "cancelled" if rng.random() < 0.03 else "planned",
                "created_by": "UADMIN", "created_at": iso(now), "updated_at": iso(now),
            })
        db["shifts"].insert_all(rows, batch_size=1000)
        pairs: set[tuple[int, str]] = set()
        while len(pairs) < signups:
            pairs.add((rng.randint(1, shifts), rng.choice(users)))
        per_shift: dict[int, int] = {}
        signup_rows = []
        for shift_id, user in sorted(pairs):
            per_shift[shift_id] = per_shift.get(shift_id, 0) + 1
            status = "confirmed" if per_shift[shift_id] <= 12 else "waitlisted"
            if rng.random() < 0.05:
                status = "withdrawn"
            signup_rows.append({"shift_id": shift_id, "user_id": user, "status": status,
                                "created_at": iso(now), "updated_at": iso(now)})
        db["signups"].insert_all(signup_rows, batch_size=2000)
        written_debriefs = fill_debriefs(db, rng, debriefs=debriefs, now=now)
    store.close()
    return {"shifts": shifts, "volunteers": volunteers, "signups": signups, "debriefs": written_debriefs}


def fill_debriefs(db: Database, rng: random.Random, *, debriefs: int, now: datetime) -> int:
    """Debriefs (counts only, no notes) for ended shifts, as the debrief form stores them."""
    past = list(db.query(
        "SELECT id, venue, area, starts_at, ends_at, lead FROM shifts WHERE ends_at < ? AND status = 'planned' "
        "ORDER BY id LIMIT ?", [iso(now), debriefs]))
    materials = ["hotline-cards", "hygiene-kits", "brochures"]
    indicators = ["debt", "no-control-money-id", "employer-housing", "hotel-signs", "scripted-answers"]
    categories = ["medical-care", "housing-emergency", "legal-immigration", "crisis-intervention", "translation"]
    rows = []
    for shift in past:
        contacts = rng.randint(0, 25)
        brief = rng.randint(0, contacts)
        rows.append({
            "shift_id": shift["id"], "venue": shift["venue"], "area": shift["area"],
            "started_at": shift["starts_at"], "ended_at": shift["ends_at"],
            "team": json.dumps([shift["lead"]]), "contacts": contacts, "brief": brief, "extended": contacts - brief,
            "languages": json.dumps(rng.sample(["en", "es", "ht", "vi"], rng.randint(1, 2))),
            "materials": json.dumps({m: rng.randint(0, 40) for m in rng.sample(materials, 2)}, sort_keys=True),
            "indicators": json.dumps(rng.sample(indicators, rng.randint(0, 2))),
            "referrals": json.dumps({c: rng.randint(1, 3) for c in rng.sample(categories, rng.randint(0, 2))},
                                    sort_keys=True),
            "hotline": int(rng.random() < 0.2), "police": int(rng.random() < 0.05), "police_why": "",
            "incident": 0, "incident_what": "", "load": rng.randint(1, 5), "checkin": 0, "notes": "",
            "submitted_by": shift["lead"], "submitted_at": shift["ends_at"], "updated_by": shift["lead"],
            "updated_at": shift["ends_at"], "revision": 1,
        })
    db["debriefs"].insert_all(rows, batch_size=1000)
    return len(rows)


def main() -> None:
    """Parse the arguments and generate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--shifts", type=int, default=10_000)
    parser.add_argument("--volunteers", type=int, default=2_000)
    parser.add_argument("--signups", type=int, default=100_000)
    parser.add_argument("--debriefs", type=int, default=5_000)
    args = parser.parse_args()
    if args.path.exists():
        sys.exit(f"{args.path} exists; choose a new file")
    started = time.perf_counter()
    written = generate(args.path, shifts=args.shifts, volunteers=args.volunteers, signups=args.signups,
                       debriefs=args.debriefs, now=datetime.now(UTC).replace(microsecond=0))
    print(f"wrote {written} to {args.path} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
