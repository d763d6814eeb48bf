"""Prints the sha256 of a file with hashlib (reference for the Java checksum)."""

import hashlib
import sys

with open(sys.argv[1], "rb") as f:
    print(hashlib.sha256(f.read()).hexdigest())
