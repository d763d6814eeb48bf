"""Reference for `stunet predict`: the official nnU-Net v1 inference of one NIfTI file with a
model directory (model.json + model.pt), composed from the reference steps that the Java
parity tests already check one by one — reference_preprocess (NUMERICS §1-2),
reference_window (§3) and reference_preprocess's export (§4). Nothing is re-implemented here.

  python3 -m tools.stunet.reference_predict FILE --model DIR --out-dir DIR
          [--no-tta] [--step 0.5] [--export nearest|linear] [--threads T]

Writes into --out-dir (raw little-endian, C order (z, y, x)):
  data.f32, props.json   the preprocessed network input and its properties
  net.labels             int32 network-space argmax
  net.margin             float32 top-2 probability margin in network space
  mask.u2                uint16 labels on the input's grid
and prints {"seconds": ..., "tiles": ..., "networkShape": [...]} on stdout.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import time

import numpy as np

from . import reference_preprocess, reference_window


def preprocess_argv(file, card, out_dir):
    norm = card['normalization'][0]
    argv = ['preprocess', file,
            '--spacing', ','.join(str(s) for s in card['targetSpacing']),
            '--norm', norm['scheme'],
            '--orientation', card.get('orientation', 'RAS'),
            '--transpose', ','.join(str(i) for i in card.get('transposeForward', [0, 1, 2])),
            '--anisotropy-threshold', str(card.get('anisotropyThreshold', 3.0)),
            '--out-dir', out_dir]
    if norm['scheme'] == 'CT':
        argv += ['--ct-mean', str(norm['mean']), '--ct-sd', str(norm['sd']),
                 '--ct-lower', str(norm['lowerBound']), '--ct-upper', str(norm['upperBound'])]
    if norm.get('useMaskForNorm'):
        argv.append('--mask-for-norm')
    if not card.get('cropToNonzero', True):
        argv.append('--no-crop')
    return argv


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('file')
    p.add_argument('--model', required=True, help='model directory with model.json and model.pt')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--no-tta', dest='tta', action='store_false')
    p.add_argument('--step', type=float, default=0.5)
    p.add_argument('--export', choices=['nearest', 'linear'], default='nearest')
    p.add_argument('--threads', type=int, default=0)
    a = p.parse_args(argv)

    with open(os.path.join(a.model, 'model.json')) as f:
        card = json.load(f)
    if card['inputChannels'] != 1:
        sys.exit('reference_predict handles single-channel models only')
    os.makedirs(a.out_dir, exist_ok=True)
    start = time.time()
    reference_preprocess.main(preprocess_argv(a.file, card, a.out_dir))
    with open(os.path.join(a.out_dir, 'props.json')) as f:
        props = json.load(f)
    shape = [props['channels']] + props['resampledShape']

    window_argv = ['predict', '--model', os.path.join(a.model, card.get('modelFile', 'model.pt')),
                   '--input', os.path.join(a.out_dir, 'data.f32'),
                   '--shape', *[str(s) for s in shape],
                   '--patch', *[str(s) for s in card['patchSize']],
                   '--classes', str(len(card['classes'])),
                   '--step', str(a.step),
                   '--mirror-axes', *[str(i) for i in card.get('mirrorAxes', [0, 1, 2])],
                   '--threads', str(a.threads),
                   '--out', os.path.join(a.out_dir, 'net')]
    if a.tta:
        window_argv.append('--tta')
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        reference_window.main(window_argv)
    window = json.loads(report.getvalue().strip().splitlines()[-1])

    labels = np.fromfile(os.path.join(a.out_dir, 'net.labels'), dtype='<i4')
    labels.astype('<u2').tofile(os.path.join(a.out_dir, 'net.u2'))
    reference_preprocess.main(['export', a.file, '--labels', os.path.join(a.out_dir, 'net.u2'),
                               '--props', os.path.join(a.out_dir, 'props.json'), '--mode', a.export,
                               '--orientation', card.get('orientation', 'RAS'),
                               '--anisotropy-threshold', str(card.get('anisotropyThreshold', 3.0)),
                               '--output', os.path.join(a.out_dir, 'mask.u2')])
    print(json.dumps({'seconds': time.time() - start, 'tiles': window.get('tiles'),
                      'networkShape': props['resampledShape']}))


if __name__ == '__main__':
    main()
