"""The design canvas: scene and items draw the document; interactions turn mouse gestures into
document edits; the view adds zoom, pan, drops and overlays; layout and export are helpers.
"""

from gui.canvas.scene import CanvasScene
from gui.canvas.view import PALETTE_MIME, CanvasView

__all__ = ["CanvasScene", "CanvasView", "PALETTE_MIME"]
