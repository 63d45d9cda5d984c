"""Session-wide test settings.

Daemons the tests start take any free admin port (`[local] admin_port = 0`,
through its environment override), since the fixed default would let two
daemons of one test, or of two suites run side by side, collide. The tests
of the fixed address set their own.
"""

from __future__ import annotations

import os

os.environ.setdefault("BLUEGREEN_LOCAL_ADMIN_PORT", "0")
