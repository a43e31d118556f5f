"""Screening free text for personal details of the people met during outreach.

Notes must never identify anyone: a name (given, a nickname, a name with an age), a phone number
(whole or in part), an e-mail address, a social media handle, a street address, a room, unit, lot or
space number, a plate number, an ID, passport or immigration number, or a date of birth is refused,
and the writer is told what was found and why. The screen errs on the side of refusing: a team can
always rephrase ("gave a hotline card").

Text is normalised before it is read, so the usual ways of slipping past a pattern do not work:
Unicode compatibility forms (full-width digits, `＠`), invisible format characters (zero-width
spaces, soft hyphens), every kind of dash, dot and slash, e-mail addresses written out ("maria at
gmail dot com", "(at)") or spaced out ("r o s a @ g m a i l . c o m"), numbers spelled out in
English or Spanish ("five five five", "cinco cinco"), and letters standing for digits inside a
number ("2O1", "5five5", "33four4"). Phone numbers are found with Google's libphonenumber
(`PhoneNumberMatcher`) in the coalition's region and in international format, with a fallback for
any other run of seven digits or more, a number read out in groups ("555, 201, 3344"), a masked one
("555-201-xxxx") and a part of one ("her number ends in 3344"). The hotline numbers a team hands
out (the national hotline and data/hotlines.yml) are allowed. What is ordinary in a debrief passes:
streets and corners ("4th Street and Pine"), counts, times, shift numbers ("#12"), "Number 1
priority", a place's own name ("a shelter named Casa Esperanza").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

from outreach.catalog import Words
from outreach.i18n import N_
from outreach.i18n import gettext as _

NATIONAL_NUMBERS = ("1-888-373-7888", "233733")  # the US National Human Trafficking Hotline: call, text
DEFAULT_REGION = "US"

WHAT = Words({  # each read in the language in force
    "name": N_("a name"),
    "phone": N_("a phone number"),
    "email": N_("an e-mail address"),
    "handle": N_("a social media handle"),
    "address": N_("a street address"),
    "room": N_("a room, unit, lot or space number"),
    "plate": N_("a plate number"),
    "id": N_("an ID, passport or immigration number"),
    "birth": N_("a date of birth"),
    "age": N_("someone's age"),
    "origin": N_("where someone comes from and who with"),
})
ORDER = tuple(WHAT)


@dataclass(frozen=True)
class Finding:
    """One personal detail found: its kind and a masked hint of where it is."""

    kind: str
    hint: str

    @property
    def label(self) -> str:
        """What was found, in words."""
        return WHAT[self.kind]


# ---------------------------------------------------------------- normalising

DOTS = "·•∙⋅・･‧◦"
SLASHES = "⁄∕⧸"


@lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    """A word lower-cased and without accents, for looking it up."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def _plain(char: str) -> str:
    """One character after NFKC as the screen reads it: nothing if invisible, an ASCII digit, dash, dot, slash or space."""
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me") or (category == "Cc" and char not in "\n\t"):
        return ""
    if category == "Nd":
        return str(unicodedata.digit(char, 0))
    if category == "Pd" or char == "−":
        return "-"
    if char in DOTS:
        return "."
    if char in SLASHES:
        return "/"
    return " " if category == "Zs" else char


def normalise(text: str) -> str:
    """NFKC, no invisible or combining characters, ASCII digits, one dash, one dot, one slash."""
    text = "".join(map(_plain, unicodedata.normalize("NFKC", text)))
    # Written-out e-mail separators: (at) [at] {at} <at> and (dot) [dot], in English and Spanish.
    text = re.sub(r"\s*[(\[{<]\s*(?:at|arroba)\s*[)\]}>]\s*", "@", text, flags=re.IGNORECASE)
    return re.sub(r"\s*[(\[{<]\s*(?:dot|punto)\s*[)\]}>]\s*", ".", text, flags=re.IGNORECASE)


# ---------------------------------------------------------------- numbers written in words

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "cero": 0, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9,
}
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veintiuno": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
    # accented spellings, so that patterns built from these words match them as typed
    "dieciséis": 16, "veintiún": 21, "veintidós": 22, "veintitrés": 23, "veintiséis": 26,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80,
    "noventa": 90,
}
HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300, "cuatrocientos": 400, "quinientos": 500,
    "seiscientos": 600, "setecientos": 700, "ochocientos": 800, "novecientos": 900,
}
SCALES = {"hundred": 100, "thousand": 1000, "mil": 1000}
REPEATS = {"double": 2, "triple": 3, "doble": 2}
NUMBER_WORDS = set(UNITS) | set(TEENS) | set(TENS) | set(HUNDREDS) | set(SCALES) | set(REPEATS) | {"oh"}
CONNECTORS = {"and", "y"}
ORDINALS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth"
    "|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|primero"
)
WORD = re.compile(r"[^\W\d_]+")
RUN_GAP = re.compile(r"[\s,;.\-]+")


def _cardinal(words: list[str]) -> int:
    total, current = 0, 0
    for word in words:
        if word in SCALES:
            if SCALES[word] == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * SCALES[word]
                current = 0
        else:
            current += UNITS.get(word, 0) + TEENS.get(word, 0) + TENS.get(word, 0) + HUNDREDS.get(word, 0)
    return total + current


def _digits(words: list[str]) -> str:
    """The digits a run of number words says: spoken digit by digit, in pairs, or as one number."""
    words = [w for w in words if w not in CONNECTORS]
    if any(w in SCALES or w in HUNDREDS for w in words):
        return str(_cardinal(words))
    out: list[str] = []
    repeat = 1
    for n, word in enumerate(words):
        if word in REPEATS:
            repeat = REPEATS[word]
            continue
        if word in TENS and n + 1 < len(words) and 1 <= UNITS.get(words[n + 1], -1) <= 9:
            out.append(str(TENS[word])[0])
        elif word in TENS:
            out.append(str(TENS[word]))
        elif word in TEENS:
            out.append(str(TEENS[word]))
        else:
            out.append(str(UNITS.get(word, 0)) * repeat)
        repeat = 1
    return "".join(out)


