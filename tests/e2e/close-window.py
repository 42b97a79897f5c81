#!/usr/bin/python3
"""Ask a window to close the way a desktop's close button does: send it WM_DELETE_WINDOW.

Under Xvfb there is no window manager to press the title bar's close button, and WebDriver's
"close window" destroys the web view without asking the app, so the E2E test uses this to reach
the app's real close-requested handling. Usage: close-window.py TITLE  (exit 1 if not found)."""

import sys

from Xlib import X, display, protocol


def windows(d, w):
    yield w
    for child in w.query_tree().children:
        yield from windows(d, child)


def main(title: str) -> int:
    d = display.Display()
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    sent = 0
    for w in windows(d, d.screen().root):
        try:
            if w.get_wm_name() != title or delete not in (w.get_wm_protocols() or []):
                continue
        except Exception:  # a window that vanished while we looked
            continue
        event = protocol.event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        w.send_event(event, event_mask=X.NoEventMask)
        sent += 1
    d.flush()
    return 0 if sent else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "Casebook"))
