#!/usr/bin/env python
"""Write a small synthetic release in the layout of IMDB-WIKI's `wiki_crop`.

It has what prepare_imdb_wiki.py reads from the real release: a `wiki.mat` whose
struct `wiki` has the fields dob, photo_taken, full_path, gender, name,
face_location, face_score and second_face_score (1×N each), and JPEG photos in
folders 00..99. Each photo shows a drawn face inside its face box; the two
genders differ in learnable ways (hair, face tone, a beard shadow) under random
colour, size and position jitter. A few entries are invalid on purpose (unknown
gender, no face, a second face) so that the preparation's filters are exercised.

    python make_synthetic_imdb_wiki.py --out data/wiki_synthetic -n 600
"""
import argparse
import os

import numpy as np
import scipy.io
from PIL import Image, ImageDraw, ImageFilter

FIELDS = ('dob', 'photo_taken', 'full_path', 'gender', 'name', 'face_location', 'face_score',
          'second_face_score')


def draw_face(rng, gender, width, height):
    """An RGB photo with one face; returns (image, face box [x1, y1, x2, y2])."""
    background = rng.randint(40, 220, 3)
    img = Image.new('RGB', (width, height), tuple(int(c) for c in background))
    draw = ImageDraw.Draw(img)
    for _ in range(6):  # background clutter
        x, y = rng.randint(0, width), rng.randint(0, height)
        r = rng.randint(5, 30)
        draw.ellipse([x - r, y - r, x + r, y + r],
                     fill=tuple(int(c) for c in rng.randint(0, 255, 3)))
    face_w = int(min(width, height / 1.45) * rng.uniform(0.35, 0.55))
    face_h = int(face_w * rng.uniform(1.15, 1.35))
    x1 = rng.randint(int(width * 0.1), width - face_w - int(width * 0.1))
    y1 = rng.randint(int(height * 0.15), height - face_h - int(height * 0.05))
    x2, y2 = x1 + face_w, y1 + face_h
    hair_base = rng.randint(10, 90, 3)  # drawn first, as before: the data stay the same
    hair = tuple(int(c) for c in hair_base + (rng.randint(0, 80) if gender == 0 else 0))
    if gender == 0:  # long hair framing the face, lighter skin tone on average
        draw.rectangle([x1 - face_w // 4, y1 - face_h // 8, x2 + face_w // 4,
                        y2 + face_h // 3], fill=hair)
        skin = np.array([225, 185, 165]) + rng.randint(-35, 25, 3)
    else:  # short hair on top, darker tone on average
        draw.ellipse([x1, y1 - face_h // 8, x2, y1 + face_h // 3], fill=hair)
        skin = np.array([195, 150, 120]) + rng.randint(-35, 25, 3)
    skin = tuple(int(c) for c in np.clip(skin, 0, 255))
    draw.ellipse([x1, y1, x2, y2], fill=skin)
    if gender == 1 and rng.uniform() < 0.8:  # beard shadow
        shade = tuple(int(c * 0.6) for c in skin)
        draw.chord([x1 + face_w // 8, y1 + face_h // 2, x2 - face_w // 8, y2], 0, 180, fill=shade)
    eye_y = y1 + face_h * 0.42
    for ex in (x1 + face_w * 0.3, x1 + face_w * 0.7):
        draw.ellipse([ex - 4, eye_y - 3, ex + 4, eye_y + 3], fill=(30, 30, 30))
    mouth = (150, 40, 50) if gender == 0 else (120, 70, 60)
    draw.line([x1 + face_w * 0.35, y1 + face_h * 0.75, x1 + face_w * 0.65, y1 + face_h * 0.75],
              fill=mouth, width=3 if gender == 0 else 2)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    noise = rng.normal(0, 8, (height, width, 3))
    img = Image.fromarray(np.clip(np.asarray(img) + noise, 0, 255).astype(np.uint8))
    return img, [float(x1), float(y1), float(x2), float(y2)]


def make_release(out_dir, n, seed=0):
    """Write wiki.mat and the photos; return the number of entries."""
    rng = np.random.RandomState(seed)
    os.makedirs(out_dir, exist_ok=True)
    entries = {f: [] for f in FIELDS}
    for i in range(n):
        gender = float(rng.randint(0, 2))
        born = rng.randint(1940, 1995)
        taken = born + rng.randint(18, 60)
        width, height = rng.randint(140, 220), rng.randint(150, 240)
        img, box = draw_face(rng, int(gender), width, height)
        folder = '%02d' % (i % 100)
        rel = '%s/%d_%d-%02d-%02d_%d.jpg' % (folder, 100000 + i, born, rng.randint(1, 13),
                                             rng.randint(1, 29), taken)
        os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
        img.save(os.path.join(out_dir, rel), quality=90)
        face_score, second = float(rng.uniform(1.0, 6.0)), float('nan')
        roll = rng.uniform()
        if roll < 0.04:
            gender = float('nan')                  # unknown gender
        elif roll < 0.08:
            face_score, box = float('-inf'), [1.0, 1.0, 1.0, 1.0]   # no face found
        elif roll < 0.12:
            second = float(rng.uniform(0.5, 3.0))  # a second face in the photo
        entries['dob'].append(float(born * 365.25 + 1))  # MATLAB-like serial day number
        entries['photo_taken'].append(int(taken))
        entries['full_path'].append(rel)
        entries['gender'].append(gender)
        entries['name'].append('Person %d' % i)
        entries['face_location'].append(np.array([box]))
        entries['face_score'].append(face_score)
        entries['second_face_score'].append(second)
    struct = {}
    for field in FIELDS:
        values = entries[field]
        if field in ('full_path', 'name', 'face_location'):
            cell = np.empty((1, n), dtype=object)
            for j, v in enumerate(values):
                cell[0, j] = v
            struct[field] = cell
        else:
            struct[field] = np.array(values, dtype=np.float64).reshape(1, n)
    scipy.io.savemat(os.path.join(out_dir, 'wiki.mat'), {'wiki': struct})
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/wiki_synthetic', help='output folder')
    parser.add_argument('-n', '--num_images', type=int, default=600, help='number of photos')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    args = parser.parse_args()
    n = make_release(args.out, args.num_images, args.seed)
    print('wrote %d photos and %s' % (n, os.path.join(args.out, 'wiki.mat')))


if __name__ == '__main__':
    main()