def spell_out_numbers(text: str) -> str:
    """Runs of two or more number words (English or Spanish) replaced by the digits they say."""
    tokens = list(WORD.finditer(text))
    pieces, last, i = [], 0, 0
    while i < len(tokens):
        if _fold(tokens[i].group()) not in NUMBER_WORDS:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and RUN_GAP.fullmatch(text[tokens[j].end():tokens[j + 1].start()]):
            nxt = _fold(tokens[j + 1].group())
            if nxt in NUMBER_WORDS:
                j += 1
            elif (nxt in CONNECTORS and j + 2 < len(tokens) and _fold(tokens[j + 2].group()) in NUMBER_WORDS
                  and RUN_GAP.fullmatch(text[tokens[j + 1].end():tokens[j + 2].start()])):
                j += 2
            else:
                break
        run = [_fold(t.group()) for t in tokens[i:j + 1]]
        start, end = i, j
        while start <= end and run[start - i] in ("oh", *REPEATS):  # "Oh, two women" is no number
            start += 1
        while end >= start and run[end - i] in ("oh", *REPEATS, *CONNECTORS):
            end -= 1
        if end - start >= 1:
            pieces += [text[last:tokens[start].start()], _digits(run[start - i:end - i + 1])]
            last = tokens[end].end()
        i = j + 1
    return "".join(pieces) + text[last:]


# ---------------------------------------------------------------- digits written with letters

LOOKALIKES = str.maketrans("OolI", "0011")
DIGIT_WORDS = {w: str(v) for w, v in UNITS.items() if w != "una"} | {"oh": "0"}
TOKEN = re.compile(r"[^\W_]+")
PARTS = re.compile(r"\d+|[^\W\d_]+")
DIGIT_GAP = re.compile(r"[\s.()-]*")


def _as_digits(part: str) -> str | None:
    """The digits a run of letters inside a number stands for (O, o, l, I, a digit word), or None."""
    if not part.strip("OolI"):
        return part.translate(LOOKALIKES)
    return DIGIT_WORDS.get(_fold(part))


def _mixed(token: str, *, strict: bool = True) -> str | None:
    """A token of digits and look-alike letters or digit words ("2O1", "5five5") as digits, or None.

    Strict, a token needs a letter between digits or two digits ("1o" is an ordinal); beside a
    number ("555.2OI.3344") one digit is enough.
    """
    parts = PARTS.findall(token)
    numeric = [p.isdigit() for p in parts]
    if not any(numeric) or all(numeric):
        return None
    inside = any(not numeric[n] and numeric[n - 1] and numeric[n + 1] for n in range(1, len(parts) - 1))
    if strict and not inside and sum(len(p) for p in parts if p.isdigit()) < 2:
        return None
    digits = [p if p.isdigit() else _as_digits(p) or "" for p in parts]
    return None if "" in digits else "".join(digits)


def digit_view(text: str) -> str:
    """The text with letters that stand for digits turned into digits, for finding numbers in it.

    A token mixing digits with O, o, l, I or a digit word ("2O1", "33four4") becomes digits; so does a
    digit word or a run of O, l and I standing between digits ("555 two 01", "555 OOl 3344": a lone digit
    word needs a number on one side only).
    """
    tokens = list(TOKEN.finditer(text))
    values: list[str | None] = [t.group() if t.group().isdigit() else _mixed(t.group()) for t in tokens]

    def numeric_beside(n: int, step: int) -> bool:
        m = n + step
        if not 0 <= m < len(tokens) or values[m] is None:
            return False
        gap = text[tokens[min(n, m)].end():tokens[max(n, m)].start()]
        return bool(DIGIT_GAP.fullmatch(gap))

    for n, token in enumerate(tokens):
        word = token.group()
        if values[n] is not None:
            continue
        if not word.strip("OolI") or _fold(word) == "oh":
            if numeric_beside(n, -1) and numeric_beside(n, 1):
                values[n] = _as_digits(word)
        elif _fold(word) in DIGIT_WORDS or _mixed(word, strict=False):
            if numeric_beside(n, -1) or numeric_beside(n, 1):
                values[n] = _mixed(word, strict=False) or DIGIT_WORDS[_fold(word)]
    pieces, last = [], 0
    for token, value in zip(tokens, values, strict=True):
        if value is not None and value != token.group():
            pieces += [text[last:token.start()], value]
            last = token.end()
    return "".join(pieces) + text[last:]


# ---------------------------------------------------------------- patterns

EMAIL = re.compile(r"[\w.+-]+(?:@|\s@\s)[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}\b")
TLDS = (
    r"com|org|net|edu|gov|info|biz|io|me|co|us|mx|es|gt|hn|sv|ni|cr|pa|ve|ar|cl|pe|ec|bo|uy|py|do|pr|cu|ca|uk"
    r"|de|fr|it|br|ph|vn|cn|in|ru|ht"
)
# Spaced out: "rosa @ gmail . com", "rosa.m @gmail.com" (known top-level domains only: "met @ 7-Eleven. Gave" is no address).
EMAIL_LOOSE = re.compile(rf"[\w.+-]+\s?@\s?[\w-]+(?:\s?\.\s?[\w-]+)*?\s?\.\s?(?:{TLDS})\b", re.IGNORECASE)
SPACED_LETTERS = re.compile(r"(?<!\S)(?:\S ){2,}\S(?!\S)")  # "r o s a" written one character at a time
EMAIL_SPOKEN = re.compile(
    r"[\w.+-]+\s+(?:at|arroba)\s+[\w-]+(?:\s*(?:\.|\s(?:dot|punto)\s)\s*[\w-]+)+", re.IGNORECASE
)
AT_WORD = re.compile(r"\s(?:at|arroba)\s", re.IGNORECASE)
MAIL_PROVIDERS = r"gmail|googlemail|hotmail|outlook|yahoo|ymail|icloud|aol|proton(?:mail)?|yandex|gmx|prodigy"
EMAIL_PROVIDER = re.compile(rf"[\w.+-]+\s*(?:@|\s(?:at|arroba)\s)\s*(?:{MAIL_PROVIDERS})\b", re.IGNORECASE)

MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|sept?iembre|octubre|noviembre|diciembre"
)
DAY_WORDS = "|".join(sorted((w for w, v in {**UNITS, **TEENS}.items() if 1 <= v <= 31), key=len, reverse=True))
DAY = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th|º|°)?|(?:twenty|thirty)[\s-]?(?:{ORDINALS})|{ORDINALS}|{DAY_WORDS}"
    r"|(?:twenty|thirty|veinte|treinta)(?:[\s-](?:y\s)?\w+)?)"
)
YEAR = r"(?:19|20)\d\d"
DATE_NUMERIC = re.compile(r"(?<![\d.:/-])(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})(?![\d/-])")
DATE_WORDS = re.compile(
    rf"\b(?:(?:{MONTHS})\.?\s+(?:the\s+)?{DAY}(?:\s+of)?(?:,?\s+(?:de\s+|del\s+|of\s+)?({YEAR}))?"
    rf"|(?:the\s+|el\s+)?{DAY}\s+(?:of\s+|de\s+)?(?:{MONTHS})\b\.?(?:,?\s+(?:de\s+|del\s+|of\s+)?({YEAR}))?"
    rf"|(?:{MONTHS})\.?,?\s+(?:de\s+|del\s+|of\s+)?({YEAR}))\b",
    re.IGNORECASE,
)
BIRTH_LABEL = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|fecha\s+de\s+nac(?:imiento|\b\.?)|f\.\s?nac\b)",
    re.IGNORECASE,
)
BIRTH_CONTEXT = re.compile(
    r"\b(?:born|birthday|b-?day|cumplea[nñ]os|cumple|naci[oó]|nacid[oa]|naciste|nacimiento|turns?\s+\d+"
    r"|(?:will\s+be|va\s+a\s+cumplir)\s+\d+)\b",
    re.IGNORECASE,
)
YEAR_ALONE = re.compile(rf"\b{YEAR}\b|(?<![\w'])'\d\d\b")
DAY_MONTH = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])")

PHONE_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().\-/]{5,}\d(?!\w)")
# Digits grouped with commas the way a number is read out: "555, 201, 3344"; "12, 15, 20, 8" is a count.
PHONE_READ_OUT = re.compile(r"(?<![\w+,])\d[\d\s]*(?:,\s*\d[\d\s]*){1,3}(?![\w,])")
READ_OUT_GROUPS = {(3, 3, 4), (3, 7), (3, 4), (1, 3, 3, 4), (2, 4, 4), (3, 3, 2, 2)}
TIME = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
BETWEEN_DIGITS = re.compile(r"(?<=\d)\s*[_\\|~*]+\s*(?=\d)|(?<=\d)/(?=\d)")
PHONE_CUE = re.compile(
    r"\b(?:phones?|cell|cel|celular|mobile|m[oó]vil|number|n[uú]mero|tel|tel[eé]fono|whats\s?app|digits|d[ií]gitos"
    r"|line|l[ií]nea|text|txt|call|llamar|marcar)\b",
    re.IGNORECASE,
)
PARTIAL_PHONE = re.compile(
    r"\b(?:ends?|ending|ended|termina|terminaba|acaba)\s+(?:in|with|en|con)\s+\d[\d\s.-]*\d"
    r"|\b(?:starts?|starting|begins?|beginning|empieza|comienza|empezaba)\s+(?:with|con)\s+\(?\d{3}",
    re.IGNORECASE,
)
SOME_DIGITS = re.compile(
    r"\b(?:last|first|[uú]ltimos|primeros)\s+(?:\d|two|three|four|five|six|seven|dos|tres|cuatro|cinco|seis|siete)\s+"
    r"(?:digits|numbers|d[ií]gitos|n[uú]meros)\b",
    re.IGNORECASE,
)
MASKED_PHONE = re.compile(r"(?<![\w*#])\(?[\dxX*#_]{3}\)?[\s.-]?[\dxX*#_]{3}[\s.-]?[\dxX*#_]{4}(?![\w*#])")

