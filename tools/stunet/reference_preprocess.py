"""Reference for the Java preprocessing and mask export: nnU-Net v1's call sequence on the
very library functions it calls (numpy, scipy.ndimage, skimage.transform.resize,
nibabel.as_closest_canonical). The nnU-Net functions used here (crop_to_nonzero,
resample_patient, resample_data_or_seg, resize_segmentation, resample_and_normalize,
save_segmentation_nifti) follow nnU-Net v1.7.1 (Apache-2.0) statement by statement; only
file handling differs. Deliberate choices of docs/numerics.md are marked "NUMERICS".

Raw files are little-endian, C order (z, y, x) or (c, z, y, x). Subcommands:
  resize      data path of resample_data_or_seg (is_seg=False) on a raw float32 volume
  resize-seg  segmentation path of resample_data_or_seg (is_seg=True) on a raw uint16 map
  preprocess  the whole preprocess_test_case on a NIfTI file -> resampled.f32, data.f32, props.json
  export      save_segmentation_nifti's resample/uncrop + undo transpose/reorientation -> raw uint16
  bench       times skimage.transform.resize(order=3) on a raw int16 volume (peak RSS too)
  fill-holes  scipy.ndimage.binary_fill_holes on a raw uint8 mask
  batch       runs many of these command lines in one interpreter (saves the import time)
  make-volume writes a test NIfTI (random or a re-oriented copy of another file)
"""
import argparse
import json
import os
import sys

import nibabel as nib
import numpy as np
from scipy.ndimage import binary_fill_holes, map_coordinates
from skimage.transform import resize

ANISO_THRESHOLD = 3


# ---- nnU-Net v1: preprocessing/cropping.py -------------------------------------------------
def create_nonzero_mask(data):
    nonzero_mask = np.zeros(data.shape[1:], dtype=bool)
    for c in range(data.shape[0]):
        this_mask = data[c] != 0
        nonzero_mask = nonzero_mask | this_mask
    nonzero_mask = binary_fill_holes(nonzero_mask)
    return nonzero_mask


def get_bbox_from_mask(mask, outside_value=0):
    mask_voxel_coords = np.where(mask != outside_value)
    if len(mask_voxel_coords[0]) == 0:
        # NUMERICS/our choice: nnU-Net raises on an all-zero volume; we keep the whole volume.
        return [[0, s] for s in mask.shape]
    return [[int(np.min(c)), int(np.max(c)) + 1] for c in mask_voxel_coords]


def crop_to_bbox(image, bbox):
    resizer = (slice(bbox[0][0], bbox[0][1]), slice(bbox[1][0], bbox[1][1]), slice(bbox[2][0], bbox[2][1]))
    return image[resizer]


def crop_to_nonzero(data, nonzero_label=-1):
    nonzero_mask = create_nonzero_mask(data)
    bbox = get_bbox_from_mask(nonzero_mask, 0)
    data = np.vstack([crop_to_bbox(data[c], bbox)[None] for c in range(data.shape[0])])
    nonzero_mask = crop_to_bbox(nonzero_mask, bbox)[None]
    nonzero_mask = nonzero_mask.astype(int)
    nonzero_mask[nonzero_mask == 0] = nonzero_label
    nonzero_mask[nonzero_mask > 0] = 0
    return data, nonzero_mask, bbox


# ---- nnU-Net v1: preprocessing/preprocessing.py ---------------------------------------------
def get_do_separate_z(spacing, anisotropy_threshold=ANISO_THRESHOLD):
    return (np.max(spacing) / np.min(spacing)) > anisotropy_threshold


def get_lowres_axis(new_spacing):
    return np.where(max(new_spacing) / np.array(new_spacing) == 1)[0]


def resize_segmentation(segmentation, new_shape, order=3):
    tpe = segmentation.dtype
    unique_labels = np.unique(segmentation)
    assert len(segmentation.shape) == len(new_shape)
    if order == 0:
        return resize(segmentation.astype(float), new_shape, order, mode="edge", clip=True,
                      anti_aliasing=False).astype(tpe)
    reshaped = np.zeros(new_shape, dtype=segmentation.dtype)
    for c in unique_labels:
        mask = segmentation == c
        reshaped_multihot = resize(mask.astype(float), new_shape, order, mode="edge", clip=True,
                                   anti_aliasing=False)
        reshaped[reshaped_multihot >= 0.5] = c
    return reshaped


