"""What a receipt says, and how it looks on thermal paper.

A receipt is the citizen's only proof, in hand, that the kiosk took the
request; many take it to a desk or a relative. So it is drawn as a picture
(Georgian has no ESC/POS code page) in the citizen's language, with the
personal number masked (first and last three digits, enough for the
citizen to recognise, not enough to misuse a lost slip), with the time in
Tbilisi time whatever the kiosk's clock zone, and with a QR code to track
the request. The status line is honest: a request stored offline says it
is waiting and will go by itself, never that it reached the portal.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import qrcode
from PIL import Image, ImageDraw
from qrcode.exceptions import DataOverflowError

from devices.text_raster import FontChain, wrap
from kiosk.i18n import N_, translate

TBILISI = ZoneInfo("Asia/Tbilisi")
# As printed on my.gov.ge's own contact block (seed page 000_72a5f541dd808d22).
PORTAL_CONTACT_LINES: tuple[str, ...] = ("2251528 8888", "info@my.gov.ge", "my.gov.ge")
STATUSES = ("delivered", "queued", "payment_approved", "payment_declined")

STATUS_TEXT = {
    "delivered": N_("Reached the portal"),
    "queued": N_("Waiting to be sent — it will be sent automatically when the network returns"),
    "payment_approved": N_("Payment approved"),
    "payment_declined": N_("Payment declined — no money was taken"),
}


class Amount(NamedTuple):
    label: str
    gel: Decimal


@dataclass(frozen=True)
class Receipt:
    """Everything printed on one receipt; texts are already in ``language``."""

    site_name: str
    kiosk_id: str
    created_at: datetime
    language: str
    service_name: str
    citizen_name: str
    personal_number: str
    local_reference: str
    status: str
    amounts: tuple[Amount, ...] = ()
    fee: Decimal = Decimal("0")
    portal_reference: str | None = None
    tracking_url: str = ""
    contact_lines: tuple[str, ...] = field(default=PORTAL_CONTACT_LINES)

    def __post_init__(self) -> None:
        # A naive time would silently print the kiosk's zone as Tbilisi time.
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("Receipt.created_at must be timezone-aware")
        if self.status not in STATUSES:
            raise ValueError(f"Receipt.status must be one of {STATUSES}, not {self.status!r}")
        object.__setattr__(self, "amounts", tuple(Amount(str(a[0]), Decimal(a[1])) for a in self.amounts))
        object.__setattr__(self, "fee", Decimal(self.fee))
        object.__setattr__(self, "contact_lines", tuple(self.contact_lines))

    @property
    def total(self) -> Decimal:
        return sum((a.gel for a in self.amounts), Decimal("0")) + self.fee

    @property
    def masked_personal_number(self) -> str:
        return mask_personal_number(self.personal_number)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals as strings, time as ISO 8601) for the journal."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["amounts"] = [[a.label, str(a.gel)] for a in self.amounts]
        data["fee"] = str(self.fee)
        data["contact_lines"] = list(self.contact_lines)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        values = dict(data)
        values["created_at"] = datetime.fromisoformat(values["created_at"])
        values["amounts"] = tuple(Amount(label, Decimal(gel)) for label, gel in values["amounts"])
        values["fee"] = Decimal(values["fee"])
        values["contact_lines"] = tuple(values["contact_lines"])
        return cls(**values)


def mask_personal_number(number: str) -> str:
    """First 3 and last 3 digits visible; a number too short to mask that way is hidden whole."""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


def format_gel(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,.2f}".replace(",", " ") + " \u20be"


class _Style:
    """Font sizes and spacing for one paper width (576 dots = 80 mm, 384 = 58 mm)."""

    def __init__(self, width_dots: int) -> None:
        scale = width_dots / 576
        self.width = width_dots
        # 6 mm side margins on 80 mm paper keep text clear of the print head's edge.
        self.margin = max(8, round(16 * scale))
        self.inner = width_dots - 2 * self.margin
        # Floors keep 58 mm receipts legible for elderly readers (about 2.5 mm letters).
        self.title = FontChain(max(30, round(40 * scale)), bold=True)
        self.heading = FontChain(max(23, round(28 * scale)), bold=True)
        self.body = FontChain(max(21, round(26 * scale)))
        self.body_bold = FontChain(max(21, round(26 * scale)), bold=True)
        self.small = FontChain(max(18, round(21 * scale)))
        self.gap = max(8, round(10 * scale))
        # A QR under ~20 mm is hard for older phones to focus on.
        self.qr_size = max(190, round(240 * scale))


class _Layout:
    """Blocks stacked top to bottom; heights are known before the image is made."""

    def __init__(self, style: _Style) -> None:
        self.style = style
        self.y = style.gap
        self.ops: list[tuple[str, tuple[Any, ...]]] = []

    def text(self, text: str, chain: FontChain, align: str = "left") -> None:
        for line in wrap(text, chain, self.style.inner):
            width = chain.width(line)
            x = {"left": self.style.margin,
                 "center": (self.style.width - width) // 2,
                 "right": self.style.width - self.style.margin - width}[align]
            self.ops.append(("text", (chain, x, self.y + chain.ascent, line)))
            self.y += chain.line_height

    def row(self, label: str, value: str, chain: FontChain) -> None:
        """Label on the left, value flush right; a long label wraps beside the value."""
        value_width = chain.width(value)
        label_lines = wrap(label, chain, self.style.inner - value_width - self.style.gap * 2)
        right = self.style.width - self.style.margin
        first_baseline = self.y + chain.ascent
        for line in label_lines:
            self.ops.append(("text", (chain, self.style.margin, self.y + chain.ascent, line)))
            self.y += chain.line_height
        self.ops.append(("text", (chain, right - value_width, first_baseline, value)))

    def field(self, label: str, value: str) -> None:
        """A small label above its value: long Georgian labels never squeeze the value."""
        self.text(label, self.style.small)
        self.text(value, self.style.body_bold)
        self.space()

    def rule(self) -> None:
        self.space()
        self.ops.append(("rule", (self.y,)))
        self.y += 2
        self.space()

    def space(self, factor: float = 1.0) -> None:
        self.y += round(self.style.gap * factor)

    def image(self, image: Image.Image) -> None:
        self.ops.append(("image", (image, (self.style.width - image.width) // 2, self.y)))
        self.y += image.height

    def draw(self) -> Image.Image:
        height = self.y + self.style.gap
        canvas = Image.new("L", (self.style.width, height), 255)
        pen = ImageDraw.Draw(canvas)
        for kind, args in self.ops:
            if kind == "text":
                chain, x, baseline, line = args
                chain.draw(canvas, x, baseline, line)
            elif kind == "rule":
                (y,) = args
                pen.rectangle((self.style.margin, y, self.style.width - self.style.margin - 1, y + 1), fill=0)
            else:
                image, x, y = args
                canvas.paste(image, (x, y))
        # A fixed threshold, not dithering: dithered text turns to grey fuzz on thermal paper.
        return canvas.point(lambda v: 255 if v >= 128 else 0, mode="1")


def qr_image(url: str, target_px: int) -> Image.Image:
    """A QR code whose modules are whole dots (a scaled QR blurs and stops scanning)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(2, target_px // modules)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _tracking_qr(url: str, target_px: int) -> Image.Image | None:
    """The tracking QR, or None when no QR code can hold the URL.

    The URL ends with the portal's reference; one too long for a QR code
    (or holding a lone surrogate, which UTF-8 cannot encode) leaves the QR
    off the paper. The references are printed as text anyway.
    """
    try:
        return qr_image(url, target_px)
    except (ValueError, DataOverflowError):  # UnicodeEncodeError is a ValueError
        return None


def render(receipt: Receipt, width_dots: int | str = 576, language: str | None = None) -> Image.Image:
    """The receipt as a mode "1" image exactly ``width_dots`` wide, ready for GS v 0.

    ``language`` overrides ``receipt.language`` for the labels. For callers
    written against the first contract, ``render(receipt, language, width)``
    is accepted too.
    """
    if isinstance(width_dots, str):
        language, width_dots = width_dots, int(language or 576)
    return _layout(receipt, int(width_dots), language or receipt.language).draw()


def receipt_lines(receipt: Receipt, width_dots: int = 576) -> list[str]:
    """The printed text, line by line as wrapped, top to bottom.

    For tests, and for a screen or the voice guide that must say what the
    paper says without reading pixels.
    """
    return [args[3] for kind, args in _layout(receipt, width_dots, receipt.language).ops
            if kind == "text"]


def _layout(receipt: Receipt, width_dots: int, lang: str) -> _Layout:

    def _(msgid: str) -> str:
        return translate(lang, msgid)

    style = _Style(width_dots)
    out = _Layout(style)
    out.text(receipt.site_name, style.heading, align="center")
    when = receipt.created_at.astimezone(TBILISI)
    out.text(f"{when:%d.%m.%Y  %H:%M}  ·  {receipt.kiosk_id}", style.small, align="center")
    out.space()
    out.text(_("Receipt"), style.title, align="center")
    out.rule()
    out.field(_("Service"), receipt.service_name)
    out.field(_("Citizen"), receipt.citizen_name)
    out.field(_("Personal number"), receipt.masked_personal_number)
    if receipt.amounts or receipt.fee:
        out.rule()
        for amount in receipt.amounts:
            out.row(amount.label or _("Amount"), format_gel(amount.gel), style.body)
        out.row(_("Fee"), format_gel(receipt.fee), style.body)
        out.space(0.5)
        out.row(_("Total"), format_gel(receipt.total), style.body_bold)
    out.rule()
    out.text(_("Status"), style.small)
    out.text(_(STATUS_TEXT[receipt.status]), style.body_bold)
    out.space()
    out.field(_("Reference"), receipt.local_reference)
    if receipt.portal_reference:
        out.field(_("Portal reference"), receipt.portal_reference)
    qr = _tracking_qr(receipt.tracking_url, style.qr_size) if receipt.tracking_url else None
    if qr is not None:
        out.rule()
        out.image(qr)
        out.text(_("Scan to track your request"), style.small, align="center")
    out.rule()
    out.text(_("Thank you"), style.heading, align="center")
    out.space()
    out.text(_("Questions? Contact us:"), style.small, align="center")
    for line in receipt.contact_lines:
        out.text(line, style.body, align="center")
    return out


def render_png_bytes(receipt: Receipt, width_dots: int = 576) -> bytes:
    """The receipt as PNG, for a screen to show when the printer cannot print."""
    buffer = io.BytesIO()
    render(receipt, width_dots).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


_EXAMPLE_TEXTS = {
    "ka": ("ნასამართლობის ცნობის გაცემა", "გიორგი ბერიძე", "სახელმწიფო ბაჟი"),
    "en": ("Certificate of no criminal record", "Giorgi Beridze", "State duty"),
    "ru": ("Выдача справки об отсутствии судимости", "Гиорги Беридзе", "Государственная пошлина"),
}


def example_receipt(language: str = "ka", status: str = "delivered") -> Receipt:
    """A made-up receipt (no real person) for the docs, the bench, tests and test prints."""
    service, citizen, duty = _EXAMPLE_TEXTS[language]
    return Receipt(
        site_name="იუსტიციის სახლი — თბილისი" if language == "ka" else "Justice House — Tbilisi",
        kiosk_id="tbs-07",
        created_at=datetime(2025, 3, 14, 11, 42, tzinfo=ZoneInfo("UTC")),
        language=language,
        service_name=service,
        citizen_name=citizen,
        personal_number="01001012345",
        local_reference="K07-20250314-0042",
        status=status,
        amounts=(Amount(duty, Decimal("10.00")),),
        fee=Decimal("0.50"),
        portal_reference="MG-2025-0314-7781" if status == "delivered" else None,
        tracking_url="https://my.gov.ge/track/K07-20250314-0042",
    )