STREET_SUFFIX = (
    r"street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|highway|hwy"
    r"|parkway|pkwy|terrace|circle|cir|square|sq|trail|trl|alley"
)
NOT_IN_STREET = (
    r"on|at|near|off|by|and|in|to|the|from|of|with|for|or|along|down|up|across|past|behind|around|outside|inside"
    r"|over|under|through|into|onto|between|beyond|via|per|each|y|en|de|del|la|el|los|las|con|por|cerca"
)
# A house number (a cardinal: "4th Street" is a street's name), up to four words of a street's name
# (capitalised, a direction or an ordinal, or lower-case words that are no plural: "30 cards along Main St"
# is a count), and its suffix; or a box, or a Spanish street's name and number.
STREET_WORD = (
    rf"(?!(?:{NOT_IN_STREET})\b)(?:[A-Z0-9][\w'.-]*|[nsew]\.?|north|south|east|west|(?![a-z]+s\b)[a-z][\w'.-]*)"
)
STREET = re.compile(
    rf"\b\d{{1,6}}(?![\w-])\s+(?:{STREET_WORD}\s+){{0,4}}?(?i:{STREET_SUFFIX})\b\.?"
    r"|\b(?i:lives?|living|stays?|staying|vive|viven)\s+(?i:at|on|en)\s+\d{1,6}\s+(?:[NSEW]\.?\s+)?[A-Z][\w'.-]+"
    r"|(?i:\bp\.?\s?o\.?\s+box\s+\d+|\bapartado\s+(?:postal\s+)?\d+"
    r"|\b(?:calle|avenida|av\.|carrera|calzada|privada|callej[oó]n)\s+(?:[\w.]+\s+){1,3}"
    r"(?:#\s*|no\.?\s*|n[uú]m(?:ero)?\.?\s*)?\d+)",
)
ROOM_WORDS = (
    r"room|rm|hab|habitaci[oó]n|cuarto|apt|apto|apartment|apartamento|depto|dpto|departamento|unit|unidad"
    r"|suite|flat|trailer|tr[aá]iler|cabin|caba[nñ]a|bungalow|door|puerta|lote|casa|space|espacio|site|sitio"
    r"|tent|carpa|bunk|litera|bed|cama|dorm|barracks?|galera"
)
NUMBER_SIGN = r"(?:#|no\.|nº|n°|number|n[uú]mero|num\.?|núm\.?)"
ROOM = re.compile(
    rf"\b(?:{ROOM_WORDS}|(?<!parking\s)lot)\b\.?\s*{NUMBER_SIGN}?\s*(?:[a-z]?-?\d{{1,5}}[a-z]?\b|(?:{DAY_WORDS})\b)",
    re.IGNORECASE,
)
# "Number 214" and "#214" are a room where people stay ("Motel 6, number 214"), not a priority or a shift.
LODGING = re.compile(
    r"\b(?:motels?|hotels?|inns?|lodge|rooms?|apartments?|complex|building|trailers?|park|camp|campground"
    r"|houses?|casa|edificio|vecindad|row|floor|piso|hallway|pasillo|doors?|puerta|cuartos?)\b",
    re.IGNORECASE,
)
NUMBERED = re.compile(
    r"(?<![\w#])(?:(?:number|n[uú]mero|num\.|núm\.|no\.|nº|n°)\s*#?\s*(?!of\b)[a-z]?\d{1,4}[a-z]?"
    r"|#\s?[a-z]?\d{2,4}[a-z]?)(?![\d\-./:])\b",
    re.IGNORECASE,
)
NOT_A_PLACE = re.compile(
    r"\b(?:shift|turno|exit|salida|route|ruta|bus|line|l[ií]nea|hotline|priority|prioridad|volunteer|voluntari[ao]"
    r"|booth|table|mesa|gate|team|equipo|highway|hwy|interstate|week|semana|card|tarjeta|step|paso|page)\s*$",
    re.IGNORECASE,
)
ORDINAL_PLACE = re.compile(
    r"\b(?:the|el|la)\s+(?:second|third|fourth|fifth|sixth|last|2nd|3rd|4th|5th|6th|segund[oa]|tercer[oa]?|cuart[oa]"
    r"|quint[oa]|sext[oa]|[uú]ltim[oa])\s+(?:trailer|cabin|room|door|tent|house|apartment|unit|tr[aá]iler|cuarto"
    r"|puerta|casa|carpa|caba[nñ]a|habitaci[oó]n|departamento)\s+(?:on|from|to|past|by|near|at|a|al|del|de|desde"
    r"|junto)\b",
    re.IGNORECASE,
)
PLATE = re.compile(
    r"\b(?:licen[cs]e\s+(?:plates?|tags?)|plates?|placas?|matr[ií]cula(?!\s+consular)|patente)\b\s*"
    r"(?:number|no\.?|n[uú]mero|#|:|was|were|is|es|era|de|read|reads|said|says)?\s*"
    r"(?:[A-Za-z]+\s+(?=[A-Za-z0-9-]*\d))?"
    r"(?=[A-Za-z0-9 -]{0,10}\d)[A-Za-z0-9]{1,4}(?:[\s-]?[A-Za-z0-9]{1,4}){0,2}\b"
    r"|\btags?\b\s*(?:number|no\.?|#|:|were|was|is)?\s*(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{2,4}[\s-]?\d{2,4}\b",
    re.IGNORECASE,
)
TAGS = re.compile(r"\btags?\b\s*(?:number|no\.?|#|:|were|was|is)?\s*(?=[A-Za-z0-9 -]{0,10}\d)[A-Za-z0-9]{1,4}"
                  r"(?:[\s-]?[A-Za-z0-9]{1,4}){0,2}\b", re.IGNORECASE)
VEHICLE = re.compile(
    r"\b(?:car|van|truck|suv|sedan|pickup|vehicle|minivan|coche|carro|camioneta|auto|veh[ií]culo|troca)s?\b",
    re.IGNORECASE,
)
PLATE_SHAPE = re.compile(r"\b(?!(?:US|SH|FM|CR|RT|SR|HWY|TX|CA|IH|LP)\b)[A-Z]{2,3}[- ]?\d{3,4}(?:[- ]?[A-Z]{1,2})?\b"
                         r"|\b\d[A-Z]{3}\d{3}\b|\b\d{3,4}[- ]?[A-Z]{3}\b")
