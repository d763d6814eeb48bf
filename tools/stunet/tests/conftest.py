"""Makes ``tools`` importable however pytest is started (the Maven module runs it from the
repository root); the checkpoint builders live in tools.stunet.testmodels."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
