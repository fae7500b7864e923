"""The app's look in one place: colours, fonts, per-kind metadata and the edge styles by role.

Canvas items, the palette, the legend and the SVG export all read from here, so a
colour changes once and everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

# --- neutral light palette ----------------------------------------------------------
CANVAS_BG = "#F5F6F8"
GRID_MINOR = "#E9ECF1"
GRID_MAJOR = "#DCE1E8"
CARD_BG = "#FFFFFF"
CARD_BORDER = "#CBD2DC"
TEXT = "#1D2733"
TEXT_MUTED = "#66727F"
TEXT_FAINT = "#8C97A3"
ACCENT = "#2F6FED"
ACCENT_SOFT = "#DCE7FD"
ERROR = "#D13438"
WARNING = "#C27803"
OK = "#1E8E3E"
PANEL_BG = "#FBFBFC"
BORDER = "#D9DEE5"

GRID = 20  # snap and grid spacing, in scene units


@dataclass(frozen=True)
class KindInfo:
    """How a node kind presents itself: label, AWS colour, palette group, one-line blurb."""

    kind: str
    label: str
    colour: str
    short: str  # the stem for new node ids ("queue", "function")


KINDS: dict[str, KindInfo] = {
    k.kind: k
    for k in (
        KindInfo("ApiGateway", "API Gateway", "#E7157B", "api"),
        KindInfo("S3Bucket", "S3 bucket", "#7AA116", "bucket"),
        KindInfo("SNSTopic", "SNS topic", "#E7157B", "topic"),
        KindInfo("EventBridgeRule", "EventBridge rule", "#E7157B", "rule"),
        KindInfo("Schedule", "Schedule", "#E7157B", "schedule"),
        KindInfo("SQSQueue", "SQS queue", "#E7157B", "queue"),
        KindInfo("KinesisStream", "Kinesis stream", "#8C4FFF", "stream"),
        KindInfo("DynamoDBTable", "DynamoDB table", "#3B48CC", "table"),
        KindInfo("EventSourceMapping", "Event source mapping", "#D45B07", "esm"),
        KindInfo("Function", "Lambda function", "#ED7100", "function"),
        KindInfo("Dependency", "Dependency", "#5A6B86", "dependency"),
    )
}


def kind_info(kind: str) -> KindInfo:
    return KINDS.get(kind) or KindInfo(kind, kind, "#5A6B86", kind.lower())


# --- edge styles -----------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeStyle:
    """A role family's stroke: colour, width, dash pattern (in pen widths) and legend text."""

    key: str
    label: str
    colour: str
    width: float
    dash: tuple[float, ...]  # empty: solid


EDGE_STYLES: dict[str, EdgeStyle] = {
    s.key: s
    for s in (
        EdgeStyle("sync", "Synchronous invoke", "#2B3A4A", 2.0, ()),
        EdgeStyle("async", "Asynchronous push", "#2F6FED", 2.0, (5.0, 3.0)),
        EdgeStyle("polled", "Polled (event source mapping)", "#0F8A7E", 2.4, (1.0, 2.2)),
        EdgeStyle("failure", "Failure path (DLQ, on-failure, redrive)", "#D13438", 1.8, (3.0, 2.5)),
        EdgeStyle("success", "On-success destination", "#1E8E3E", 1.8, (3.0, 2.5)),
        EdgeStyle("emits", "Emits (published by the code)", "#8C4FFF", 1.8, (6.0, 2.0, 1.0, 2.0)),
        EdgeStyle("calls", "Calls a dependency", "#66727F", 1.6, ()),
    )
}

ROLE_LABELS = {
    "invoke": "invoke",
    "deliver": "deliver",
    "poll": "poll",
    "dlq": "DLQ",
    "redrive": "redrive",
    "on_failure": "on failure",
    "on_success": "on success",
    "emits": "emits",
    "calls": "calls",
}

ROLE_DESCRIPTIONS = {
    "invoke": "Invoke the function",
    "deliver": "Deliver into the queue or topic",
    "poll": "Poll (event source mapping)",
    "dlq": "Dead-letter queue (async)",
    "redrive": "Redrive after maxReceiveCount",
    "on_failure": "On-failure destination",
    "on_success": "On-success destination",
    "emits": "Emits events from the code",
    "calls": "Calls the dependency",
}

SYNC_SOURCES = ("ApiGateway",)


def edge_style_key(role: str, source_kind: str | None) -> str:
    """The style family of an edge: how a reader tells sync, async, polled and failure apart."""
    if role == "invoke":
        return "sync" if source_kind in SYNC_SOURCES else "async"
    if role == "deliver":
        return "async"
    if role == "poll":
        return "polled"
    if role in ("dlq", "on_failure", "redrive"):
        return "failure"
    if role == "on_success":
        return "success"
    if role == "emits":
        return "emits"
    return "calls"


def edge_style(role: str, source_kind: str | None) -> EdgeStyle:
    return EDGE_STYLES[edge_style_key(role, source_kind)]


# --- fonts --------------------------------------------------------------------------