HANDLE = re.compile(r"(?<![\w@.<])@[A-Za-z_][\w.]{1,29}")
PLATFORMS = (
    r"ig|insta(?:gram)?|snap(?:chat)?|tik\s?tok|fb|facebook|twitter|telegram|kik|only\s?fans|whats\s?app"
    r"|signal|discord|threads|handle|user\s?name|usuario|perfil"
)
HANDLE_LABEL = re.compile(
    rf"\b(?:{PLATFORMS})\b\s*(?:[:=]\s*|-\s+)@?[A-Za-z_][\w.#]+"
    rf"|\b(?:{PLATFORMS})\b\s+(?:account\s+|cuenta\s+)?(?:@\s?[\w.]{{2,}}|(?=[\w.]*[_\d])[A-Za-z_][\w.]{{2,}}"
    r"|[A-Za-z]\w*\.\w+)"
    rf"|\b(?:her|his|their|su|sus)\s+(?:{PLATFORMS}|cuenta|account)\s+(?:is|es|was|era)\s+@?[A-Za-z_][\w.]+"
    rf"|\b(?:on|en)\s+(?:{PLATFORMS})\s+(?:as|como)\s+@?[A-Za-z_][\w.]+"
    r"|\b(?:instagram|facebook|fb|tiktok|onlyfans|twitter|x|snapchat)\.com/@?[\w.]+|\b(?:t|wa)\.me/[\w.]+",
    re.IGNORECASE,
)
ID_NUMBER = re.compile(
    r"\b\d{3}-\d{2}-\d{4}\b"
    r"|\b(?:passport|pasaporte|ssn|social\s+security|seguro\s+social|a[\s#-]?(?:number|n[uú]mero)|n[uú]mero\s+a"
    r"|alien\s+(?:number|#|no\.?)|uscis|receipt|curp|ine|i\.?d\.?|i-?94|visa|green\s+card|matr[ií]cula\s+consular"
    r"|licen[cs]e|licencia|identificaci[oó]n|c[eé]dula|dni|itin)\b"
    r"(?:\s*(?:number|no\.?|#|:|n[uú]mero|is|es|was|era|mexican[ao]?|americano?|[A-Z][a-z]+))*\s*"
    r"(?:(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{5,}|(?:[A-Za-z]\s?)?\d{2,4}(?:\s\d{2,4}){1,3}\b)",
    re.IGNORECASE,
)
A_NUMBER = re.compile(r"(?<![\w-])A\s?[#-]?\s?\d{3}[\s-]?\d{3}[\s-]?\d{2,3}\b")  # an immigration A-number
SOCIAL = re.compile(
    r"\b(?:ssn|s\.s\.n\.|social\s+security|seguro\s+social|(?:her|his|their|su)\s+social)\b[^.;\n]{0,40}?\d{4}",
    re.IGNORECASE,
)

# ---------------------------------------------------------------- names

NAME_LABEL = re.compile(
    r"\b(?:(?:first|last|full|sur|family|real|her|his|their|nick)\s*name|name|nombre|apellido|aka|a\.k\.a\.?"
    r"|goes\s+by|called)\s*[:=]",
    re.IGNORECASE,
)
NAME_SAID = re.compile(
    r"\b(?i:her|his|their|whose|the\s+\w+'s)\s+(?i:(?:real|first|last|full|nick)\s*)?(?i:name)\s+(?i:is|was|=)\b"
    r"|\b(?i:her|his|their)\s+(?i:(?:real|first|last|full|nick)\s*)?(?i:name's)\s"
    r"|\b(?i:su\s+nombre\s+(?:es|era)|mi\s+nombre\s+es|me\s+llamo|my\s+name\s+is)\b"
)
CAP = r"[A-ZÁÉÍÓÚÑÜ][a-záéíóúñü]+(?:[-'][A-Za-záéíóúñü]+)?"
ARTICLE = r"(?:(?i:the|la|el)\s+)?"
# A cue that what follows is what someone is called; a place can be called something too, see _of_a_place.
NAME_CUE = re.compile(
    r"\b(?i:known\s+as|conocid[ao]s?\s+como|alias|a\.?k\.?a\.?|goes\s+by(?:\s+the\s+name)?|went\s+by|nicknamed"
    r"|apodad[ao]|introduced\s+(?:herself|himself|themselves)\s+as|se\s+present[oó]\s+como"
    r"|call(?:s|ed)?\s+(?:herself|himself|themselves)|se\s+hace(?:n)?\s+llamar|(?:is|was|are|were)\s+called|named"
    r"|llamad[ao]|de\s+nombre|se\s+llama(?:ba)?|call(?:s|ed|ing)?\s+(?:her|him|them)"
    r"|(?:they|people|everyone|everybody|the\s+others)\s+call(?:s|ed)?(?!\s+(?:her|him|them)\b)"
    r"|(?:la|le|lo|les|los|las)\s+(?:llaman|llamaban|llamamos|dicen|decimos|dec[ií]an|apodan|apodaban"
    r"|conocen\s+como|conoc[ií]an\s+como))"
    rf"\s+{ARTICLE}(?P<name>{CAP}|[a-záéíóúñü]+)"
)
# Names with an age: "Rosa, 15," "Maria (16)", "Ana de 16 años", "16-year-old Keisha".
AGE_WORD = r"(?i:y/?o|yo|yrs?\.?|years?(?:\s+old)?|años|anos)"
NAME_AGE = re.compile(
    rf"\b(?P<name>{CAP})(?:\s*\(\s*(?i:age\s+|edad\s+)?\d{{1,2}}\s*{AGE_WORD}?\s*[),]"
    rf"|,\s*(?:(?i:about|around|maybe|approx\.?|aged?|edad|unos|como|de)\s+)?\d{{1,2}}\s*(?:[,)]|{AGE_WORD}\b)"
    rf"|\s+(?i:de)\s+\d{{1,2}}\s+(?i:años|anos)\b|\s+\d{{1,2}}\s*{AGE_WORD}(?!\w))"
    rf"|\b\d{{1,2}}[\s-]?(?i:years?|yrs?)[\s-]?(?i:old),?\s+(?P<after>{CAP})"
)
TITLED = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Sr|Sra|Srta|Don|Doña|Señor|Señora|(?i:señora|señor|doña))\.?\s+{CAP}")
NOT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday lunes martes miercoles jueves viernes sabado domingo "
    "january february march april may june july august september october november december enero febrero marzo abril "
    "mayo junio julio agosto septiembre setiembre octubre noviembre diciembre today tonight tomorrow yesterday hoy "
    "english spanish french portuguese haitian creole chinese mandarin cantonese korean vietnamese tagalog thai "
    "russian ukrainian arabic hindi mam mixteco mixtec zapoteco triqui nahuatl q'anjob'al k'iche' quiche ingles "
    "espanol frances portugues honduran guatemalan mexican salvadoran nicaraguan venezuelan cuban haitian filipino "
    "american hondurena hondureno guatemalteca guatemalteco mexicana mexicano salvadorena salvadoreno back over "
    "about around maybe only just also then later total counts cards contacts shift room motel hotel hotline team "
    "number priority age ages kids girls women men people workers minors she he they we it ella el ellos the a an "
    "la los las un una ice police".split()
)
FUNCTION_WORDS = frozenset(NOT_IN_STREET.split("|")) | {"a", "an", "as", "after", "que", "para", "como", "un", "una"}
PLACE_WORDS = frozenset(
    "shelter clinic church restaurant bar motel hotel inn program agency organization organisation group center "
    "centre shop store salon spa cafe club place business company farm ranch street park school hospital cantina "
    "taqueria iglesia clinica tienda albergue refugio programa organizacion lugar restaurante negocio empresa "
    "rancho granja calle escuela line hotline app coalition project campaign fund foundation network ministry market "
    "mercado bakery panaderia station laundromat lavanderia diner truck stop van bus camp complex building apartments "
    "town city neighborhood neighbourhood area colonia barrio pueblo ciudad".split()
)
PERSON_WORDS = re.compile(
    r"\b(?:girls?|wom[ae]n|m[ae]n|boys?|lady|ladies|guys?|kids?|child|teens?|person|worker|someone|friend|sister"
    r"|brother|daughter|son|mother|father|cousin|aunt|uncle|boyfriend|girlfriend|husband|wife|pimp|boss|manager"
    r"|owner|recruiter|driver|she|he|her|him|they|them|y/?o|chica|chico|chava|chavo|mujer|hombre|muchach[ao]"
    r"|ni[nñ][ao]|se[nñ]ora|se[nñ]or|amig[ao]|herman[ao]|hij[ao]|madre|padre|prim[ao]|t[ií][ao]|novi[ao]"
    r"|espos[ao]|patr[oó]n|jefe|jefa|encargad[ao]|reclutador|chofer|alguien|ella|[eé]l)\b",
    re.IGNORECASE,
)

