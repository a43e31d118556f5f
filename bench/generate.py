"""Fill a database at the scale a large coalition reaches in years.

Usage: python bench/generate.py PATH [--shifts 10000] [--volunteers 2000] [--signups 100000] [--debriefs 5000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
        written_debriefs = fill_debriefs(db, rng, debriefs=debriefs, now=now) if "debriefs" in db.table_names() else 0
    store.close()
    return {"shifts": shifts, "volunteers": volunteers, "signups": signups, "debriefs": written_debriefs}


def fill_debriefs(db: object, rng: random.Random, *, debriefs: int, now: datetime) -> int:
    """Debriefs for past shifts, when the debriefs table exists (counts only)."""
    past = [r["id"] for r in db.query(  # type: ignore[attr-defined]
        "SELECT id FROM shifts WHERE ends_at < ? AND status = 'planned' ORDER BY id LIMIT ?", [iso(now), debriefs])]
    columns = {c.name for c in db["debriefs"].columns}  # type: ignore[index]
    rows = []
    for shift_id in past:
        row = {"shift_id": shift_id}
        for name in columns:
            if name.endswith(("_count", "contacts", "brief", "extended")):
                row[name] = rng.randint(0, 20)
        for name in ("submitted_by", "created_by"):
            if name in columns:
                row[name] = "UADMIN"
        for name in ("submitted_at", "created_at", "updated_at"):
            if name in columns:
                row[name] = iso(now)
        rows.append(row)
    db["debriefs"].insert_all(rows, batch_size=1000)  # type: ignore[index]
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