def resample_data_or_seg(data, new_shape, is_seg, axis=None, order=3, do_separate_z=False, order_z=0):
    assert len(data.shape) == 4
    if is_seg:
        resize_fn = resize_segmentation
        kwargs = {}
    else:
        resize_fn = resize
        kwargs = {'mode': 'edge', 'anti_aliasing': False}
    dtype_data = data.dtype
    data = data.astype(float)
    shape = np.array(data[0].shape)
    new_shape = np.array(new_shape)
    if not np.any(shape != new_shape):
        return data.astype(dtype_data)
    if do_separate_z:
        assert len(axis) == 1
        axis = axis[0]
        if axis == 0:
            new_shape_2d = new_shape[1:]
        elif axis == 1:
            new_shape_2d = new_shape[[0, 2]]
        else:
            new_shape_2d = new_shape[:-1]
        reshaped_final_data = []
        for c in range(data.shape[0]):
            reshaped_data = []
            for slice_id in range(shape[axis]):
                if axis == 0:
                    reshaped_data.append(resize_fn(data[c, slice_id], new_shape_2d, order, **kwargs))
                elif axis == 1:
                    reshaped_data.append(resize_fn(data[c, :, slice_id], new_shape_2d, order, **kwargs))
                else:
                    reshaped_data.append(resize_fn(data[c, :, :, slice_id], new_shape_2d, order, **kwargs))
            reshaped_data = np.stack(reshaped_data, axis)
            if shape[axis] != new_shape[axis]:
                rows, cols, dim = new_shape[0], new_shape[1], new_shape[2]
                orig_rows, orig_cols, orig_dim = reshaped_data.shape
                row_scale = float(orig_rows) / rows
                col_scale = float(orig_cols) / cols
                dim_scale = float(orig_dim) / dim
                map_rows, map_cols, map_dims = np.mgrid[:rows, :cols, :dim]
                map_rows = row_scale * (map_rows + 0.5) - 0.5
                map_cols = col_scale * (map_cols + 0.5) - 0.5
                map_dims = dim_scale * (map_dims + 0.5) - 0.5
                coord_map = np.array([map_rows, map_cols, map_dims])
                if not is_seg or order_z == 0:
                    reshaped_final_data.append(map_coordinates(reshaped_data, coord_map, order=order_z,
                                                               mode='nearest')[None])
                else:
                    raise ValueError("order_z > 0 for segmentations is not used by nnU-Net v1 inference")
            else:
                reshaped_final_data.append(reshaped_data[None])
        reshaped_final_data = np.vstack(reshaped_final_data)
    else:
        reshaped = [resize_fn(data[c], new_shape, order, **kwargs)[None] for c in range(data.shape[0])]
        reshaped_final_data = np.vstack(reshaped)
    return reshaped_final_data.astype(dtype_data)


def separate_z_decision(original_spacing, target_spacing, threshold=ANISO_THRESHOLD):
    """resample_patient's decision (force_separate_z=None): (do_separate_z, axis or None)."""
    if get_do_separate_z(original_spacing, threshold):
        do_separate_z = True
        axis = get_lowres_axis(original_spacing)
    elif get_do_separate_z(target_spacing, threshold):
        do_separate_z = True
        axis = get_lowres_axis(target_spacing)
    else:
        do_separate_z = False
        axis = None
    if axis is not None and len(axis) != 1:
        do_separate_z = False
    return do_separate_z, axis


def new_shape_for(shape, original_spacing, target_spacing):
    return np.round(((np.array(original_spacing) / np.array(target_spacing)).astype(float)
                     * np.array(shape))).astype(int)


