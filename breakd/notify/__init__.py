"""Telling the user: reminders and break summaries, with one backend per platform."""
