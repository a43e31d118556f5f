"""The readiness protocol: checklists per shift, computed and ticked items, Go / no-go and its revocation."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import ADMIN, COORD_CHANNEL, act, message_text
from phone import Phone

from outreach import partners as pt
from outreach import readiness as rd
from outreach.catalog import CatalogError
from outreach.partners import PartnerDraft

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATEGORIES = ["crisis-intervention", "housing-emergency", "medical-care", "legal-immigration", "translation"]
TICKED = ["le-liaison", "le-protocol", "buddy-pairs", "cards-languages"]
EVIDENCE = ["meeting-point", "check-in-times", "silence-contact"]


def protocol(bot):
    return rd.load_protocol(bot.settings.data_dir)


def add_partner(bot, name, categories, languages=(), hours="24/7", verified="2026-11-01", phone="555 0100"):
    """Put a partner in the directory (setup through the domain; the form is tested in test_partners);
    a partner of that name already there is used as it is."""
    with bot.store.write() as db:
        if known := next(db.query("SELECT id FROM partners WHERE name_key = ?", [name.lower()]), None):
            return known["id"]
        values, errors = pt.check_partner(
            db, PartnerDraft(name=name, categories=list(categories), languages=list(languages), hours=hours,
                             phone=phone, verified_on=verified),
            catalog=bot.services.catalog, categories=protocol(bot).categories, today=bot.clock().date(),
        )
        assert not errors, errors
        return pt.save_partner(bot.store, db, actor=ADMIN, values=values)


def pick_contact(bot, number, name="County Vice Unit", phone="555 0199"):
    """Put a law enforcement agency in the directory and pick it as the night's contact (through the domain)."""
    agency = add_partner(bot, name, [rd.LAW_ENFORCEMENT], phone=phone)
    assert rd.set_on_call(bot.store, protocol(bot), shift_id=number, actor=ADMIN, category=rd.LAW_ENFORCEMENT,
                          partner_id=agency)
    return agency


def item(state, item_id):
    return next(i for i in state.items if i.id == item_id)


def state_of(bot, number):
    return rd.readiness_of(bot.store, protocol(bot), number)


def checklist(bot, user, number):
    """The answer beside `/outreach checklist N` (the shift's volunteers read it; others are refused)."""
    sent = bot.command(user, f"checklist {number}")
    return sent.reply(), sent


def opened(bot, number, user=ADMIN):
    """The checklist modal `/outreach checklist N` opens for the lead or a coordinator."""
    return Phone(bot, user).command(f"checklist {number}").modal()


def section(screen, name):
    """Open one section of the checklist modal from its summary (the modal is updated in place)."""
    return screen.tap("Open", near=f"*{name}*").modal()


def every_section(screen):
    """Each section of the checklist modal, opened in turn from its summary."""
    return [section(screen, name) for name in rd.SECTIONS.values() if f"*{name}*:" in screen.words]


def whole(screen):
    """Every word of the checklist modal: its summary and each of its sections."""
    return "\n".join([screen.words] + [part.words for part in every_section(screen)])


def asked_for(screen, near):
    """Tick an evidence item's box: the question pushed over the checklist (once the tap's work is done)."""
    tapped = screen.choose("Done", near=near)
    asked = tapped.modal()
    tapped.home()  # the lead's App Home is republished last
    return asked


def answered(asked, values, checklist_id):
    """Submit an evidence view and return the checklist modal under it, as updated once the tick is saved.

    (Watched from before the submit: the update may come before the form's HTTP answer is read.)
    """
    mark = asked.phone.mark
    done = asked.submit(values)
    assert done.errors == {} and not done.body  # the pushed view closes back to the checklist
    call = asked.phone.wait(mark, lambda c: c.method == "views.update" and c.params.get("view_id") == checklist_id,
                            "the checklist updated")
    with asked.phone.bot.fake._cond:  # and the lead's App Home republished after it: the last of that work
        after = asked.phone.bot.fake.calls.index(call) + 1
    asked.phone.wait(after, lambda c: c.method == "views.publish", "the App Home")
    return asked.phone.screen_of_view("modal", dict(call.params["view"], id=checklist_id))


def words(bot, number, user=ADMIN):
    """Every word of the checklist modal (its summary and each of its sections)."""
    return whole(opened(bot, number, user))


