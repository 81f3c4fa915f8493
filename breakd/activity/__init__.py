"""Activity sensing: how long the user has been idle, and when they are surely away.

- ``base``: the ``IdleMonitor`` interface and its threading contract.
- ``x11``, ``gnome``, ``freedesktop``, ``windows``, ``macos``, ``always_present``: one
  idle backend each; ``select.choose_idle_monitor`` picks the one that works here.
- ``away`` (with ``logind`` and ``screensaver``): lock and suspend watchers;
  ``select.start_away_watchers`` starts those that can run.
- ``sleep_detector``: notices a suspend afterwards, when nobody announced it.
- ``sampling``: when to read the idle counter next.

Only the OS's "time since last input" counters are read, never input itself.
"""
