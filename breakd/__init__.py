"""breakd: a quiet break reminder that watches how long you sit."""

__version__ = "0.1.0"
APP_NAME = "breakd"
