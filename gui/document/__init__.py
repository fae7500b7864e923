"""The document layer: the scenario being edited, its undo commands and the copy/paste format."""

from gui.document.document import ConnectionRefused, ScenarioDocument
from gui.document.fragment import MIME_TYPE, fragment_of, parse_fragment

__all__ = ["ConnectionRefused", "ScenarioDocument", "MIME_TYPE", "fragment_of", "parse_fragment"]
