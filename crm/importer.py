"""Importing customers and contacts from CSV or XLSX, with Chinese or English headers.

A preview first says what would be created, updated or rejected and why; applying it upserts by
external id, else by phone, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook

from crm.enums import ContactRole, CustomerClass, Stage
from crm.limits import amount_ok, parse_id, text_limit
from crm.models import Contact, Customer
from crm.phones import normalise

# Canonical column → the headers people actually use for it (compared case-insensitively).
HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "external id", "id", "客户编号", "编号", "户号"),
    "name": ("name", "customer", "company", "customer name", "客户名称", "名称", "客户", "公司"),
    "phone": ("phone", "mobile", "tel", "电话", "手机", "联系电话", "手机号"),
    "customer_class": ("class", "customer class", "等级", "客户等级", "分类", "客户分类"),
    "stage": ("stage", "阶段", "客户阶段"),
    "owner": ("owner", "rep", "sales rep", "负责人", "客户经理", "业务员"),
    "industry": ("industry", "行业"),
    "address": ("address", "地址"),
    "area": ("area", "district", "区域", "片区"),
    "annual_value": ("annual value", "annual_value", "volume", "年业务量", "年交易额", "年产值"),
    "tags": ("tags", "标签"),
    "source": ("source", "来源", "客户来源"),
    "is_company": ("kind", "company or person", "类型", "客户类型"),
    "relationship": ("relationship", "关系阶段"),
    "vip": ("vip", "贵宾"),
    "credit_rating": ("credit_rating", "credit rating", "credit", "信用等级", "信用"),
    "blacklisted": ("blacklisted", "blacklist", "黑名单"),
    "blacklist_reason": ("blacklist_reason", "blacklist reason", "黑名单原因"),
    "notes": ("notes", "客户备注"),
    "power_account": ("power_account", "power account", "用电户号"),
    "tariff": ("tariff", "tariff category", "电价类别"),
    "voltage": ("voltage", "voltage level", "电压等级"),
    "meter_segment": ("meter_segment", "meter-reading segment", "抄表段"),
    "lat": ("lat", "latitude", "纬度"),
    "lon": ("lon", "longitude", "经度"),
    "contact_name": ("contact", "contact name", "联系人", "联系人姓名"),
    "contact_phone": ("contact phone", "联系人电话", "联系人手机"),
    "contact_role": ("contact role", "联系人角色"),
}
ALIASES = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
CUSTOMER_FIELDS = (
    "name",
    "phone",
    "customer_class",
    "stage",
    "industry",
    "address",
    "area",
    "annual_value",
    "tags",
    "source",
    "is_company",
    "relationship",
    "vip",
    "credit_rating",
    "blacklisted",
    "blacklist_reason",
    "notes",
    "power_account",
    "tariff",
    "voltage",
    "meter_segment",
    "lat",
    "lon",
)
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "√", "да"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否", "", "нет"})
KIND_WORDS = {"company": True, "单位": True, "企业": True, "person": False, "个人": False}
TEXT_LIMITS = {
    "industry": 80,
    "address": 300,
    "area": 80,
    "source": 20,
    "relationship": 20,
    "blacklist_reason": 200,
    "notes": 2000,
    "power_account": 40,
    "tariff": 40,
    "voltage": 20,
    "meter_segment": 40,
    "credit_rating": 8,
}
CLASS_WORDS = {"a": "A", "b": "B", "c": "C", "重点": "A", "普通": "B", "小": "C", "一般": "C"}
ROLE_WORDS = {
    "决策人": "decision_maker",
    "影响人": "influencer",
    "支持者": "supporter",
    "使用者": "user",
}
MAX_ROWS = 50_000
# Bounds applied while reading, so a small file that unpacks to a huge sheet (an "XLSX bomb")
# is refused early: the cells' text, the sheet's unpacked size, the columns looked at.
MAX_TEXT_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_COLUMNS = 100
# Each text field is cut to what its column holds (the model is the one source of the sizes).
LIMITS = {
    "name": text_limit(Customer.name),
    "industry": text_limit(Customer.industry),
    "address": text_limit(Customer.address),
    "area": text_limit(Customer.area),
    "source": text_limit(Customer.source),
    "external_id": text_limit(Customer.external_id),
    "contact_name": text_limit(Contact.name),
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not the problem of a single row).

    `code` says why, for a translated answer: file_type, unreadable, empty, too_many_rows,
    too_large, no_name_column.
    """

    def __init__(self, message: str, code: str = "unreadable") -> None:
        super().__init__(message)
        self.code = code