def normalize(data, seg, schemes, use_nonzero_mask, ct_props):
    for c in range(len(data)):
        scheme = schemes[c]
        if scheme == "CT":
            p = ct_props[c]
            data[c] = np.clip(data[c], p['lowerBound'], p['upperBound'])
            # NUMERICS: divide by max(sd, 1e-8) (v2), v1 divides by sd.
            data[c] = (data[c] - p['mean']) / max(p['sd'], 1e-8)
            if use_nonzero_mask[c]:
                data[c][seg[-1] < 0] = 0
        else:
            if use_nonzero_mask[c]:
                mask = seg[-1] >= 0
                data[c][mask] = (data[c][mask] - data[c][mask].mean()) / (data[c][mask].std() + 1e-8)
                data[c][mask == 0] = 0
            else:
                mn = data[c].mean()
                std = data[c].std()
                data[c] = (data[c] - mn) / (std + 1e-8)
    return data


# ---- I/O ------------------------------------------------------------------------------------
def load_zyx(path, orientation):
    img = nib.load(path)
    if orientation == 'RAS':
        img = nib.as_closest_canonical(img)
    arr = np.asanyarray(img.dataobj)
    if img.header.get_slope_inter() != (None, None):
        arr = img.get_fdata()
    arr = arr.astype(np.float32)
    if arr.ndim == 3:
        arr = arr[..., None]
    data = np.stack([arr[..., c].transpose(2, 1, 0) for c in range(arr.shape[3])])
    spacing_zyx = [float(s) for s in img.header.get_zooms()[:3]][::-1]
    return data, spacing_zyx


def ints(text):
    return [int(v) for v in text.split(',')]


def floats(text):
    return [float(v) for v in text.split(',')]


def cmd_resize(a):
    shape = ints(a.shape)
    data = np.fromfile(a.input, dtype='<f4').reshape([1] + shape)
    sep = a.separate_axis is not None
    out = resample_data_or_seg(data, ints(a.out_shape), False, [a.separate_axis] if sep else None,
                               order=a.order, do_separate_z=sep, order_z=0)
    out[0].astype('<f4').tofile(a.output)


def cmd_resize_seg(a):
    shape = ints(a.shape)
    seg = np.fromfile(a.input, dtype='<u2').reshape([1] + shape).astype(np.int64)
    sep = a.separate_axis is not None
    out = resample_data_or_seg(seg, ints(a.out_shape), True, [a.separate_axis] if sep else None,
                               order=a.order, do_separate_z=sep, order_z=0)
    out[0].astype('<u2').tofile(a.output)


def cmd_fill_holes(a):
    mask = np.fromfile(a.input, dtype='u1').reshape(ints(a.shape)) != 0
    binary_fill_holes(mask).astype('u1').tofile(a.output)


def cmd_preprocess(a):
    data, spacing = load_zyx(a.file, a.orientation)
    shape_before_crop = list(data.shape[1:])
    os.makedirs(a.out_dir, exist_ok=True)
    if a.dump_input:
        data.astype('<f4').tofile(os.path.join(a.out_dir, 'input.f32'))
    if a.crop:
        data, seg, bbox = crop_to_nonzero(data)
    else:
        bbox = [[0, s] for s in data.shape[1:]]
        seg = np.zeros((1,) + data.shape[1:], dtype=int)
    shape_after_crop = list(data.shape[1:])
    tf = ints(a.transpose)
    data = data.transpose((0, *[i + 1 for i in tf]))
    seg = seg.transpose((0, *[i + 1 for i in tf]))
    spacing_t = np.array(spacing)[tf]
    target = np.array(floats(a.spacing))
    data[np.isnan(data)] = 0
    new_shape = new_shape_for(data[0].shape, spacing_t, target)
    do_sep, axis = separate_z_decision(spacing_t, target, a.anisotropy_threshold)
    data = resample_data_or_seg(data, new_shape, False, axis, 3, do_sep, order_z=0)
    channels = data.shape[0]
    use_mask = [a.mask_for_norm] * channels
    if any(use_mask):
        seg = resample_data_or_seg(seg, new_shape, True, axis, 1, do_sep, order_z=0)
    data.astype('<f4').tofile(os.path.join(a.out_dir, 'resampled.f32'))
    ct = [{'mean': a.ct_mean, 'sd': a.ct_sd, 'lowerBound': a.ct_lower, 'upperBound': a.ct_upper}] * channels
    data = normalize(data, seg, [a.norm] * channels, use_mask, ct)
    data.astype('<f4').tofile(os.path.join(a.out_dir, 'data.f32'))
    props = {
        'shapeBeforeCrop': shape_before_crop,
        'cropBbox': bbox,
        'shapeAfterCrop': shape_after_crop,
        'spacing': spacing,
        'spacingTransposed': [float(s) for s in spacing_t],
        'targetSpacing': [float(s) for s in target],
        'resampledShape': [int(s) for s in data.shape[1:]],
        'separateZ': bool(do_sep),
        'lowResAxis': int(axis[0]) if do_sep else -1,
        'transposeForward': tf,
        'channels': channels,
    }
    with open(os.path.join(a.out_dir, 'props.json'), 'w') as f:
        json.dump(props, f)


