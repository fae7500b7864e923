"""The problems panel: validation errors and design warnings (`core.validate.problems`), kept
current as the user edits; clicking one selects the node or edge at fault.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.validate import Problem
from gui import icons, theme

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QWidget):
    problem_activated = Signal(object)  # Problem

    def __init__(self, parent=None):
        super().__init__(parent)
        self.problems: list[Problem] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        bar = QWidget()
        bar.setStyleSheet(f"background:#FFFFFF;border-bottom:1px solid {theme.BORDER};")
        bl = QHBoxLayout(bar)
        bl.setContentsMargins(8, 3, 8, 3)
        self.summary = QLabel()
        bl.addWidget(self.summary)
        bl.addStretch(1)
        self.show_errors = self._toggle("Errors", "error")
        self.show_warnings = self._toggle("Warnings", "warning")
        bl.addWidget(self.show_errors)
        bl.addWidget(self.show_warnings)
        lay.addWidget(bar)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Problem", "Where", "Path"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.setIconSize(QSize(14, 14))
        h = self.tree.header()
        h.setStretchLastSection(False)
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        h.resizeSection(2, 240)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        lay.addWidget(self.tree)
        self.set_problems([])

    def _toggle(self, text: str, severity: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setCheckable(True)
        b.setChecked(True)
        b.setIcon(QIcon(icons.severity_pixmap(severity)))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.toggled.connect(lambda _on: self._fill())
        return b

    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        self._fill()

    def counts(self) -> tuple[int, int]:
        e = sum(1 for p in self.problems if p.severity == "error")
        return e, len(self.problems) - e

    def _fill(self) -> None:
        errors, warnings = self.counts()
        if not self.problems:
            self.summary.setText(f"<span style='color:{theme.OK}'>✔</span> No problems: the design is valid")
        else:
            self.summary.setText(f"<b>{errors}</b> error{'s' if errors != 1 else ''}, "
                                 f"<b>{warnings}</b> warning{'s' if warnings != 1 else ''}")
        self.tree.clear()
        items = []
        for p in sorted(self.problems, key=lambda p: p.severity != "error"):
            if p.severity == "error" and not self.show_errors.isChecked():
                continue
            if p.severity != "error" and not self.show_warnings.isChecked():
                continue
            where = p.node or (f"edge {p.edge}" if p.edge is not None else "")
            it = QTreeWidgetItem([p.message, where, p.path])
            it.setIcon(0, QIcon(icons.severity_pixmap(p.severity)))
            it.setToolTip(0, p.message)
            it.setForeground(2, QColor(theme.TEXT_FAINT))
            it.setData(0, PROBLEM_ROLE, p)
            items.append(it)
        self.tree.addTopLevelItems(items)

    def item_for(self, problem: Problem) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it.data(0, PROBLEM_ROLE) == problem:
                return it
        return None

    def _clicked(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        p = item.data(0, PROBLEM_ROLE)
        if p is not None:
            self.problem_activated.emit(p)
