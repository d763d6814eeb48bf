#!/usr/bin/python3
"""Checks that DICOM files received by our storage receiver hold the same data sets as the
files that were sent, and that their file meta information is well-formed.

Usage: dicom_same_instance.py SENT_FILE... -- RECEIVED_FILE...

Each received file is read with pydicom (which checks the Part 10 structure), matched to a
sent file by SOPInstanceUID, and compared element by element (pixel data included, file
meta excluded; Data Set Trailing Padding (FFFC,FFFC) too, which carries no content and
which senders such as dcmtk's storescu drop). Prints one JSON object per received file; "ok" says whether it matched.
"""
import json
import sys

import pydicom

TRAILING_PADDING = 0xFFFCFFFC


def main():
    args = sys.argv[1:]
    cut = args.index("--")
    sent = {}
    for path in args[:cut]:
        ds = pydicom.dcmread(path)
        sent[ds.SOPInstanceUID] = ds
    for path in args[cut + 1:]:
        got = pydicom.dcmread(path)
        meta = got.file_meta
        ref = sent.get(got.SOPInstanceUID)
        ok = (ref is not None and meta.MediaStorageSOPInstanceUID == got.SOPInstanceUID
              and meta.MediaStorageSOPClassUID == got.SOPClassUID)
        differing = []
        if ref is not None:
            for elem in ref:
                if elem.tag == TRAILING_PADDING:
                    continue
                if elem.tag not in got or got[elem.tag].value != elem.value:
                    differing.append(str(elem.tag))
            for elem in got:
                if elem.tag not in ref and elem.tag != TRAILING_PADDING:
                    differing.append(str(elem.tag))
        ok = ok and not differing
        print(json.dumps({"file": path, "ok": ok, "transfer_syntax": str(meta.TransferSyntaxUID),
                          "elements": len(got), "differing": differing}))


if __name__ == "__main__":
    main()