def cmd_export(a):
    with open(a.props) as f:
        props = json.load(f)
    tf = props['transposeForward']
    tb = [int(i) for i in np.argsort(tf)]
    seg = np.fromfile(a.labels, dtype='<u2').reshape(props['resampledShape']).astype(np.int64)
    # nnU-Net v1 transposes back before save_segmentation_nifti.
    seg = seg.transpose(tb)
    shape_after_crop = props['shapeAfterCrop']
    order = 0 if a.mode == 'nearest' else 1
    if np.any(np.array(seg.shape) != np.array(shape_after_crop)):
        if order == 0:
            seg_old = resize_segmentation(seg, shape_after_crop, 0)
        else:
            do_sep, axis = separate_z_decision(np.array(props['spacing']),
                                               np.array(props['targetSpacing'])[tb], a.anisotropy_threshold)
            seg_old = resample_data_or_seg(seg[None], shape_after_crop, True, axis=axis, order=1,
                                           do_separate_z=do_sep, order_z=0)[0]
    else:
        seg_old = seg
    bbox = props['cropBbox']
    full = np.zeros(props['shapeBeforeCrop'], dtype=np.int64)
    full[bbox[0][0]:bbox[0][1], bbox[1][0]:bbox[1][1], bbox[2][0]:bbox[2][1]] = seg_old
    xyz = full.transpose(2, 1, 0)
    img = nib.load(a.file)
    if a.orientation == 'RAS':
        ornt = nib.orientations.io_orientation(img.affine)
        back = nib.orientations.ornt_transform(nib.orientations.axcodes2ornt(('R', 'A', 'S')), ornt)
        xyz = nib.orientations.apply_orientation(xyz, back)
    assert tuple(xyz.shape) == tuple(img.shape[:3]), (xyz.shape, img.shape)
    np.ascontiguousarray(xyz.transpose(2, 1, 0)).astype('<u2').tofile(a.output)


def cmd_bench(a):
    import resource
    import time
    shape = ints(a.shape)
    vol = np.fromfile(a.input, dtype='<i2').reshape(shape)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    # nnU-Net's data path: float32 volume -> float64 -> skimage resize -> float32
    out = resize(vol.astype(np.float32).astype(float), ints(a.out_shape), 3, mode='edge',
                 anti_aliasing=False, clip=True).astype(np.float32)
    seconds = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if a.output:
        out.astype('<f4').tofile(a.output)
    print(json.dumps({'seconds': seconds, 'peakRssMiB': rss1 / 1024.0, 'rssBeforeMiB': rss0 / 1024.0}))


def cmd_batch(a):
    import shlex
    with open(a.jobs) as f:
        for line in f:
            if line.strip():
                main(shlex.split(line))


