"""`python -m gui [FILE] [--screenshot OUT.png]`: the desktop app."""

import sys

from gui.app import main

sys.exit(main())
