"""Allow ``python -m breakd.cli``, as ``python -m breakd``."""

from breakd.cli import main

raise SystemExit(main())
