"""Justice-house kiosk: the application core.

The core holds configuration, the visit's state machine, the portal client,
the service catalog, translations and the command line. It never imports
Kivy, so every rule about a citizen's visit can be tested without a window.
"""

__version__ = "0.1.0"
