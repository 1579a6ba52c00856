"""``python -m matcher.migrations revision "what changed"``: write the next migration."""

from __future__ import annotations

import sys

from matcher.migrations import revision

if len(sys.argv) != 3 or sys.argv[1] != "revision":
    sys.exit('usage: python -m matcher.migrations revision "what changed"')
revision(sys.argv[2])
