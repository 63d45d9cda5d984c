"""`python -m bluegreen.runtime STATE_DIR`: the runtime process (see `server`)."""

import sys

from .server import main

sys.exit(main())
