"""Icons: one SVG per node kind in `assets/icons/`, and line icons for the toolbar.

SVGs are rendered with QSvgRenderer when `PySide6.QtSvg` is importable; otherwise each kind
falls back to a QPainter-drawn badge in the kind's colour, so the app never shows a blank.
Pixmaps are cached per (name, size, device pixel ratio).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from gui import theme

try:  # PySide6-Essentials may come without QtSvg on some platforms.
    from PySide6.QtSvg import QSvgRenderer
except ImportError:  # pragma: no cover - exercised only on such installs
    QSvgRenderer = None  # type: ignore[assignment]

ICON_DIR = Path(__file__).resolve().parent.parent / "assets" / "icons"
HAVE_SVG = QSvgRenderer is not None


def kind_svg_path(kind: str) -> Path:
    return ICON_DIR / f"{kind}.svg"


@lru_cache(maxsize=64)
def kind_svg_text(kind: str) -> str | None:
    """The kind's SVG source (used by the SVG export to inline icons), or None."""
    p = kind_svg_path(kind)
    try:
        return p.read_text(encoding="utf-8")
    except OSError:
        return None


@lru_cache(maxsize=32)
def _renderer(kind: str):
    if not HAVE_SVG:
        return None
    text = kind_svg_text(kind)
    if text is None:
        return None
    r = QSvgRenderer(QByteArray(text.encode()))
    return r if r.isValid() else None


def paint_kind(painter: QPainter, rect: QRectF, kind: str) -> None:
    """Draw a kind's icon into `rect` (vector, so it stays sharp at every zoom)."""
    r = _renderer(kind)
    if r is not None:
        r.render(painter, rect)
        return
    _paint_badge(painter, rect, kind)


def _paint_badge(painter: QPainter, rect: QRectF, kind: str) -> None:
    info = theme.kind_info(kind)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(info.colour))
    radius = rect.width() * 0.19
    painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), radius, radius)
    initials = "".join(w[0] for w in info.label.split()[:2]).upper()
    f = QFont(painter.font())
    f.setBold(True)
    f.setPixelSize(max(6, int(rect.height() * 0.36)))
    painter.setFont(f)
    painter.setPen(QColor("#FFFFFF"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials)
    painter.restore()


@lru_cache(maxsize=256)
def kind_pixmap(kind: str, size: int = 32, dpr: float = 1.0) -> QPixmap:
    pm = QPixmap(int(size * dpr), int(size * dpr))
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    paint_kind(p, QRectF(0, 0, size, size), kind)
    p.end()
    return pm


_BUCKETS = (16, 24, 34, 48, 68, 96, 136, 192)


def kind_pixmap_for(kind: str, device_px: float) -> QPixmap:
    """The kind's icon rendered at the smallest cached size covering `device_px` pixels."""
    for size in _BUCKETS:
        if size >= device_px:
            return kind_pixmap(kind, size, 1.0)
    return kind_pixmap(kind, _BUCKETS[-1], 1.0)


@lru_cache(maxsize=64)
def kind_icon(kind: str) -> QIcon:
    icon = QIcon()
    for s in (16, 20, 24, 32, 48):
        icon.addPixmap(kind_pixmap(kind, s, 1.0))
        icon.addPixmap(kind_pixmap(kind, s, 2.0))
    return icon


# --- toolbar line icons (24 × 24, stroke) ----------------------------------------------

_LINE = {
    "new": '<path d="M6 3h8l5 5v13H6z"/><path d="M14 3v5h5"/><path d="M12.5 12v6M9.5 15h6"/>',
    "open": '<path d="M3 7V5h6l2 2h9v3"/><path d="M3 7v13h16l3-10H6l-3 10"/>',
    "save": '<path d="M5 3h11l4 4v14H5z"/><path d="M8 3v5h7V3"/><rect x="8" y="13" width="9" height="8"/>',
    "undo": '<path d="M9 14L4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/>',
    "redo": '<path d="M15 14l5-5-5-5"/><path d="M20 9H9.5a5.5 5.5 0 0 0 0 11H13"/>',
    "zoom_in": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21M10.5 7.5v6M7.5 10.5h6"/>',
    "zoom_out": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21M7.5 10.5h6"/>',
    "fit": '<path d="M3 8V3h5M16 3h5v5M21 16v5h-5M8 21H3v-5"/><rect x="8" y="8" width="8" height="8" rx="1"/>',
    "layout": '<rect x="2.5" y="9" width="5" height="6" rx="1"/><rect x="16.5" y="3.5" width="5" height="6" rx="1"/>'
              '<rect x="16.5" y="14.5" width="5" height="6" rx="1"/><path d="M7.5 12h4M11.5 6.5v11M11.5 6.5h5M11.5 17.5h5"/>',
    "grid": '<path d="M3 8h18M3 16h18M8 3v18M16 3v18"/><rect x="3" y="3" width="18" height="18" rx="1.5"/>',
    "minimap": '<rect x="2.5" y="4" width="19" height="16" rx="1.5"/><rect x="11" y="11" width="8" height="6.5" rx="1"/>',
    "delete": '<path d="M4 7h16M9 7V4h6v3M6.5 7l1 13.5h9L17.5 7"/><path d="M10 11v6M14 11v6"/>',
    "export": '<path d="M12 15V3M7.5 7.5L12 3l4.5 4.5"/><path d="M4 13v8h16v-8"/>',
}


@lru_cache(maxsize=64)
def line_icon(name: str, colour: str = "#3A4653") -> QIcon:
    body = _LINE.get(name, "")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
        f'<g fill="none" stroke="{colour}" stroke-width="1.7" stroke-linecap="round" '
        f'stroke-linejoin="round">{body}</g></svg>'
    )
    icon = QIcon()
    for size in (16, 20, 24, 32):
        for dpr in (1.0, 2.0):
            pm = QPixmap(int(size * dpr), int(size * dpr))
            pm.setDevicePixelRatio(dpr)
            pm.fill(Qt.GlobalColor.transparent)
            if HAVE_SVG:
                p = QPainter(pm)
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                QSvgRenderer(QByteArray(svg.encode())).render(p, QRectF(0, 0, size, size))
                p.end()
            icon.addPixmap(pm)
    return icon


def severity_pixmap(severity: str, size: int = 14, dpr: float = 2.0) -> QPixmap:
    """A round error or warning marker for the problems panel and the status bar."""
    return _severity_pixmap(severity, size, dpr)


@lru_cache(maxsize=16)
def _severity_pixmap(severity: str, size: int, dpr: float) -> QPixmap:
    pm = QPixmap(int(size * dpr), int(size * dpr))
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    col = QColor(theme.ERROR if severity == "error" else theme.WARNING)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(col)
    r = QRectF(1, 1, size - 2, size - 2)
    if severity == "error":
        p.drawEllipse(r)
    else:
        from PySide6.QtCore import QPointF
        from PySide6.QtGui import QPolygonF

        p.drawPolygon(QPolygonF([QPointF(size / 2, 1), QPointF(size - 1, size - 1.5), QPointF(1, size - 1.5)]))
    f = QFont(p.font())
    f.setBold(True)
    f.setPixelSize(int(size * 0.7))
    p.setFont(f)
    p.setPen(QColor("#FFFFFF"))
    p.drawText(r.adjusted(0, 1 if severity != "error" else 0, 0, 0), Qt.AlignmentFlag.AlignCenter, "!")
    p.end()
    return pm