def cmd_make_volume(a):
    if a.source:
        img = nib.load(a.source)
        data = np.asanyarray(img.dataobj)
        affine = img.affine
    else:
        rng = np.random.default_rng(a.seed)
        shape = ints(a.shape_xyz)
        data = rng.normal(100.0, 40.0, size=shape).astype(np.float32)
        data[data < 40] = 0
        sp = floats(a.spacing_xyz)
        affine = np.diag(sp + [1.0])
    if a.ornt:
        # Re-store the same anatomy under another axis order/direction: the world positions of
        # the voxels stay, only their storage order changes.
        target = nib.orientations.axcodes2ornt(tuple(a.ornt))
        start = nib.orientations.io_orientation(affine)
        t = nib.orientations.ornt_transform(start, target)
        data = nib.orientations.apply_orientation(data, t)
        affine = affine @ nib.orientations.inv_ornt_aff(t, img.shape[:3] if a.source else ints(a.shape_xyz))
    out = nib.Nifti1Image(np.asarray(data), affine)
    out.header.set_qform(affine, code=1)
    out.header.set_sform(affine, code=1)
    nib.save(out, a.output)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('resize')
    r.add_argument('--input', required=True)
    r.add_argument('--shape', required=True)
    r.add_argument('--out-shape', required=True)
    r.add_argument('--order', type=int, default=3)
    r.add_argument('--separate-axis', type=int)
    r.add_argument('--output', required=True)
    r.set_defaults(fn=cmd_resize)
    s = sub.add_parser('resize-seg')
    s.add_argument('--input', required=True)
    s.add_argument('--shape', required=True)
    s.add_argument('--out-shape', required=True)
    s.add_argument('--order', type=int, default=1)
    s.add_argument('--separate-axis', type=int)
    s.add_argument('--output', required=True)
    s.set_defaults(fn=cmd_resize_seg)
    f = sub.add_parser('fill-holes')
    f.add_argument('--input', required=True, help='raw uint8 mask (z, y, x)')
    f.add_argument('--shape', required=True)
    f.add_argument('--output', required=True)
    f.set_defaults(fn=cmd_fill_holes)
    q = sub.add_parser('preprocess')
    q.add_argument('file')
    q.add_argument('--spacing', required=True, help='target spacing sz,sy,sx')
    q.add_argument('--norm', choices=['nonCT', 'CT'], default='nonCT')
    q.add_argument('--ct-mean', type=float, default=0.0)
    q.add_argument('--ct-sd', type=float, default=1.0)
    q.add_argument('--ct-lower', type=float, default=-1e30)
    q.add_argument('--ct-upper', type=float, default=1e30)
    q.add_argument('--mask-for-norm', action='store_true')
    q.add_argument('--orientation', choices=['RAS', 'none'], default='RAS')
    q.add_argument('--transpose', default='0,1,2')
    q.add_argument('--no-crop', dest='crop', action='store_false')
    q.add_argument('--anisotropy-threshold', type=float, default=ANISO_THRESHOLD)
    q.add_argument('--dump-input', action='store_true',
                   help='also write input.f32: the (c, z, y, x) volume after loading and reorientation')
    q.add_argument('--out-dir', required=True)
    q.set_defaults(fn=cmd_preprocess)
    e = sub.add_parser('export')
    e.add_argument('file', help='the input NIfTI the labels belong to')
    e.add_argument('--labels', required=True, help='raw uint16 network-space label map')
    e.add_argument('--props', required=True, help='props.json written by preprocess')
    e.add_argument('--mode', choices=['nearest', 'linear'], default='nearest')
    e.add_argument('--orientation', choices=['RAS', 'none'], default='RAS')
    e.add_argument('--anisotropy-threshold', type=float, default=ANISO_THRESHOLD)
    e.add_argument('--output', required=True)
    e.set_defaults(fn=cmd_export)
    b = sub.add_parser('bench')
    b.add_argument('--input', required=True, help='raw int16 volume (z, y, x)')
    b.add_argument('--shape', required=True)
    b.add_argument('--out-shape', required=True)
    b.add_argument('--output', help='write the float32 result here')
    b.set_defaults(fn=cmd_bench)
    j = sub.add_parser('batch')
    j.add_argument('--jobs', required=True, help='file with one command line of this script per line')
    j.set_defaults(fn=cmd_batch)
    m = sub.add_parser('make-volume')
    m.add_argument('--source')
    m.add_argument('--shape-xyz')
    m.add_argument('--spacing-xyz', default='1,1,1')
    m.add_argument('--seed', type=int, default=0)
    m.add_argument('--ornt', help='axis codes of the stored order, e.g. PIL')
    m.add_argument('--output', required=True)
    m.set_defaults(fn=cmd_make_volume)
    a = p.parse_args(argv)
    a.fn(a)


if __name__ == '__main__':
    sys.exit(main())
