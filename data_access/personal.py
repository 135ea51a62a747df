"""Personal data at rest: phone numbers (and, later, ID numbers) kept encrypted, found by a keyed hash, shown masked.

The key is a Fernet key (urlsafe base64 of 32 bytes), never stored in the database: the environment's
DASHBOARD_PERSONAL_KEY wins; else the file DASHBOARD_PERSONAL_KEY_FILE; else, for the embedded SQLite
database only, `personal.key` beside its file, created readable by its owner only on first use. On
PostgreSQL one of the first two must be set: several app servers share the database, and a key each
server made for itself would leave every server unable to read the others' numbers. A database copied
without its key shows masked numbers and keyed hashes, never a number.

The look-up hash is an HMAC-SHA256 under a key derived from the same key, so equal numbers can be matched
(an import finding the person it updates) without decrypting every row, and the hash of a number cannot be
recomputed by someone who has only the database.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
from numbers import Number
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .errors import DataError

KEY_ENV = "DASHBOARD_PERSONAL_KEY"
KEY_FILE_ENV = "DASHBOARD_PERSONAL_KEY_FILE"
KEY_FILE_NAME = "personal.key"
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-－—().（）]")


class KeyProblem(DataError):
    """The personal-data key is missing, malformed, or not the one the data was encrypted with."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)


def key_file() -> Path:
    """Where the key is kept when the environment does not hold it: the named file, or beside the SQLite file."""
    named = os.environ.get(KEY_FILE_ENV, "").strip()
    if named:
        return Path(named)
    from .db import database_url

    url = database_url()
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.split("///", 1)[1]).resolve().parent / KEY_FILE_NAME
    raise KeyProblem("未设置个人信息密钥：请管理员在每台服务器上设置相同的 DASHBOARD_PERSONAL_KEY",
                     "No personal-data key is set: the administrator must set the same DASHBOARD_PERSONAL_KEY "
                     "on every app server")


def _read_or_create(path: Path) -> bytes:
    """The key in the file; a new one written there (mode 0600, never over an existing file) if there is none."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: theirs is the key
        return path.read_bytes().strip()
    with os.fdopen(handle, "wb") as out:
        out.write(key + b"\n")
    return key


def _key_bytes() -> bytes:
    from_env = os.environ.get(KEY_ENV, "").strip()
    return from_env.encode() if from_env else _read_or_create(key_file())


@functools.lru_cache(maxsize=8)
def _tools(key: bytes) -> tuple[Fernet, bytes]:
    try:
        fernet = Fernet(key)
    except (ValueError, TypeError) as error:
        raise KeyProblem("个人信息密钥格式不正确（应为 Fernet 密钥）",
                         "The personal-data key is malformed (it must be a Fernet key)") from error
    lookup_key = hashlib.sha256(b"dashboard personal lookup\x00" + base64.urlsafe_b64decode(key)).digest()
    return fernet, lookup_key


def _fernet() -> Fernet:
    return _tools(_key_bytes())[0]


def encrypt(text: str) -> str:
    """The text as a Fernet token (ASCII), different each time even for the same text."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise KeyProblem("无法解密：个人信息密钥与加密时不同", "Cannot decrypt: the personal-data key is not the one "
                         "the data was encrypted with") from error


def lookup_hash(text: str) -> str:
    """HMAC-SHA256 of the text under the derived look-up key, hex (64 characters)."""
    return hmac.new(_tools(_key_bytes())[1], text.encode("utf-8"), hashlib.sha256).hexdigest()


HASHED_SEARCH = "#hash:"


def search_term(text: str | None) -> str | None:
    """A search box's text as a cached read's argument: a whole mobile number becomes "#hash:" + its keyed hash,
    so the number is in no cache key or argument (ui.data.read keys its cache on the arguments); anything else
    (part of a name) as it is. The reads take either form (hashed_search)."""
    if not isinstance(text, str) or not text.strip():
        return None
    phone = normal_phone(text)
    return HASHED_SEARCH + lookup_hash(phone) if phone else text.strip()


