"""Prints the facts of a released nnU-Net v1 ``.model.pkl`` that a model card must carry,
read with plain pickle (reference for the Java ModelCard test)."""

import json
import pickle
import sys

with open(sys.argv[1], "rb") as f:
    wrapped = pickle.load(f)
plans = wrapped["plans"]
stage = plans["plans_per_stage"][wrapped["init"][5]]
print(json.dumps({
    "patch_size": [int(v) for v in stage["patch_size"]],
    "current_spacing": [float(v) for v in stage["current_spacing"]],
    "transpose_forward": [int(v) for v in plans["transpose_forward"]],
    "transpose_backward": [int(v) for v in plans["transpose_backward"]],
    "num_classes": int(plans["num_classes"]),
    "num_modalities": int(plans["num_modalities"]),
    "normalization": plans["normalization_schemes"][0],
}))
