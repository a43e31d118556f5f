"""Screening free text for personal details of the people met during outreach.

Notes must never identify anyone: a name, a phone number, an e-mail address, a social media
handle, a street address, a room or unit number, a plate number, an ID number or a date of birth
is refused, and the writer is told what was found and why. The screen errs on the side of
refusing: a team can always rephrase ("gave a hotline card").

Text is normalised before it is read, so the usual ways of slipping past a pattern do not work:
Unicode compatibility forms (full-width digits, `＠`), invisible format characters (zero-width
spaces), every kind of dash, dot and slash, e-mail addresses written out ("maria at gmail dot
com", "(at)"), and numbers spelled out in English or Spanish ("five five five", "cinco cinco").
Phone numbers are found with Google's libphonenumber in the coalition's region and in
international format, with a fallback for any other run of seven digits or more. The hotline
numbers a team hands out (the national hotline and data/hotlines.yml) are allowed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

NATIONAL_NUMBERS = ("1-888-373-7888", "233733")  # the US National Human Trafficking Hotline: call, text
DEFAULT_REGION = "US"

WHAT = {
    "name": "a name",
    "phone": "a phone number",
    "email": "an e-mail address",
    "handle": "a social media handle",
    "address": "a street address",
    "room": "a room or unit number",
    "plate": "a plate number",
    "id": "an ID number",
    "birth": "a date of birth",
}
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


def _fold(word: str) -> str:
    """A word lower-cased and without accents, for looking it up."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """NFKC, no invisible or combining characters, ASCII digits, one dash, one dot, one slash."""
    out = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category in ("Cf", "Mn", "Me") or (category == "Cc" and char not in "\n\t"):
            continue
        if category == "Nd":
            out.append(str(unicodedata.digit(char, 0)))
        elif category == "Pd" or char == "−":
            out.append("-")
        elif char in DOTS:
            out.append(".")
        elif char in SLASHES:
            out.append("/")
        elif category == "Zs":
            out.append(" ")
        else:
            out.append(char)
    text = "".join(out)
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


# ---------------------------------------------------------------- patterns

EMAIL = re.compile(r"[\w.+-]+(?:@|\s@\s)[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}\b")
EMAIL_SPOKEN = re.compile(
    r"[\w.+-]+\s+(?:at|arroba)\s+[\w-]+(?:\s*(?:\.|\s(?:dot|punto)\s)\s*[\w-]+)+", re.IGNORECASE
)
MAIL_PROVIDERS = r"gmail|googlemail|hotmail|yahoo|ymail|icloud|aol|proton(?:mail)?|yandex|gmx|prodigy"
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
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|fecha\s+de\s+nacimiento|f\.\s?nac\b)",
    re.IGNORECASE,
)
BIRTH_CONTEXT = re.compile(
    r"\b(?:born|birthday|b-?day|cumplea[nñ]os|cumple|naci[oó]|nacid[oa]|naciste|nacimiento|turns?\s+\d+"
    r"|(?:will\s+be|va\s+a\s+cumplir)\s+\d+)\b",
    re.IGNORECASE,
)
YEAR_ALONE = re.compile(rf"\b{YEAR}\b")
SENTENCE = re.compile(r"[^.!?;\n]+")

PHONE_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().\-/]{5,}\d(?!\w)")
TIME = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
BETWEEN_DIGITS = re.compile(r"(?<=\d)\s*[_\\|~*]+\s*(?=\d)|(?<=\d)/(?=\d)")

STREET_SUFFIX = (
    r"street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|highway|hwy"
    r"|parkway|pkwy|terrace|circle|cir|square|sq|trail|trl|alley"
)
NOT_IN_STREET = r"on|at|near|off|by|and|in|to|the|from|of|with|for|or|y|en|de|del|la|el|los|las|con|por|cerca"
STREET = re.compile(
    rf"\b\d{{1,6}}(?:st|nd|rd|th)?\s+(?:(?!(?:{NOT_IN_STREET})\b)[A-Za-z0-9][\w'.-]*\s+){{0,4}}?"
    rf"(?:{STREET_SUFFIX})\b\.?"
    r"|\bp\.?\s?o\.?\s+box\s+\d+|\bapartado\s+(?:postal\s+)?\d+"
    r"|\b(?:calle|avenida|av\.|carrera|calzada|privada|callej[oó]n)\s+(?:[\w.]+\s+){1,3}(?:#\s*|no\.?\s*|n[uú]m(?:ero)?\.?\s*)?\d+"
    r"|\b(?:calle|avenida|carrera)\s+\d+",
    re.IGNORECASE,
)
ROOM_WORDS = (
    r"room|rm|hab|habitaci[oó]n|cuarto|apt|apto|apartment|apartamento|depto|dpto|departamento|unit|unidad"
    r"|suite|flat|trailer|tr[aá]iler|cabin|caba[nñ]a|bungalow|door|puerta|lote|casa"
)
NUMBER_SIGN = r"(?:#|no\.|nº|n°|number|n[uú]mero|num\.?|núm\.?)"
ROOM = re.compile(
    rf"\b(?:{ROOM_WORDS})\b\.?\s*{NUMBER_SIGN}?\s*(?:[a-z]?\d{{1,5}}[a-z]?\b|(?:{DAY_WORDS})\b)"
    rf"|\b(?:number|n[uú]mero|num\.|núm\.|no\.|nº|n°)\s*#?\s*(?!of\b)[a-z]?\d{{1,4}}[a-z]?(?![\d\-./:])\b",
    re.IGNORECASE,
)
PLATE = re.compile(
    r"\b(?:licen[cs]e\s+(?:plates?|tags?)|plates?|placas?|matr[ií]cula|patente)\b\s*"
    r"(?:number|no\.?|n[uú]mero|#|:|was|were|is|es|era|de)?\s*(?:[A-Za-z]+\s+(?=[A-Za-z0-9-]*\d))?"
    r"(?=[A-Za-z0-9 -]{0,10}\d)[A-Za-z0-9]{1,4}(?:[\s-]?[A-Za-z0-9]{1,4}){0,2}\b",
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
    r"|signal|handle|user\s?name|usuario|perfil"
)
HANDLE_LABEL = re.compile(
    rf"\b(?:{PLATFORMS})\b\s*(?:[:=]\s*|-\s+)@?[A-Za-z_][\w.]+"
    rf"|\b(?:{PLATFORMS})\b\s+(?:account\s+|cuenta\s+)?(?:@[\w.]{{2,}}|(?=[\w.]*[_\d])[A-Za-z_][\w.]{{2,}}|[A-Za-z]\w*\.\w+)"
    rf"|\b(?:her|his|their|su|sus)\s+(?:{PLATFORMS}|cuenta|account)\s+(?:is|es|was|era)\s+@?[A-Za-z_][\w.]+"
    r"|\b(?:instagram|facebook|fb|tiktok|onlyfans|twitter|x|snapchat)\.com/@?[\w.]+|\b(?:t|wa)\.me/[\w.]+",
    re.IGNORECASE,
)
ID_NUMBER = re.compile(
    r"\b\d{3}-\d{2}-\d{4}\b"
    r"|\b(?:passport|pasaporte|ssn|social\s+security|seguro\s+social|a-?number|alien\s+number|curp|ine|i\.?d\.?"
    r"|licen[cs]e|licencia|identificaci[oó]n|c[eé]dula|dni)\b\s*(?:number|no\.?|#|:|n[uú]mero|is|es)?\s*"
    r"(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{5,}",
    re.IGNORECASE,
)
NAME_LABEL = re.compile(
    r"\b(?:(?:first|last|full|sur|family|real|her|his|their|nick)\s*name|name|nombre|apellido|aka|a\.k\.a\.?"
    r"|goes\s+by|called)\s*[:=]",
    re.IGNORECASE,
)
PEOPLE = (
    r"girls?|wom[ae]n|m[ae]n|boys?|lady|ladies|guys?|kids?|child|teens?|person|worker|victim|someone|friend"
    r"|sister|brother|daughter|son|mother|father|cousin|aunt|uncle|boyfriend|girlfriend|husband|wife|pimp|boss"
    r"|manager|owner|recruiter|driver|chica|chico|mujer|hombre|muchach[ao]|ni[nñ][ao]|se[nñ]ora|se[nñ]or|amig[ao]"
    r"|herman[ao]|hij[ao]|madre|padre|prim[ao]|t[ií][ao]|novi[ao]|espos[ao]|patr[oó]n|jefe|jefa|encargad[ao]"
    r"|reclutador|chofer|alguien|una|uno|un"
)
NAME_SAID = re.compile(
    r"\b(?i:her|his|their|whose|the\s+\w+'s)\s+(?i:(?:real|first|last|full|nick)\s*)?(?i:name)\s+(?i:is|was|=)\b"
    r"|\b(?i:se\s+llama(?:ba)?|su\s+nombre\s+(?:es|era)|me\s+llamo|my\s+name\s+is|call(?:s|ed)?\s+(?:herself|himself|themselves)"
    r"|se\s+hace\s+llamar)\b"
    rf"|\b(?i:(?:{PEOPLE})\s+(?:(?:was|is|who\s+is)\s+)?(?:named|called|llamad[ao]|de\s+nombre))\s+[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+"
    r"|\b(?i:goes\s+by|apodo|apodad[ao]|nicknamed)\s+[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+"
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


def _phone(text: str, *, region: str, allowed: frozenset[str]) -> str | None:
    """The first phone number in a text (dates and times already blanked), hotlines aside."""
    text = _without_allowed(BETWEEN_DIGITS.sub("-", text), allowed)
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        number = match.number
        if str(number.national_number) not in allowed and _digits_of(match.raw_string) not in allowed:
            return match.raw_string
    for match in PHONE_RUN.finditer(text):
        if len(_digits_of(match.group(0))) >= 7:
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
    for sentence in SENTENCE.finditer(text):
        if context := BIRTH_CONTEXT.search(sentence.group(0)):
            part = sentence.group(0)
            if DATE_WORDS.search(part) or DATE_NUMERIC.search(part) or YEAR_ALONE.search(part):
                return context.group(0)
    return None


def screen(
    text: str | None, *, current_year: int, region: str = DEFAULT_REGION, allowed: frozenset[str] | None = None,
) -> list[Finding]:
    """The personal details found in a text, at most one finding per kind, in a fixed order."""
    allowed = NATIONAL_ALLOWED if allowed is None else allowed
    text = spell_out_numbers(normalise(text or ""))
    found: dict[str, str] = {}
    if match := NAME_LABEL.search(text) or NAME_SAID.search(text):
        found["name"] = match.group(0)
    for pattern in (EMAIL, EMAIL_PROVIDER):
        if match := pattern.search(text):
            found.setdefault("email", match.group(0))
    for match in EMAIL_SPOKEN.finditer(text):
        spoken = match.group(0)
        local = spoken.split()[0]
        if re.search(r"\s(?:dot|punto)\s", spoken, re.IGNORECASE) or re.search(r"[._+\d]", local):
            found.setdefault("email", spoken)
            break
    rest = EMAIL_SPOKEN.sub(" ", EMAIL_PROVIDER.sub(" ", EMAIL.sub(" ", text))) if "email" in found else text
    if match := HANDLE.search(rest) or HANDLE_LABEL.search(rest):
        found["handle"] = match.group(0)
    if match := ID_NUMBER.search(rest):
        found["id"] = match.group(0)
    if birth := _birth(rest, current_year=current_year):
        found["birth"] = birth
    undated = TIME.sub(" ", DATE_NUMERIC.sub(lambda m: " " * len(m.group(0)), ID_NUMBER.sub(" ", rest)))
    if phone := _phone(undated, region=region, allowed=allowed):
        found["phone"] = phone
    if match := STREET.search(rest):
        found["address"] = match.group(0)
    if match := ROOM.search(rest):
        found["room"] = match.group(0)
    if match := PLATE.search(rest):
        found["plate"] = match.group(0)
    elif VEHICLE.search(rest) and (match := TAGS.search(rest) or PLATE_SHAPE.search(rest)):
        found["plate"] = match.group(0)
    return [Finding(kind, _mask(found[kind])) for kind in ORDER if kind in found]


def explain(findings: list[Finding]) -> str:
    """One sentence for an inline form error: what was found and why it must not be recorded."""
    what = [f"{f.label} (“{f.hint}”)" for f in findings]
    listed = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
    return (
        f"Please remove {listed}. Nothing written here may identify anyone met during outreach: details like "
        "these could expose people at risk if this record were ever seen by the wrong person."
    )
