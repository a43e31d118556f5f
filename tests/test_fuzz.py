"""Property-based bad input: slash-command text and modal values never crash and store nothing bad."""

from __future__ import annotations

import json

from conftest import ADMIN, eventually, message_text, shift_fields
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.commands import REGISTRY

ERROR_WORDS = "Something went wrong on my side"
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
nasty = st.text(
    alphabet=st.sampled_from(list("abc XYZ019#@<>&|!*_~`'\"\\/\n\t\x00\x07é中🙂-:")) | st.characters(exclude_categories=("Cs",)),
    max_size=120,
)


@FUZZ
@given(name=st.sampled_from(sorted(REGISTRY)), args=nasty)
def test_any_subcommand_text_gets_a_clear_answer(bot, name, args):
    for user in (ADMIN, "UVOL"):
        sent = bot.command(user, f"{name} {args}")
        assert sent.status == 200
        # Every command answers: a reply beside it, or a modal (hotline, refer, hours, roster, new, edit...).
        path, trigger = f"/response_url/{sent.response_name}", f"trig-{sent.response_name}"
        eventually(lambda p=path, t=trigger: any(
            c.path == p or (c.method == "views.open" and c.params.get("trigger_id") == t) for c in list(bot.fake.calls)))
        replies = [c for c in bot.fake.calls_to("response_url") if c.path == path]
        if replies:
            text = message_text(replies[0].params)
            assert text and ERROR_WORDS not in text


@FUZZ
@given(field=st.sampled_from(["kind", "venue", "area", "start_date", "start_time", "end_date", "end_time",
                              "capacity", "min_team", "lead", "training", "notes"]),
       value=nasty | st.none())
def test_any_form_value_is_refused_inline_or_stored_clean(bot, field, value):
    before = bot.db["shifts"].count
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, **{field: value}), metadata={"channel": "C1"})
    assert sent.status == 200
    if sent.body:
        body = json.loads(sent.body)
        assert body["response_action"] == "errors" and all(body["errors"].values())
        assert bot.db["shifts"].count == before
    else:
        post = bot.fake.wait_for("chat.postMessage", count=before + 1,  # the posts, not the lead's DMs
                                 where=lambda c: c.params.get("channel") == "C1")[-1]
        row = bot.db["shifts"].get(before + 1)
        for column in ("area", "notes"):
            assert not any(ch in row[column] for ch in "\x00\x07")
        assert "<!" not in message_text(post.params).replace("<!date^", "")


def test_oversized_text_is_refused_or_clipped_where_echoed(bot):
    sent = bot.submit(ADMIN, "shift_form", shift_fields(bot.clock, area="x" * 5000), metadata={"channel": "C1"})
    assert "under 80 characters" in sent.json()["errors"]["area"]
    number = bot.create_shift(notes="<!channel> " + "n" * 980)
    bot.click("UV", "shift_details", str(number))
    view = bot.fake.wait_for("views.open")[0].params["view"]
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")
    assert "&lt;!channel&gt;" in message_text({"blocks": view["blocks"]})
    long_reason = "r" * 4000
    text = bot.command(ADMIN, f"cancel {number} {long_reason}").text()
    assert "is cancelled" in text
    assert len(bot.db["shifts"].get(number)["cancel_reason"]) <= 300