def hashed_search(text: str | None) -> str | None:
    """The keyed hash a search stands for: search_term's "#hash:…", or a whole mobile number typed; else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text.startswith(HASHED_SEARCH) and len(text) == len(HASHED_SEARCH) + 64:
        return text[len(HASHED_SEARCH):]
    phone = normal_phone(text)
    return lookup_hash(phone) if phone else None


def normal_phone(raw) -> str | None:
    """A mainland mobile number as 11 digits (spaces, dashes and a +86 prefix dropped; Excel's 13812345678.0
    read as a number too), or None when it is not one."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, Number):
        if raw != raw or float(raw) != int(raw):  # NaN, or a fraction
            return None
        raw = str(int(raw))
    if not isinstance(raw, str):
        return None
    digits = _SEPARATORS.sub("", raw.strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.fullmatch(digits) else None


def mask_phone(phone: str | None) -> str | None:
    """138****5678: what every list shows."""
    if not phone:
        return None
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def mask_id(id_number: str | None) -> str | None:
    """An ID number as its first 6 and last 4 characters around eight stars."""
    if not id_number:
        return None
    if len(id_number) < 11:
        return "*" * len(id_number)
    return id_number[:6] + "********" + id_number[-4:]


# ---- identity documents (issue 17) -------------------------------------------------------------------

# GB 11643-1999: the 18th character of a resident identity number is a check over the first 17 digits.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_DOCUMENT = re.compile(r"[A-Z0-9]{5,20}")
_DOC_SEPARATORS = re.compile(r"[\s\-－—]")


def id_check_character(first17: str) -> str:
    """The check character (0-9 or X) of the 17 digits given."""
    return ID_CHECKS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def resident_id_problem(text, today=None) -> tuple[str, str] | None:
    """Why a resident identity number is not valid, in words (zh, en) that never repeat it; None when it is.
    Checked: 18 characters (17 digits and a check digit or X), a real birth date (YYYYMMDD at positions 7-14,
    from 1900 to today) and the GB 11643 check digit."""
    import datetime as dt

    number = _DOC_SEPARATORS.sub("", text.strip()).upper() if isinstance(text, str) else ""
    if not _ID_SHAPE.fullmatch(number):
        return ("身份证号码应为 18 位：17 位数字加 1 位校验码（数字或 X）",
                "a resident ID number has 18 characters: 17 digits and a check digit (a digit or X)")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > (today or dt.date.today()):
        return ("身份证号码中的出生日期（第 7-14 位）不存在", "the birth date in the ID number (characters 7-14) does not exist")
    if id_check_character(number[:17]) != number[17]:
        return ("身份证号码校验位不符，请核对是否输错", "the ID number's check digit does not match: check for a typing error")
    return None


def valid_resident_id(text) -> str | None:
    """The resident identity number normalised (spaces dropped, X upper-case) when it is valid (see
    resident_id_problem), else None."""
    if resident_id_problem(text) is not None:
        return None
    return _DOC_SEPARATORS.sub("", text.strip()).upper()


def normal_document(doc_type: str, raw) -> str | None:
    """A document number as stored and hashed: a resident ID through valid_resident_id; any other document 5-20
    letters and digits, upper-cased (spaces and dashes dropped). None when it is not one."""
    if isinstance(raw, Number) and not isinstance(raw, bool):
        if raw != raw or float(raw) != int(raw) or abs(raw) >= 1e15:  # NaN, a fraction, or digits Excel lost
            return None
        raw = str(int(raw))
    if not isinstance(raw, str):
        return None
    if doc_type == "resident_id":
        return valid_resident_id(raw)
    number = _DOC_SEPARATORS.sub("", raw.strip()).upper()
    return number if _DOCUMENT.fullmatch(number) else None


def mask_document(doc_type: str, number: str | None) -> str | None:
    """A resident ID as mask_id (first 6, last 4); any other document its first 2 and last 2 characters
    (all stars when shorter than 8), so a short number is never nearly whole on the screen."""
    if not number:
        return None
    if doc_type == "resident_id":
        return mask_id(number)
    if len(number) < 8:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")


def mask_numbers_in(text: str | None) -> str | None:
    """Free text (a file name, a note) with every resident ID number and mobile number in it masked, for what is
    stored or logged about it (an audit reason)."""
    if not text:
        return text
    return _NUMBER_IN_TEXT.sub(lambda m: mask_id(m.group(0)) if len(m.group(0)) == 18 else mask_phone(m.group(0)), text)