def team_up(bot, number, users=("UA", "UB")):
    for user in users:
        bot.train(user)
        assert "signed up" in bot.command(user, f"signup {number}").text()


def make_ready(bot, number):
    """Everything the default checklist asks for, so only what a test breaks is missing."""
    team_up(bot, number)
    bot.train("ULEAD")  # the lead goes out too: the team's training holds for the lead
    bot.train("UA", "outreach-lead")
    assert "Saved" in bot.command("UA", "profile languages Spanish").text()
    partner = add_partner(bot, "Night Line", DEFAULT_CATEGORIES, languages=["es"])
    for category in DEFAULT_CATEGORIES:
        assert rd.set_on_call(bot.store, protocol(bot), shift_id=number, actor=ADMIN, category=category,
                              partner_id=partner)
    pick_contact(bot, number)
    for item_id in TICKED:
        assert rd.tick(bot.store, protocol(bot), shift_id=number, actor="ULEAD", item_id=item_id, ticked=True)
    for item_id in EVIDENCE:
        assert rd.tick(bot.store, protocol(bot), shift_id=number, actor="ULEAD", item_id=item_id, ticked=True,
                       evidence="Officer on duty, via dispatch")
    assert state_of(bot, number).ready, [i.id for i in state_of(bot, number).missing]
    return partner


# ---------------------------------------------------------------- the checklist and who sees it


def test_new_shift_gets_its_own_checklist_and_who_may_see_it(bot):
    number = bot.create_shift()
    rows = list(bot.db.query("SELECT item_id FROM readiness_items WHERE shift_id = ? ORDER BY position", [number]))
    assert [r["item_id"] for r in rows] == [e.id for e in protocol(bot).checklist]
    lead = opened(bot, number, "ULEAD")
    assert lead.kind == "modal" and lead.view["callback_id"] == "ready_checklist"
    parts = every_section(lead)
    assert "1 of 14 ready" in lead.words  # the hotline; the lead (the team so far) lacks the training
    assert "Not ready" in lead.words and "team 1 of minimum 2, the lead included" in whole(lead)
    assert "Law enforcement" in lead.words
    ticks = [b["accessory"] for part in parts for b in part.blocks
             if (b.get("accessory") or {}).get("action_id") == "ready_tick"]
    assert len(ticks) == 8 and all(len(t["options"]) == 1 for t in ticks)
    stranger, _ = checklist(bot, "USTRANGER", number)
    assert "Only the shift's lead, its volunteers and coordinators" in stranger["text"] and "blocks" not in stranger
    team_up(bot, number, ("UA",))
    member, _ = checklist(bot, "UA", number)
    assert "team 2 of minimum 2" in message_text(member) and member["response_type"] == "ephemeral"
    assert not [b for b in member["blocks"] if b["type"] == "actions" or b.get("accessory")]  # read-only
    assert len(bot.fake.calls_to("views.open")) == 1  # the lead's modal only
    assert "no shift #999" in bot.command(ADMIN, "checklist 999").text()


