"""Calls: the microphone or the camera in use means the user is at the computer.

``base`` holds the interface, one module per platform and device implements it
(``pulse``, ``camera``, ``windows``, ``macos``), and ``select`` starts those that work
here and combines their answers.
"""
