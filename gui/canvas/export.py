"""Export the diagram: PNG by rendering the scene, SVG written from the items themselves.

The SVG does not need QtSvg: each item describes itself (`svg()`), text stays text, the kind
icons are inlined from `assets/icons`, and edges keep their dash patterns and arrowheads.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath

from gui import icons, theme

MARGIN = 40.0


def diagram_rect(scene) -> QRectF:
    rect = QRectF()
    for item in list(scene.node_items.values()) + list(scene.edge_items.values()):
        rect = rect.united(item.sceneBoundingRect())
    if rect.isNull():
        rect = QRectF(0, 0, 400, 300)
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def export_png(scene, path: str | Path, scale: float = 2.0) -> None:
    """Render the whole design (not just the visible part) at `scale`× on the canvas colour."""
    rect = diagram_rect(scene)
    img = QImage(int(rect.width() * scale), int(rect.height() * scale), QImage.Format.Format_ARGB32_Premultiplied)
    img.setDotsPerMeterX(int(3780 * scale))
    img.setDotsPerMeterY(int(3780 * scale))
    img.fill(QColor("#FFFFFF"))
    selected = scene.selectedItems()
    for it in selected:
        it.setSelected(False)
    p = QPainter(img)
    p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                     | QPainter.RenderHint.SmoothPixmapTransform)
    scene.render(p, QRectF(0, 0, img.width(), img.height()), rect, Qt.AspectRatioMode.KeepAspectRatio)
    p.end()
    for it in selected:
        it.setSelected(True)
    if not img.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")


def svg_document(scene) -> str:
    rect = diagram_rect(scene)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{rect.width():.0f}" height="{rect.height():.0f}" '
        f'viewBox="{rect.x():.1f} {rect.y():.1f} {rect.width():.1f} {rect.height():.1f}">',
        f'<title>{escape(scene.document.scenario.name or "Triggerscope design")}</title>',
        f'<rect x="{rect.x():.1f}" y="{rect.y():.1f}" width="{rect.width():.1f}" height="{rect.height():.1f}" fill="#FFFFFF"/>',
        '<g id="edges">',
    ]
    parts += [e.svg() for e in scene.edge_items.values()]
    parts.append('</g>\n<g id="nodes">')
    parts += [n.svg() for n in scene.node_items.values()]
    parts.append("</g>\n</svg>\n")
    return "\n".join(parts)


def export_svg(scene, path: str | Path) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(svg_document(scene), encoding="utf-8")
    tmp.replace(path)


# --- helpers the items use ----------------------------------------------------------------------


def path_d(path: QPainterPath) -> str:
    """A QPainterPath as SVG path data (moves, lines and cubic curves)."""
    out = []
    i, n = 0, path.elementCount()
    while i < n:
        el = path.elementAt(i)
        if el.isMoveTo():
            out.append(f"M{el.x:.1f},{el.y:.1f}")
            i += 1
        elif el.isLineTo():
            out.append(f"L{el.x:.1f},{el.y:.1f}")
            i += 1
        elif el.isCurveTo() and i + 2 < n:
            c2, end = path.elementAt(i + 1), path.elementAt(i + 2)
            out.append(f"C{el.x:.1f},{el.y:.1f} {c2.x:.1f},{c2.y:.1f} {end.x:.1f},{end.y:.1f}")
            i += 3
        else:
            i += 1
    return " ".join(out)


def svg_text(x: float, y: float, text: str, font: QFont, colour: str, anchor: str = "start",
             weight: int | None = None, letter_spacing: float = 0.0) -> str:
    size = font.pointSizeF() * 96 / 72 if font.pointSizeF() > 0 else font.pixelSize()
    w = weight if weight is not None else int(font.weight())
    extra = f' letter-spacing="{letter_spacing:g}"' if letter_spacing else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="Segoe UI, Helvetica Neue, DejaVu Sans, Arial, sans-serif" '
            f'font-size="{size:.1f}" font-weight="{w}" fill="{colour}" text-anchor="{anchor}"{extra}>'
            f"{escape(text)}</text>")


_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)


def svg_icon(kind: str, x: float, y: float, size: float) -> str:
    """The kind's icon inlined as a group scaled from its 48 × 48 view box."""
    text = icons.kind_svg_text(kind)
    if text:
        m = _SVG_OPEN.search(text)
        end = text.rfind("</svg>")
        if m and end > m.end():
            body = text[m.end():end].strip()
            return f'<g transform="translate({x:g},{y:g}) scale({size / 48:g})">{body}</g>'
    info = theme.kind_info(kind)
    return f'<rect x="{x:g}" y="{y:g}" width="{size:g}" height="{size:g}" rx="{size * 0.19:g}" fill="{info.colour}"/>'