def test_readiness_shows_in_shift_list_details_and_home(bot):
    number = bot.create_shift()
    listed = bot.command("UV", "shifts").text()  # a volunteer: one badge, not the coordinator's detail
    assert "Not ready yet" in listed and "no agency picked" not in listed and "/outreach" not in listed
    listed = bot.command(ADMIN, "shifts").text()
    assert "Not ready: " in listed and "no agency picked from the partner directory" in listed
    bot.click("UV", "shift_details", str(number))
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert "Readiness:" in message_text({"blocks": view["blocks"]})
    bot.event({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"})
    home = bot.fake.wait_for("views.publish")[-1].params["view"]
    assert "Not ready" in message_text({"blocks": home["blocks"]})


def readiness_lines(blocks):
    """The readiness line of each shift in a list's blocks, by shift number (the summary's last line)."""
    out = {}
    for block in blocks:
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        if text.startswith("*#"):
            number = int(text[2:].split(" ")[0])
            out[number] = next(line for line in text.split("\n") if "ready" in line or "Go" in line)
    return out


def test_a_list_reads_every_shifts_readiness_as_its_own_checklist_does(bot):
    day = bot.clock().date()
    ready, lacking, empty, languages = (
        bot.create_shift(start_date=(day + timedelta(days=n)).isoformat(), end_date=(day + timedelta(days=n)).isoformat(),
                         **extra)
        for n, extra in ((1, {}), (2, {}), (3, {}), (4, {"languages": ["vi"]})))
    make_ready(bot, ready)
    team_up(bot, lacking, ("UC", "UD"))
    bot.db.execute("UPDATE trainings SET expires_on = '2026-11-01' WHERE user_id = 'UD'")
    with bot.store.write() as db:  # one experienced member by earlier shifts, counted for this list too
        for n in range(3):
            past = db["shifts"].insert({
                "kind": "direct", "venue": "motel", "area": "Old", "starts_at": f"2026-10-0{n + 1}T01:00:00+00:00",
                "ends_at": f"2026-10-0{n + 1}T04:00:00+00:00", "tz": "UTC", "capacity": 3, "min_team": 2,
                "status": "planned"}).last_pk
            db["signups"].insert({"shift_id": past, "user_id": "UC", "status": "confirmed"})
        db.execute("DELETE FROM readiness_items WHERE shift_id = ?", [empty])  # a shift without its checklist yet
        db.execute("DELETE FROM readiness WHERE shift_id = ?", [empty])
    team_up(bot, languages, ("UA",))  # Spanish speaker from make_ready; the shift needs Vietnamese
    listed = readiness_lines(bot.command("UV", "shifts").reply()["blocks"])
    assert rd.load_protocol(bot.settings.data_dir) and bot.db["readiness"].get(empty)  # made by the list
    for number in (ready, lacking, empty, languages):
        alone = bot.kit.render("readiness/line.j2", r=state_of(bot, number))
        assert listed[number] == alone, (number, listed[number], alone)
    assert "Ready, Go not recorded" in listed[ready]
    assert "Not ready" in listed[lacking] and "Not ready" in listed[empty] and "Not ready" in listed[languages]
    assert not item(state_of(bot, lacking), "team-trained").passed
    assert item(state_of(bot, lacking), "team-experienced").passed
    assert not item(state_of(bot, languages), "languages-covered").passed
    bot.event({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"})
    home = bot.fake.wait_for("views.publish")[-1].params["view"]
    staffing = message_text({"blocks": home["blocks"]})
    for number in (ready, lacking, empty, languages):
        assert bot.kit.render("readiness/line.j2", r=state_of(bot, number), detail=True) in staffing


def test_items_apply_by_kind_of_shift(bot):
    number = bot.create_shift(kind="training", venue="community-venue", min_team="1", training="none", languages=[])
    state = state_of(bot, number)
    assert {i.id for i in state.items} == {"team-size", "team-trained"}
    assert item(state, "team-trained").passed and "no training required" in words(bot, number)


# ---------------------------------------------------------------- computed items, passing and failing


def test_team_size_and_training_items(bot):
    number = bot.create_shift(min_team="3")
    team_up(bot, number, ("UA",))
    assert not item(state_of(bot, number), "team-size").passed
    assert "team 2 of minimum 3, the lead included" in words(bot, number)
    team_up(bot, number, ("UB",))
    state = state_of(bot, number)
    assert item(state, "team-size").passed and not item(state, "team-trained").passed  # the lead's is missing
    bot.train("ULEAD")
    assert item(state_of(bot, number), "team-trained").passed
    # UB's training record turns out to end before the shift's date.
    bot.db.execute("UPDATE trainings SET expires_on = '2026-11-01' WHERE user_id = 'UB'")
    bot.db.conn.commit()
    assert "Direct outreach training not valid on the shift's date for <@UB>" in words(bot, number)


def test_experienced_by_lead_training_or_earlier_shifts(bot):
    number = bot.create_shift()
    team_up(bot, number)
    assert "nobody on the team holds Outreach lead training or has done 3 direct-outreach shifts" in words(bot, number)
    # Three earlier direct-outreach shifts done by UB count as experience.
    with bot.store.write() as db:
        for n in range(3):
            past = db["shifts"].insert({
                "kind": "direct", "venue": "motel", "area": "Old", "starts_at": f"2026-10-0{n + 1}T01:00:00+00:00",
                "ends_at": f"2026-10-0{n + 1}T04:00:00+00:00", "tz": "UTC", "capacity": 3, "min_team": 2,
                "status": "planned",
            }).last_pk
            db["signups"].insert({"shift_id": past, "user_id": "UB", "status": "confirmed"})
    assert "experienced: <@UB>" in words(bot, number)


def test_experienced_by_lead_training(bot):
    number = bot.create_shift()
    team_up(bot, number)
    bot.train("UA", "outreach-lead")
    assert item(state_of(bot, number), "team-experienced").passed


def test_languages_covered_by_member_or_partner_on_call(bot):
    number = bot.create_shift(languages=["es", "vi"])
    team_up(bot, number)
    assert "not covered: Spanish, Vietnamese" in words(bot, number)
    assert "Spanish" in bot.command("UA", "profile languages es").text()
    assert "I don't know the language `Klingon`" in bot.command("UA", "profile languages Klingon").text()
    assert rd.languages_of(bot.db, "UA") == ["es"]
    assert "not covered: Vietnamese" in words(bot, number)
    add_partner(bot, "Saigon Help", ["translation"], languages=["vi"])
    picked = section(opened(bot, number), "Service readiness").choose(
        "Saigon Help (24/7)", near="*Translation and interpretation*").modal()
    assert "covered: Spanish, Vietnamese" in picked.words


def test_services_on_call_per_category(bot):
    number = bot.create_shift()
    assert "no partner on call for Crisis intervention, Emergency housing, Medical care" in words(bot, number)
    partner = add_partner(bot, "All Night", DEFAULT_CATEGORIES)
    screen = section(opened(bot, number, "ULEAD"), "Service readiness")
    first = screen.view["id"]
    for category in DEFAULT_CATEGORIES:
        name = protocol(bot).category_name(category)
        screen = screen.choose("All Night (24/7)", near=f"*{name}*").modal()
        assert screen.view["id"] == first  # updated in place
        assert f"*{name}*: All Night on call, confirmed by <@ULEAD>" in screen.words
    assert item(state_of(bot, number), "services-on-call").passed
    assert "on call: Crisis intervention: All Night" in screen.words
    row = bot.db["on_call"].get((number, "medical-care"))
    assert row["confirmed_by"] == "ULEAD" and row["partner_id"] == partner
    # A partner that does not cover the category cannot be confirmed for it, even by a forged payload.
    other = add_partner(bot, "Dentists Only", ["dental-care"])
    act(bot, ADMIN, {"type": "static_select", "action_id": "ready_oncall", "selected_option": {"value": str(other)}},
        block_id=f"oncall:{number}:medical-care").reply()
    assert bot.db["on_call"].get((number, "medical-care"))["partner_id"] == partner


# ---------------------------------------------------------------- ticking, evidence, forged payloads


def tick_action(selected):
    return {"type": "checkboxes", "action_id": "ready_tick", "selected_options": [{"value": v} for v in selected]}


def test_lead_ticks_items_and_the_modal_updates_in_place(bot):
    number = bot.create_shift()
    screen = section(opened(bot, number, "ULEAD"), "Law enforcement")
    screen = screen.choose("Done", near="A law enforcement liaison was notified").modal()
    screen = screen.choose("Done", near="The response protocol with law enforcement").modal()
    assert "3 of 14 ready" in screen.words
    assert "A law enforcement liaison was notified of the date and area*\nticked by <@ULEAD>" in screen.words
    rows = {r["item_id"]: r for r in bot.db.query("SELECT * FROM readiness_items WHERE shift_id = ?", [number])}
    assert rows["le-liaison"]["ticked_by"] == "ULEAD" and rows["le-liaison"]["ticked_at"]
    # Unticking one (a coordinator, in their own modal): the other stays.
    section(opened(bot, number), "Law enforcement").choose("Done", near="A law enforcement liaison was notified").modal()
    rows = {r["item_id"]: r for r in bot.db.query("SELECT * FROM readiness_items WHERE shift_id = ?", [number])}
    assert rows["le-liaison"]["ticked_by"] is None and rows["le-protocol"]["ticked_by"] == "ULEAD"
    audit = [r["action"] for r in bot.db.query("SELECT action FROM audit WHERE action LIKE 'readiness.%'")]
    assert audit == ["readiness.tick", "readiness.tick", "readiness.untick"]
    # A tick from a checklist message of the first version (one box per section) still works.
    act(bot, "ULEAD", tick_action(["le-liaison", "le-protocol"]), block_id=f"tick:{number}:law-enforcement").reply()
    assert bot.db["readiness_items"].get((number, "le-liaison"))["ticked_by"] == "ULEAD"


def test_volunteers_cannot_tick_or_choose_even_with_forged_payloads(bot):
    number = bot.create_shift()
    team_up(bot, number, ("UA",))
    partner = add_partner(bot, "All Night", DEFAULT_CATEGORIES)
    for user in ("UA", "USTRANGER"):
        refused = act(bot, user, tick_action(["le-liaison"]), block_id=f"tick:{number}:le-liaison:0").reply()
        assert "Only the shift's lead and coordinators" in refused["text"] and refused["replace_original"] is False
        act(bot, user, {"type": "static_select", "action_id": "ready_oncall", "selected_option": {"value": str(partner)}},
            block_id=f"oncall:{number}:medical-care").reply()
        act(bot, user, {"type": "static_select", "action_id": "ready_hotline", "selected_option": {"value": "national"}},
            block_id=f"hotline:{number}").reply()
        act(bot, user, {"type": "button", "action_id": "ready_evidence", "value": f"{number}:meeting-point"}).reply()
        evidence = bot.submit(user, "ready_evidence", {"evidence": "Library steps"},
                              metadata={"shift_id": number, "item": "meeting-point"})
        assert evidence.json()["response_action"] == "errors"
        go = act(bot, user, {"type": "button", "action_id": "ready_go", "value": str(number)}).reply()
        assert "Only the shift's lead and coordinators can change its checklist or record Go" in go["text"]
    # A tick forged from inside a checklist modal (the lead's, replayed by a volunteer) is refused in that modal.
    volunteer = Phone(bot, "UA")
    lead_modal = section(opened(bot, number, "ULEAD"), "Team and safety")
    refused = volunteer.screen_of_view("modal", lead_modal.view).choose("Done", near="Buddy pairs").modal()
    assert "Only the shift's lead and coordinators can change its checklist" in refused.words
    assert not refused.buttons and "Done" not in refused.words
    assert bot.db.execute("SELECT count(*) FROM readiness_items WHERE ticked_by IS NOT NULL").fetchone()[0] == 0
    assert bot.db["on_call"].count == 0 and len(bot.fake.calls_to("views.open")) == 1  # the lead's
    assert bot.db.execute("SELECT count(*) FROM audit WHERE action LIKE 'readiness.%'").fetchone()[0] == 0


def test_evidence_items_ask_for_evidence_in_a_pushed_view(bot):
    number = bot.create_shift()
    screen = section(opened(bot, number, "ULEAD"), "Team and safety")
    # Ticking an evidence item's box pushes the question over the checklist instead of ticking it bare.
    tapped = screen.choose("Done", near="The meeting point is set")
    asked = tapped.modal()
    push = bot.fake.calls_to("views.push")[-1]
    assert push.params["trigger_id"] == tapped.trigger and asked.view["callback_id"] == "ready_evidence"
    assert asked.inputs == ["Where does the team meet?"]
    meta = json.loads(asked.view["private_metadata"])
    assert meta["item"] == "meeting-point" and meta["shift_id"] == number and meta["checklist"] == screen.view["id"]
    tapped.home()  # the tap's work is done: the lead's App Home is republished last
    assert asked.submit({"Where does the team meet?": " "}).errors == {"evidence": "Write the evidence in a few words."}
    back = answered(asked, {"Where does the team meet?": "Library steps, 18:45"}, screen.view["id"])
    assert back.view["id"] == screen.view["id"] and "Library steps, 18:45" in back.words and "2 of 14 ready" in back.words
    row = bot.db["readiness_items"].get((number, "meeting-point"))
    assert row["ticked_by"] == "ULEAD" and row["evidence"] == "Library steps, 18:45"


def test_who_is_called_if_the_team_goes_silent_is_a_member_picked(bot):
    number = bot.create_shift()
    asked = asked_for(section(opened(bot, number, "ULEAD"), "Team and safety"), "Someone is named to call")
    field = next(b for b in asked.blocks if b["type"] == "input")
    assert field["element"]["type"] == "users_select"
    assert asked.submit({"Who is called if the team goes silent?": None}).errors == {
        "evidence": "Pick the person who is called."}
    back = answered(asked, {"Who is called if the team goes silent?": "UCOORD"}, asked.view["previous_view_id"])
    assert "Someone is named to call if the team goes silent*\nticked by <@ULEAD>" in back.words
    assert ": <@UCOORD>" in back.words
    assert bot.db["readiness_items"].get((number, "silence-contact"))["evidence"] == "UCOORD"
    # Unticked, the person named is forgotten with the tick.
    again = back.choose("Done", near="Someone is named to call").modal()
    row = bot.db["readiness_items"].get((number, "silence-contact"))
    assert row["ticked_by"] is None and row["evidence"] is None and "<@UCOORD>" not in again.words


# ---------------------------------------------------------------- Go / no-go and its revocation


def test_go_refused_naming_what_is_missing_then_accepted(bot):
    number = bot.create_shift()
    refused = bot.command("ULEAD", f"go {number}").text()
    assert "No Go for shift" in refused and "team 1 of minimum 2" in refused and "not ticked yet" in refused
    assert bot.db["readiness"].get(number)["go_by"] is None
    assert "Only the shift's lead or a coordinator" in bot.command("UA", f"go {number}").text()
    assert "Record Go" not in opened(bot, number, "ULEAD").buttons
    make_ready(bot, number)
    screen = opened(bot, number, "ULEAD")
    assert "14 of 14 ready" in screen.words and screen.buttons[0] == "Record Go"
    after = screen.tap("Record Go").modal()
    assert after.view["id"] == screen.view["id"] and "Record Go" not in after.buttons
    assert "*Go recorded* by <@ULEAD> at <!date^" in after.words and "^{time}|" in after.words
    record = bot.db["readiness"].get(number)
    assert record["go_by"] == "ULEAD" and record["go_at"]
    assert "already recorded" in bot.command(ADMIN, f"go {number}").text()
    assert "*Go* recorded by <@ULEAD>" in bot.command("UV", "shifts").text()


def test_withdrawal_breaking_readiness_takes_go_back_and_tells_lead_and_coordinators_once(bot):
    number = bot.create_shift(min_team="3")
    make_ready(bot, number)
    assert "*Go* recorded" in bot.command("ULEAD", f"go {number}").text()
    assert "withdrawn" in bot.command("UB", f"withdraw {number}").text()
    assert bot.db["readiness"].get(number)["go_by"] is None
    lead = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "ULEAD"
                             and "Go taken back" in message_text(c.params))[-1]  # beside "your team changed"
    coord = bot.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == COORD_CHANNEL
                              and "Go taken back" in str(c.params.get("text")))[-1]
    for call in (lead, coord):
        assert "Go taken back for shift" in message_text(call.params) and "team 2 of minimum 3" in message_text(call.params)
        assert "`/outreach" not in message_text(call.params)  # a button to tap, not a command to type
        assert [b["action_id"] for b in call.params["blocks"][-1]["elements"]] == ["ready_open", "shift_details"]
    # Told once: the periodic re-check and a second break do not repeat it.
    bot.kit.tick()
    bot.command("UA", f"withdraw {number}").reply()
    bot.kit.tick()
    told = [c for c in bot.fake.calls_to("chat.postMessage") if "Go taken back" in str(c.params.get("text"))]
    assert len(told) == 2
    assert "taken back" in words(bot, number)


def test_withdrawal_filled_from_the_waitlist_keeps_go(bot):
    number = bot.create_shift(capacity="2")
    make_ready(bot, number)
    bot.train("UC")
    bot.command("UC", f"signup {number}").reply()  # waitlisted
    bot.command("ULEAD", f"go {number}").reply()
    bot.command("UB", f"withdraw {number}").reply()
    assert bot.db["readiness"].get(number)["go_by"] == "ULEAD"
    bot.kit.tick()
    assert not [c for c in bot.fake.calls_to("chat.postMessage") if "Go taken back" in str(c.params.get("text"))]


def test_partner_withdrawing_on_call_takes_go_back(bot):
    number = bot.create_shift()
    make_ready(bot, number)
    bot.command("ULEAD", f"go {number}").reply()
    act(bot, ADMIN, {"type": "static_select", "action_id": "ready_oncall", "selected_option": {"value": "none"}},
        block_id=f"oncall:{number}:housing-emergency").reply()
    assert bot.db["readiness"].get(number)["go_by"] is None
    call = bot.fake.wait_for("chat.postMessage", where=lambda c: "Go taken back" in str(c.params.get("text")))[-1]
    assert "no partner on call for Emergency housing" in message_text(call.params)


def test_training_expiring_is_caught_by_the_periodic_recheck(bot):
    number = bot.create_shift()
    make_ready(bot, number)
    bot.command("ULEAD", f"go {number}").reply()
    bot.db.execute("UPDATE trainings SET expires_on = '2026-11-01' WHERE user_id = 'UB' AND training = 'direct-outreach'")
    bot.db.conn.commit()
    bot.clock.advance(minutes=1)
    bot.kit.tick()
    assert bot.db["readiness"].get(number)["go_by"] is None
    call = bot.fake.wait_for("chat.postMessage", where=lambda c: "Go taken back" in str(c.params.get("text")))[-1]
    assert "not valid on the shift's date for <@UB>" in call.params["text"]


# ---------------------------------------------------------------- the checklist file


def copy_data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target, ignore=shutil.ignore_patterns("*.db*"))
    return target


@pytest.mark.parametrize("bad, line, problem", [
    ("- id: x\n  name: X\n  section: kitchen\n  kinds: [direct]\n", 1, "`section` must be one of"),
    ("- id: ok\n  name: Team\n  section: team-safety\n  check: team_size\n  kinds: [direct]\n"
     "- id: x\n  name: X\n  section: services\n  check: magic\n  kinds: [direct]\n", 6, "unknown `check` 'magic'"),
    ("- id: x\n  name: X\n  section: services\n  check: services\n  categories: [massage]\n  kinds: [direct]\n", 1,
     "unknown service category 'massage'"),
    ("- id: x\n  name: X\n  section: hotline\n  kinds: [night]\n", 1, "`kinds` must be a list"),
    ("- id: x\n  name: X\n\tsection: services\n", 3, "is not valid YAML"),
])
def test_malformed_checklist_names_file_line_and_problem(tmp_path, bad, line, problem):
    data = copy_data(tmp_path)
    (data / "checklist.yml").write_text(bad)
    with pytest.raises(CatalogError) as info:
        rd.load_protocol(data, fresh=True)
    assert f"checklist.yml, line {line}" in str(info.value) and problem in str(info.value)


def test_malformed_checklist_stops_start_up(tmp_path):
    from test_settings import GOOD, run_bot

    data = copy_data(tmp_path)
    (data / "checklist.yml").write_text("- id: x\n  name: X\n  section: kitchen\n  kinds: [direct]\n")
    result = run_bot("check", env={**GOOD, "OUTREACH_DATA_DIR": str(data)}, cwd=tmp_path)
    assert result.returncode == 2 and "checklist.yml, line 1" in result.stderr and "`section`" in result.stderr
    assert "Traceback" not in result.stderr


def test_file_edits_do_not_rewrite_planned_checklists_but_can_be_pulled(fake, clock, tmp_path):
    from conftest import Bot

    data = copy_data(tmp_path)
    first = Bot(fake, tmp_path, clock, env={"OUTREACH_DATA_DIR": str(data)})
    number = first.create_shift()
    first.close()
    with (data / "checklist.yml").open("a") as f:
        f.write("- id: radio-check\n  name: Radios are charged\n  section: team-safety\n  kinds: [direct]\n")
    bot = Bot(fake, tmp_path, clock, env={"OUTREACH_DATA_DIR": str(data)})
    try:
        assert "radio-check" not in {i.id for i in state_of(bot, number).items}
        screen = opened(bot, number)
        assert "Add 1 new checklist items" in screen.buttons
        refused = act(bot, "USTRANGER", {"type": "button", "action_id": "ready_pull", "value": str(number)}).reply()
        assert "Only the shift's lead" in refused["text"]
        pulled = screen.tap("Add 1 new checklist items").modal()
        assert "Added 1 new checklist item: Radios are charged" in pulled.words
        assert "Radios are charged" in pulled.words and "Add 1 new checklist items" not in pulled.buttons
        assert "radio-check" in {i.id for i in state_of(bot, number).items}
        assert "already has every item" in Phone(bot, ADMIN).command(f"checklist {number} pull").modal().words
        newer = bot.create_shift(start_time="20:00")
        assert "radio-check" in {i.id for i in state_of(bot, newer).items}
    finally:
        bot.close()