# After these cues a lower-case word is a name too: "se llama rosa", and "a girl named rosa" after a person.
SAYS_A_NAME = re.compile(r"(?i:se\s+llama|se\s+hace)")
NAMES_A_PERSON = re.compile(r"(?i:named|llamad[ao]|de\s+nombre)")


def _lower_case_name(text: str, start: int, cue: str) -> bool:
    """Whether a lower-case word after a cue is still a name: the cue says so, or a person comes just before."""
    if SAYS_A_NAME.match(cue):
        return True
    before = " ".join(WORD.findall(text[max(0, start - 40):start])[-3:])
    return bool(NAMES_A_PERSON.match(cue) and PERSON_WORDS.search(before))


def _of_a_place(text: str, start: int) -> bool:
    """Whether the few words before a name cue speak of a place (a shelter named...) and of nobody."""
    before = re.split(r"[.!?;\n]", text[max(0, start - 80):start])[-1]
    words = [_fold(w) for w in WORD.findall(before)][-5:]
    return any(w in PLACE_WORDS for w in words) and not PERSON_WORDS.search(" ".join(words))


def _name(text: str) -> str | None:
    """Where a text names someone: a label, a name given or said, a name with an age, a title."""
    if match := NAME_LABEL.search(text) or NAME_SAID.search(text) or TITLED.search(text):
        return match.group(0)
    for match in NAME_CUE.finditer(text):
        name, cue = match.group("name"), match.group(0)
        if _fold(name) in NOT_NAMES or _fold(name) in NUMBER_WORDS or _of_a_place(text, match.start()):
            continue
        if name[0].isupper() or (_fold(name) not in FUNCTION_WORDS and _lower_case_name(text, match.start(), cue)):
            return cue
    for match in NAME_AGE.finditer(text):
        name = match.group("name") or match.group("after")
        if _fold(name) not in NOT_NAMES:
            return match.group(0)
    return None


# ---------------------------------------------------------------- an age, a home town with family

# An age said of one person ("tiene 16 años", "she is 16 years old"), not a description ("a 15-year-old girl")
# nor a length of time ("tiene 3 años trabajando aquí", "lleva 2 años").
_AGE_NUMBER = r"(?:\d{1,2}|" + "|".join(sorted(set(UNITS) | set(TEENS) | set(TENS), key=len, reverse=True)) + r")"
AGE_SAID = re.compile(
    rf"\b(?i:tiene|ten[ií]a|cumpli[oó]|cumple|cumplir[aá]|va\s+a\s+cumplir)\s+"
    rf"(?i:(?:unos|como|apenas|s[oó]lo|solo|casi|m[aá]s\s+o\s+menos)\s+)?"
    rf"(?i:{_AGE_NUMBER}(?:\s+y\s+{_AGE_NUMBER})?)\s+(?i:años|anos)\b"
    rf"(?!\s+(?i:trabajando|viviendo|aqu[ií]|all[ií]|ac[aá]|en\b|de\s+(?:trabajar|vivir|estar)|con\b|sin\b|sirviendo)"
    rf"|\s+\w+(?:ando|iendo)\b)"
    rf"|\b(?i:she|he)(?:\s+(?i:is|was)|'s)\s+(?i:(?:only|just|about|around|maybe|barely)\s+)?"
    rf"(?i:{_AGE_NUMBER})\s*(?i:years?\s+old|y/?o)\b"
    rf"|\b(?i:she|he)\s+(?i:just\s+)?(?i:turned)\s+(?i:{_AGE_NUMBER})\b"
)
_FAMILY_ES = (r"t[ií][oa]s?|prim[oa]s?|herman[oa]s?|padres?|madre|pap[aá]|mam[aá]|espos[oa]|novi[oa]|hij[oa]s?"
              r"|abuel[oa]s?|sobrin[oa]s?|cuñad[oa]s?|suegr[oa]s?|familia")