def ui_font(point_size: float = 9.0, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    f = QFont(QApplication.font())
    f.setPointSizeF(point_size)
    f.setWeight(weight)
    return f


def mono_font(point_size: float = 9.0) -> QFont:
    f = QFont("DejaVu Sans Mono")
    f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPointSizeF(point_size)
    return f


STYLESHEET = f"""
QMainWindow, QDialog {{ background: {PANEL_BG}; }}
QMainWindow::separator {{ background: {BORDER}; width: 1px; height: 1px; }}
QDockWidget {{ font-weight: 600; color: {TEXT}; titlebar-close-icon: none; }}
QDockWidget::title {{
    background: #EEF0F3; padding: 5px 8px; border-bottom: 1px solid {BORDER};
    text-align: left;
}}
QToolBar {{ background: #FFFFFF; border: none; border-bottom: 1px solid {BORDER}; spacing: 2px; padding: 3px 6px; }}
QToolBar::separator {{ background: {BORDER}; width: 1px; margin: 4px 6px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 4px; padding: 3px 5px; color: {TEXT}; }}
QToolButton:hover {{ background: #EEF2F8; border-color: #D5DDE8; }}
QToolButton:checked {{ background: {ACCENT_SOFT}; border-color: #B8CCF6; }}
QStatusBar {{ background: #FFFFFF; border-top: 1px solid {BORDER}; color: {TEXT_MUTED}; }}
QStatusBar QLabel {{ color: {TEXT_MUTED}; padding: 0 6px; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {BORDER}; }}
QTabBar::tab {{
    background: transparent; color: {TEXT_MUTED}; padding: 6px 12px; border: none;
    border-bottom: 2px solid transparent;
}}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover {{ color: {TEXT}; }}
QTreeWidget, QListWidget, QTreeView, QListView {{
    background: #FFFFFF; border: none; outline: none;
}}
QTreeView::item, QListView::item {{ padding: 3px 2px; }}
QTreeView::item:selected, QListView::item:selected {{ background: {ACCENT_SOFT}; color: {TEXT}; }}
QTreeView::item:hover, QListView::item:hover {{ background: #F1F4F9; }}
QHeaderView::section {{
    background: #F4F5F7; color: {TEXT_MUTED}; border: none; border-bottom: 1px solid {BORDER};
    padding: 4px 6px; font-weight: 600;
}}
QLineEdit, QPlainTextEdit, QComboBox, QSpinBox, QDoubleSpinBox {{
    background: #FFFFFF; border: 1px solid #CDD4DD; border-radius: 4px; padding: 3px 6px;
    selection-background-color: {ACCENT};
}}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus {{ border-color: {ACCENT}; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"], QComboBox[invalid="true"] {{
    border-color: {ERROR}; background: #FFF6F6;
}}
QPushButton {{
    background: #FFFFFF; border: 1px solid #C9D0DA; border-radius: 4px; padding: 4px 12px; color: {TEXT};
}}
QPushButton:hover {{ background: #F2F5F9; }}
QPushButton:default {{ border-color: {ACCENT}; }}
QScrollArea {{ border: none; background: transparent; }}
QLabel#SectionTitle {{ color: {TEXT_MUTED}; font-weight: 700; font-size: 8pt; letter-spacing: 0.5px; padding-top: 8px; }}
QLabel#FieldHelp {{ color: {TEXT_FAINT}; font-size: 8pt; }}
QLabel#FieldError {{ color: {ERROR}; font-size: 8pt; }}
QLabel#FieldWarning {{ color: {WARNING}; font-size: 8pt; }}
QLabel#InspectorTitle {{ font-size: 11pt; font-weight: 700; color: {TEXT}; }}
QLabel#InspectorSubtitle {{ color: {TEXT_MUTED}; }}
QLabel#Hint {{ color: {TEXT_MUTED}; }}
QMenu {{ background: #FFFFFF; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 5px 24px 5px 22px; border-radius: 3px; }}
QMenu::item:selected {{ background: {ACCENT_SOFT}; color: {TEXT}; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 6px; }}
QMenuBar {{ background: #FFFFFF; border-bottom: 1px solid {BORDER}; }}
QMenuBar::item {{ padding: 4px 10px; background: transparent; }}
QMenuBar::item:selected {{ background: #EEF2F8; border-radius: 3px; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion with a neutral light palette: the same look on every platform and offscreen.

    Idempotent: a second call is free (re-setting a style sheet re-polishes every widget).
    """
    if app.property("triggerscope_theme"):
        return
    app.setProperty("triggerscope_theme", True)
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor(PANEL_BG))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Base, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#F6F7F9"))
    pal.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Button, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#FFFFFF"))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(TEXT_FAINT))
    pal.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(TEXT_FAINT))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(TEXT_FAINT))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(TEXT_FAINT))
    app.setPalette(pal)
    font = QFont(app.font())
    if font.pointSizeF() < 9 or font.pointSizeF() > 10.5:
        font.setPointSizeF(9.5)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)


def colour(name: str) -> QColor:
    return QColor(name)


PEN_CAP = Qt.PenCapStyle.RoundCap
