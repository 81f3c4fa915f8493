"""The tray icon and its menu.

``model`` describes the menu without any toolkit, ``icon`` draws the icon, and
``pystray_tray`` turns both into a pystray icon for this platform; ``run`` runs it on the
main thread beside the daemon. The settings window is a Tk program of its own, started
as a separate process, so no toolkit ever shares a thread with another.
"""