_FAMILY_EN = (r"uncle|aunt|cousin|brother|sister|father|mother|dad|mom|mum|parents?|husband|wife|boyfriend"
              r"|girlfriend|son|daughter|grand\w+|nephew|niece|family")
# Where someone comes from, with the relative they came with: together they point at one family.
ORIGIN = re.compile(
    rf"\b(?i:viene|vino|ven[ií]a|vienen|vinieron|lleg[oó]|llegaron|es|son)\s+(?i:de|desde)\s+[^.;!?\n]{{1,40}}?"
    rf"\b(?i:con)\s+(?i:su|sus)\s+(?i:{_FAMILY_ES})\b"
    rf"|\b(?i:con)\s+(?i:su|sus)\s+(?i:{_FAMILY_ES})\s+(?i:de|desde)\s+[A-ZÁÉÍÓÚÑ]"
    rf"|\b(?i:comes?|came|is|are|was|were)\s+from\s+[^.;!?\n]{{1,40}}?\b(?i:with)\s+(?i:her|his|their)\s+"
    rf"(?i:{_FAMILY_EN})\b"
    rf"|\b(?i:with)\s+(?i:her|his|their)\s+(?i:{_FAMILY_EN})\s+from\s+[A-Z]"
)


def _mask(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 3 else text[:3] + "…"


# ---------------------------------------------------------------- the screen


def _digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def allowed_numbers(numbers: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The digit strings of numbers a team may write (hotlines), with and without a leading country code."""
    allowed: set[str] = set()
    for number in numbers:
        digits = _digits_of(number)
        if not digits:
            continue
        allowed.add(digits)
        try:
            parsed = phonenumbers.parse(number if number.strip().startswith("+") else "+" + digits, None)
            allowed.add(str(parsed.national_number))
        except phonenumbers.NumberParseException:
            pass
        if len(digits) == 11 and digits.startswith("1"):
            allowed.add(digits[1:])
    return frozenset(allowed)


def _real_date(parts: tuple[str, str, str], current_year: int) -> int | None:
    """The year of a numeric date (Y-M-D, M/D/Y or D/M/Y), or None when the parts are not a date."""
    first, middle, last = parts
    if len(first) == 4:
        year, month, day = int(first), int(middle), int(last)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
    else:
        a, b, year = int(first), int(middle), int(last)
        if len(last) == 3 or not (1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)):
            return None
        if len(last) == 2:
            year += 1900 if year > current_year % 100 else 2000
    return year if 1900 <= year <= current_year + 1 else None


NATIONAL_ALLOWED = allowed_numbers(NATIONAL_NUMBERS)


@dataclass(frozen=True)
class Screen:
    """The screen for one coalition: its phone region and the hotline numbers its teams hand out."""

    region: str = DEFAULT_REGION
    allowed: frozenset[str] = NATIONAL_ALLOWED

    def __call__(self, text: str | None, *, current_year: int) -> list[Finding]:
        """The personal details found in a text, at most one finding per kind, in a fixed order."""
        return screen(text, current_year=current_year, region=self.region, allowed=self.allowed)


@lru_cache(maxsize=8)
def screen_for(region: str, data_dir: Path) -> Screen:
    """The screen of a coalition: its region, the national hotline and the local ones in data_dir."""
    from outreach.hotlines import load_hotlines

    numbers = list(NATIONAL_NUMBERS)
    path = data_dir / "hotlines.yml"
    if path.is_file():
        for hotline in load_hotlines(path):
            numbers += [hotline.phone] + ([hotline.text] if hotline.text else [])
    return Screen(region=region, allowed=allowed_numbers(numbers))


def _allowed_pattern(allowed: frozenset[str]) -> re.Pattern[str] | None:
    longest = sorted((d for d in allowed if len(d) >= 5), key=len, reverse=True)
    if not longest:
        return None
    spelled = "|".join(r"[\s().-]*".join(d) for d in longest)
    return re.compile(rf"(?<![\d+])(?:\+?1[\s().-]*)?(?:{spelled})(?!\d)")


_PATTERNS: dict[frozenset[str], re.Pattern[str] | None] = {}


def _without_allowed(text: str, allowed: frozenset[str]) -> str:
    if allowed not in _PATTERNS:
        _PATTERNS[allowed] = _allowed_pattern(allowed)
    pattern = _PATTERNS[allowed]
    return pattern.sub(lambda m: " " * len(m.group(0)), text) if pattern else text


def _blank(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _sentence(text: str, match: re.Match[str], *, after: bool = False) -> str:
    """The sentence (or clause) a match stands in, or the part of it after the match."""
    start = match.end() if after else max(text.rfind(c, 0, match.start()) for c in ".!?;\n") + 1
    ends = [n for n in (text.find(c, match.end()) for c in ".!?;\n") if n >= 0]
    return text[start:min(ends, default=len(text))]


def _phone(text: str, *, region: str, allowed: frozenset[str]) -> str | None:
    """The first phone number, whole or in part, in a digit view (hotlines, dates and times blanked)."""
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        number = match.number
        if str(number.national_number) not in allowed and _digits_of(match.raw_string) not in allowed:
            return match.raw_string
    for match in PHONE_RUN.finditer(text):
        if len(_digits_of(match.group(0))) >= 7:
            return match.group(0)
    for match in PHONE_READ_OUT.finditer(text):
        if tuple(len(_digits_of(group)) for group in match.group(0).split(",")) in READ_OUT_GROUPS:
            return match.group(0)
    for match in MASKED_PHONE.finditer(text):
        raw = match.group(0)
        if len(re.findall(r"[xX*#_]", raw)) >= 2 and len(_digits_of(raw)) >= 4:
            return raw
    for match in PARTIAL_PHONE.finditer(text):
        if PHONE_CUE.search(_sentence(text, match)):
            return match.group(0)
    for match in SOME_DIGITS.finditer(text):
        if re.search(r"\d{2}", _sentence(text, match, after=True)):
            return match.group(0)
    return None


def _birth(text: str, *, current_year: int) -> str | None:
    if match := BIRTH_LABEL.search(text):
        return match.group(0)
    for match in DATE_NUMERIC.finditer(text):
        year = _real_date(match.groups(), current_year)
        if year is not None and year < current_year - 1:  # a date more than a year back is no outreach night
            return match.group(0)
    for match in DATE_WORDS.finditer(text):
        year = next((int(y) for y in match.groups() if y), None)
        if year is not None and year < current_year - 1:
            return match.group(0)
    for context in BIRTH_CONTEXT.finditer(text):
        part = _sentence(text, context)
        if any(p.search(part) for p in (DATE_WORDS, DATE_NUMERIC, YEAR_ALONE, DAY_MONTH)):
            return context.group(0)
    return None


def _email(text: str) -> str | None:
    """The first e-mail address, written out, spoken ("at", "dot") or spaced out one letter at a time."""
    joined = SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)
    patterns = [EMAIL, EMAIL_LOOSE] if "@" in joined else []
    spoken = AT_WORD.search(joined)
    if spoken or patterns:
        patterns.append(EMAIL_PROVIDER)
    for pattern in patterns:
        if match := pattern.search(text) or pattern.search(joined):
            return match.group(0)
    for match in EMAIL_SPOKEN.finditer(joined) if spoken else ():
        spoken = match.group(0)
        local = spoken.split()[0]
        if re.search(r"\s(?:dot|punto)\s", spoken, re.IGNORECASE) or re.search(r"[._+\d]", local):
            return spoken
    return None


def _room(text: str) -> str | None:
    """A room, unit, lot or bed where someone stays; "number 214" only where people stay ("Motel 6, number 214")."""
    if match := ROOM.search(text) or ORDINAL_PLACE.search(text):
        return match.group(0)
    for match in NUMBERED.finditer(text):
        near = text[max(0, match.start() - 60):match.end() + 60]
        if LODGING.search(near) and not NOT_A_PLACE.search(text[max(0, match.start() - 30):match.start()]):
            return match.group(0)
    return None


def screen(
    text: str | None, *, current_year: int, region: str = DEFAULT_REGION, allowed: frozenset[str] | None = None,
) -> list[Finding]:
    """The personal details found in a text, at most one finding per kind, in a fixed order."""
    allowed = NATIONAL_ALLOWED if allowed is None else allowed
    text = spell_out_numbers(normalise(text or ""))
    found: dict[str, str] = {}
    if name := _name(text):
        found["name"] = name
    if email := _email(text):
        found["email"] = email
    rest = text
    if email:
        for pattern in (EMAIL, EMAIL_LOOSE, EMAIL_PROVIDER, EMAIL_SPOKEN):
            rest = _blank(pattern, rest)
    if match := HANDLE.search(rest) or HANDLE_LABEL.search(rest):
        found["handle"] = match.group(0)
    digits = _without_allowed(digit_view(rest), allowed)
    if match := ID_NUMBER.search(digits) or A_NUMBER.search(digits) or SOCIAL.search(digits):
        found["id"] = match.group(0)
    if birth := _birth(digits, current_year=current_year):
        found["birth"] = birth
    if match := AGE_SAID.search(text):
        found["age"] = match.group(0)
    if match := ORIGIN.search(text):
        found["origin"] = match.group(0)
    undated = _blank(TIME, _blank(DATE_NUMERIC, _blank(ID_NUMBER, _blank(A_NUMBER, digits))))
    if phone := _phone(BETWEEN_DIGITS.sub("-", undated), region=region, allowed=allowed):
        found["phone"] = phone
    if match := STREET.search(digits):
        found["address"] = match.group(0)
    if room := _room(digits):
        found["room"] = room
    if match := PLATE.search(rest):
        found["plate"] = match.group(0)
    elif VEHICLE.search(rest) and (match := TAGS.search(rest) or PLATE_SHAPE.search(rest)):
        found["plate"] = match.group(0)
    return [Finding(kind, _mask(found[kind])) for kind in ORDER if kind in found]


def explain(findings: list[Finding]) -> str:
    """One sentence for an inline form error: what was found and why it must not be recorded."""
    what = [_("%(what)s (“%(hint)s”)") % {"what": f.label, "hint": f.hint} for f in findings]
    listed = what[0] if len(what) == 1 else _("%(first)s and %(last)s") % {"first": ", ".join(what[:-1]),
                                                                           "last": what[-1]}
    return _("Please remove %(listed)s. Nothing written here may identify anyone met during outreach: details like "
             "these could expose people at risk if this record were ever seen by the wrong person.") % {"listed": listed}
