"""The notes screen: each kind of personal detail is found and named; ordinary outreach notes pass."""

from __future__ import annotations

import pytest

from outreach.privacy import explain, screen


@pytest.mark.parametrize("text, kind", [
    ("call her at 555-123-4567", "phone"),
    ("tel +1 (312) 555 0199", "phone"),
    ("WhatsApp 5551234567", "phone"),
    ("mail maria.g@example.com", "email"),
    ("she stays at 1423 W Maple Ave", "address"),
    ("room 12 at the back", "address"),
    ("PO Box 55", "address"),
    ("DOB 03/14/1999", "birth"),
    ("born on March 3, 1998", "birth"),
    ("1999-03-14", "birth"),
    ("Name: Maria", "name"),
    ("nombre: Ana", "name"),
    ("first name = Li", "name"),
])
def test_each_kind_is_found(text, kind):
    assert [f.kind for f in screen(text, current_year=2026)] == [kind]


@pytest.mark.parametrize("text", [
    "Quiet night. 40 cards handed out, 3 longer talks in Spanish.",
    "Manager was friendly; we went on 11/22/2026 from 7pm to 11pm.",
    "Two people asked about the clinic on 2026-11-22; 12 contacts.",
    "Hotline number on the cards is the national one.",
    "",
])
def test_ordinary_notes_pass(text):
    assert screen(text, current_year=2026) == []


def test_explanation_names_each_finding_and_why_without_repeating_it_whole():
    message = explain(screen("Name: Rosa, 773-555-0142, rosa@example.org", current_year=2026))
    assert "a name label" in message and "a phone number" in message and "an e-mail address" in message
    assert "identify anyone" in message and "773-555-0142" not in message and "rosa@example.org" not in message
