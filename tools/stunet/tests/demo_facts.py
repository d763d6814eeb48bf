"""Prints what tools.stunet.train_demo puts into the demo model card (reference for the
Java test of models/demo)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tools.stunet import train_demo  # noqa: E402

print(json.dumps({"classes": train_demo.CLASSES, "patchSize": train_demo.PATCH,
                  "targetSpacing": train_demo.SPACING, "dims": train_demo.DIMS,
                  "poolKernels": train_demo.POOL_KERNELS}))
