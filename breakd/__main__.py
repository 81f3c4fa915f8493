"""Allow ``python -m breakd``."""

from breakd.cli import main

raise SystemExit(main())
