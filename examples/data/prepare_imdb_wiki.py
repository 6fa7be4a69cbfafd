#!/usr/bin/env python
"""Turn the IMDB-WIKI release into neon HDF5 files for gender classification.

Reads the metadata (`wiki.mat` or `imdb.mat`) and the photos beside it, keeps
photos with exactly one detected face and a known gender, crops each face box
with a margin, resizes it (default 128×128), shuffles, splits, and writes
`train.h5` and `test.h5` in neon's layout:

  input  (N, 3·S·S) uint8, C-major (RGB planes), attribute lshape = [3, S, S]
  output (N, 1) class index (0 female, 1 male), attribute nclass = 2
  mean   (3,) per-channel mean of the training images (neon's iterators subtract it)

    python prepare_imdb_wiki.py --mat wiki_crop/wiki.mat --out data_wiki --size 128
"""
import argparse
import os
import sys

import h5py
import numpy as np
import scipy.io
from PIL import Image


class PrepareError(Exception):
    """Input that cannot be prepared; the message says why."""


def read_metadata(mat_path):
    """The release's struct as a dict of 1-D arrays (full_path, gender, face_location, ...)."""
    if not os.path.isfile(mat_path):
        raise PrepareError("metadata file '%s' not found (expected wiki.mat or imdb.mat from "
                           "the IMDB-WIKI release)" % mat_path)
    try:
        mat = scipy.io.loadmat(mat_path)
    except Exception as err:
        raise PrepareError("cannot read '%s' as a MATLAB file: %s" % (mat_path, err)) from None
    keys = [k for k in mat if not k.startswith('__')]
    key = 'wiki' if 'wiki' in keys else 'imdb' if 'imdb' in keys else (keys[0] if keys else None)
    if key is None:
        raise PrepareError("'%s' holds no struct" % mat_path)
    struct = mat[key][0, 0]
    needed = ('full_path', 'gender', 'face_location', 'face_score', 'second_face_score')
    missing = [f for f in needed if f not in struct.dtype.names]
    if missing:
        raise PrepareError("'%s': the struct '%s' lacks the fields %s" % (mat_path, key, missing))
    meta = {}
    for field in struct.dtype.names:
        values = struct[field].reshape(-1)
        if values.dtype == object:
            values = np.array([np.squeeze(v) for v in values] + [None], dtype=object)[:-1]
        meta[field] = values
    meta['full_path'] = np.array([str(p) for p in meta['full_path']])
    return meta


def select_faces(meta, min_face_score=0.0):
    """Indices of photos with one face (score > min, no second face) and a known gender."""
    gender = meta['gender'].astype(np.float64)
    score = meta['face_score'].astype(np.float64)
    second = meta['second_face_score'].astype(np.float64)
    ok = np.isfinite(score) & (score > min_face_score) & np.isnan(second)
    ok &= np.isin(gender, (0.0, 1.0))
    return np.nonzero(ok)[0]


def crop_face(image, box, margin, size):
    """Crop the face box enlarged by `margin` (a fraction of its size) and resize."""
    x1, y1, x2, y2 = [float(v) for v in np.asarray(box, dtype=np.float64).reshape(-1)[:4]]
    w, h = x2 - x1, y2 - y1
    left, top = max(0, int(x1 - margin * w)), max(0, int(y1 - margin * h))
    right = min(image.width, int(np.ceil(x2 + margin * w)))
    bottom = min(image.height, int(np.ceil(y2 + margin * h)))
    if right <= left or bottom <= top:
        raise ValueError('empty face box')
    face = image.crop((left, top, right, bottom)).resize((size, size), Image.BILINEAR)
    return np.asarray(face, dtype=np.uint8).transpose(2, 0, 1).reshape(-1)


def write_split(path, rows, labels, size, mean):
    with h5py.File(path, 'w') as f:
        inp = f.create_dataset('input', data=rows, dtype=np.uint8)
        inp.attrs['lshape'] = np.array([3, size, size], dtype=np.int64)
        out = f.create_dataset('output', data=labels.reshape(-1, 1).astype(np.int32))
        out.attrs['nclass'] = 2
        f.create_dataset('mean', data=mean.astype(np.float32))


def prepare(mat_path, out_dir, images_root=None, size=128, margin=0.4, test_fraction=0.2,
            seed=0, max_images=None, min_face_score=0.0, log=print):
    """Prepare train.h5 and test.h5; returns (n_train, n_test)."""
    meta = read_metadata(mat_path)
    images_root = images_root or os.path.dirname(os.path.abspath(mat_path))
    keep = select_faces(meta, min_face_score)
    log('%d photos in the metadata, %d with one face and a known gender' % (
        len(meta['full_path']), len(keep)))
    rng = np.random.RandomState(seed)
    keep = keep[rng.permutation(len(keep))]
    if max_images:
        keep = keep[:max_images]
    rows, labels, skipped = [], [], 0
    for n, i in enumerate(keep):
        path = os.path.join(images_root, meta['full_path'][i])
        try:
            with Image.open(path) as img:
                rows.append(crop_face(img.convert('RGB'), meta['face_location'][i], margin, size))
            labels.append(int(meta['gender'][i]))
        except (OSError, ValueError):
            skipped += 1
        if (n + 1) % 1000 == 0:
            log('  %d/%d photos read' % (n + 1, len(keep)))
    if skipped:
        log('%d photos were missing or unreadable and were skipped' % skipped)
    if len(rows) < 2:
        raise PrepareError('only %d usable photos found under %s' % (len(rows), images_root))
    rows, labels = np.stack(rows), np.array(labels)
    n_test = max(1, int(round(len(rows) * test_fraction)))
    os.makedirs(out_dir, exist_ok=True)
    mean = rows[n_test:].reshape(len(rows) - n_test, 3, -1).mean(axis=(0, 2))
    write_split(os.path.join(out_dir, 'train.h5'), rows[n_test:], labels[n_test:], size, mean)
    write_split(os.path.join(out_dir, 'test.h5'), rows[:n_test], labels[:n_test], size, mean)
    log('wrote %s/train.h5 (%d) and %s/test.h5 (%d), %dx%d, %.0f%% male' % (
        out_dir, len(rows) - n_test, out_dir, n_test, size, size, 100 * labels.mean()))
    return len(rows) - n_test, n_test


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--mat', required=True, help='wiki.mat or imdb.mat')
    parser.add_argument('--images', default=None,
                        help='folder the full_path entries are relative to (default: the '
                             'folder of --mat)')
    parser.add_argument('--out', default='data_wiki', help='output folder')
    parser.add_argument('--size', type=int, default=128, help='output image side')
    parser.add_argument('--margin', type=float, default=0.4,
                        help='margin around the face box, as a fraction of its size')
    parser.add_argument('--test_fraction', type=float, default=0.2)
    parser.add_argument('--max_images', type=int, default=None)
    parser.add_argument('--min_face_score', type=float, default=0.0)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    try:
        prepare(args.mat, args.out, args.images, args.size, args.margin, args.test_fraction,
                args.seed, args.max_images, args.min_face_score)
    except PrepareError as err:
        sys.exit('prepare_imdb_wiki.py: error: %s' % err)


if __name__ == '__main__':
    main()
