"""The settings window in a process of its own, which a test can ask what is on screen.

Run as ``python tests/support/settings_probe.py VALUES_JSON``. It opens the real
:class:`SettingsWindow` and answers one JSON line on stdout per command line on stdin:
``report`` (fields, their problems, the status line, theme, icon, what Save printed),
``select N`` (show tab N) and ``quit``. A process of its own because a Tk that lived in
the test process would keep its connection to the test's X server, and lose it (and the
whole test run) when that server stops.
"""

from __future__ import annotations

import io
import json
import queue
import sys
import threading
import tkinter as tk

from breakd.tray.settings_window import WINDOW_CLASS, SettingsWindow


def main() -> int:
    values = json.loads(sys.argv[1])
    output = io.StringIO()
    root = tk.Tk(className=WINDOW_CLASS)
    window = SettingsWindow(root, values, output)
    commands: queue.SimpleQueue[str] = queue.SimpleQueue()

    def read() -> None:
        for line in sys.stdin:
            commands.put(line.strip())
        commands.put("quit")

    def report() -> dict[str, object]:
        root.update_idletasks()
        return {
            "theme": window.theme,
            "icon": window.has_icon,
            "tab": window.notebook.index("current"),
            "box": [
                root.winfo_rootx(),
                root.winfo_rooty(),
                root.winfo_width(),
                root.winfo_height(),
            ],
            "status": str(window.status.cget("text")),
            "typed": window.typed(),
            "output": output.getvalue(),
            "fields": {
                key: {
                    "mapped": bool(field.focus.winfo_ismapped()),
                    "message": str(field.message.cget("text"))
                    if field.message.winfo_ismapped()
                    else None,
                }
                for key, field in window.fields.items()
            },
        }

    def poll() -> None:
        while True:
            try:
                command = commands.get_nowait()
            except queue.Empty:
                break
            if command == "quit":
                root.destroy()
                return
            if command.startswith("select "):
                window.notebook.select(int(command.split()[1]))
                root.update()
            print(json.dumps(report()), flush=True)
        root.after(50, poll)

    threading.Thread(target=read, daemon=True).start()
    root.after(50, poll)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