def is_supported(filename: str) -> bool:
    return filename.lower().endswith((".csv", ".xlsx"))


@dataclass
class Row:
    number: int  # as a person counts them in the file: the header is row 1
    values: dict[str, Any]


@dataclass
class Rejected:
    number: int
    reason: str  # a key: missing_name, bad_phone, unknown_owner, duplicate_in_file, bad_class…
    detail: str = ""
    other_row: int | None = None  # for duplicate_in_file: the row it repeats


@dataclass
class Preview:
    create: list[Row] = field(default_factory=list)
    update: list[tuple[int, Row]] = field(default_factory=list)  # (customer id, row)
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)


class _Budget:
    """Counts rows and text as they are read; raises as soon as either is over its limit."""

    def __init__(self) -> None:
        self.rows = 0
        self.text = 0

    def take(self, cells: list[Any]) -> list[Any]:
        self.rows += 1
        if self.rows > MAX_ROWS + 1:
            raise ImportFileError(f"at most {MAX_ROWS} rows at a time", "too_many_rows")
        self.text += sum(len(str(c)) for c in cells if c is not None)
        if self.text > MAX_TEXT_BYTES:
            raise ImportFileError("too much text for one import", "too_large")
        return cells


def _xlsx_rows(data: bytes, budget: _Budget) -> list[list[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError("not a readable XLSX file", "unreadable") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError("the spreadsheet unpacks to too much", "too_large")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            # The sheet's own dimension tag may claim a million columns: not trusted. Rows are
            # read as wide as the header (a cell far to the right would pad a row to it).
            ws.reset_dimensions()  # type: ignore[union-attr]
            header = next(ws.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
            width = max((i + 1 for i, v in enumerate(header) if v is not None), default=1)
            rows = [budget.take(list(header[:width]))]
            rows += [
                budget.take(list(r))
                for r in ws.iter_rows(min_row=2, max_col=width, values_only=True)
            ]
            return rows
        finally:
            wb.close()
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds for a bad file)
        raise ImportFileError(
            f"not a readable XLSX file: {exc.__class__.__name__}", "unreadable"
        ) from None


def read_rows(data: bytes, filename: str) -> tuple[list[Row], list[str]]:
    """Rows with canonical keys, and the headers that matched no column.

    Streaming: rows are counted and their text measured while they are read, so an oversized
    file stops early. Slow for a big file: call it off the event loop (asyncio.to_thread).
    """
    name = filename.lower()
    if not data:
        raise ImportFileError("the file is empty", "empty")
    budget = _Budget()
    if name.endswith(".xlsx"):
        raw = _xlsx_rows(data, budget)
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030", errors="strict")  # what Excel in China saves
            except UnicodeDecodeError:
                raise ImportFileError("not a text file", "unreadable") from None
        try:
            raw = [budget.take(r[:MAX_COLUMNS]) for r in csv.reader(io.StringIO(text))]
        except csv.Error:  # NUL bytes, a field over the csv module's limit
            raise ImportFileError("not a readable CSV file", "unreadable") from None
    else:
        raise ImportFileError("send a .csv or .xlsx file", "file_type")
    if not raw:
        raise ImportFileError("the file is empty", "empty")
    header = [str(h or "").strip() for h in raw[0]]
    keys = [ALIASES.get(h.lower()) for h in header]
    # Our own export has both "id" (the record's) and "external_id": then "id" is ours.
    if "external_id" in [h.lower() for h in header]:
        keys = ["crm_id" if h.lower() == "id" else k for h, k in zip(header, keys, strict=True)]
    if "name" not in keys:
        raise ImportFileError("no name column (name / 客户名称)", "no_name_column")
    unknown = [h for h, k in zip(header, keys, strict=True) if h and k is None]
    rows = []
    for i, cells in enumerate(raw[1:], start=2):
        values = {
            k: (str(v).strip() if v is not None else "")
            for k, v in zip(keys, cells, strict=False)
            if k is not None
        }
        if any(values.values()):
            rows.append(Row(i, values))
    return rows, unknown


def clean(row: Row, owners: dict[str, int]) -> tuple[dict[str, Any], Rejected | None]:
    """Typed customer fields of a row, or why it is rejected."""
    v = row.values
    out: dict[str, Any] = {}
    if not v.get("name"):
        return out, Rejected(row.number, "missing_name")
    out["name"] = v["name"][: LIMITS["name"]]
    if v.get("phone"):
        phone = normalise(v["phone"])
        if phone is None:
            return out, Rejected(row.number, "bad_phone", v["phone"])
        out["phone"] = phone
    if v.get("customer_class"):
        cls = CLASS_WORDS.get(v["customer_class"].strip().lower().removesuffix("类"))
        if cls is None:
            return out, Rejected(row.number, "bad_class", v["customer_class"])
        out["customer_class"] = CustomerClass(cls)
    if v.get("stage"):
        if v["stage"] not in {s.value for s in Stage}:
            return out, Rejected(row.number, "bad_stage", v["stage"])
        out["stage"] = v["stage"]
    if v.get("owner"):
        owner = owners.get(v["owner"].lstrip("@").lower())
        if owner is None:
            return out, Rejected(row.number, "unknown_owner", v["owner"])
        out["owner_id"] = owner
    if v.get("annual_value"):
        try:
            value = Decimal(v["annual_value"].replace(",", ""))
        except InvalidOperation:
            return out, Rejected(row.number, "bad_number", v["annual_value"])
        # NaN, sNaN, Infinity and negatives are refused here, in the preview, not at Confirm.
        if not amount_ok(value):
            return out, Rejected(row.number, "bad_number", v["annual_value"])
        out["annual_value"] = value
    for key, limit in TEXT_LIMITS.items():
        if v.get(key):
            out[key] = v[key][:limit]
    for key in ("vip", "blacklisted"):
        if key in v:
            word = v[key].strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                return out, Rejected(row.number, "bad_flag", v[key])
            out[key] = word in TRUE_WORDS
    if v.get("is_company"):
        kind = KIND_WORDS.get(v["is_company"].strip().lower())
        if kind is None:
            word = v["is_company"].strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                return out, Rejected(row.number, "bad_flag", v["is_company"])
            kind = word in TRUE_WORDS
        out["is_company"] = kind
    for key in ("lat", "lon"):
        if v.get(key):
            try:
                out[key] = float(v[key])
            except ValueError:
                return out, Rejected(row.number, "bad_number", v[key])
    crm_id = parse_id(v.get("crm_id"))
    if crm_id is not None:
        out["crm_id"] = crm_id
    if v.get("tags"):
        out["tags"] = [t.strip() for t in v["tags"].replace("，", ",").split(",") if t.strip()]
    if v.get("external_id"):
        out["external_id"] = v["external_id"][: LIMITS["external_id"]]
    if v.get("contact_name"):
        role = ROLE_WORDS.get(v.get("contact_role", ""), v.get("contact_role") or "user")
        if role not in {r.value for r in ContactRole}:
            return out, Rejected(row.number, "bad_contact_role", v.get("contact_role", ""))
        contact_phone = normalise(v["contact_phone"]) if v.get("contact_phone") else None
        if v.get("contact_phone") and contact_phone is None:
            return out, Rejected(row.number, "bad_phone", v["contact_phone"])
        out["contact"] = {
            "name": v["contact_name"][: LIMITS["contact_name"]],
            "role": role,
            "phone": contact_phone,
        }
    return out, None
