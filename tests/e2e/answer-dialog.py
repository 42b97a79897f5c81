#!/usr/bin/python3
"""Answer a native (GTK) dialog the way a person at the keyboard would: focus the window titled
TITLE and press KEY (an X keysym name such as Return or Escape) through the XTest extension;
KEY "none" only checks that the dialog is on screen.

WebDriver drives the web view only, so the E2E test uses this to reach the real save dialog that
rfd opens for an export. Usage: answer-dialog.py TITLE KEY. Exit 1 if no such window is mapped."""

import sys
import time

from Xlib import X, XK, display
from Xlib.ext import xtest


def windows(w):
    yield w
    for child in w.query_tree().children:
        yield from windows(child)


def find(d, title):
    for w in windows(d.screen().root):
        try:
            if w.get_wm_name() == title and w.get_attributes().map_state == X.IsViewable:
                return w
        except Exception:  # a window that vanished while we looked
            continue
    return None


def main(title: str, key: str) -> int:
    d = display.Display()
    w = find(d, title)
    if w is None:
        return 1
    if key == "none":
        return 0
    # No window manager under Xvfb: give the dialog the keyboard ourselves.
    w.set_input_focus(X.RevertToParent, X.CurrentTime)
    d.sync()
    time.sleep(0.3)
    code = d.keysym_to_keycode(XK.string_to_keysym(key))
    xtest.fake_input(d, X.KeyPress, code)
    xtest.fake_input(d, X.KeyRelease, code)
    d.sync()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
