"""Training curves from a run's callback data (`-o out.h5`), as neon's nvis drew them.

    python -m neon_compat.visualize out.h5 -o curves.png     # a PNG picture
    python -m neon_compat.visualize out.h5 -o curves.html    # a page with an SVG chart

The upper panel shows the training cost of every minibatch and the evaluation cost
of each evaluated epoch; the lower one the metrics (e.g. Accuracy), when the run
recorded any. Epochs are on the x axis. Drawn with Pillow (a dependency) or as SVG:
nothing else is needed.
"""
import argparse
import html
import os
import sys

import h5py
import numpy as np

from neon_compat import NeonCompatError

WIDTH, PANEL_HEIGHT, MARGIN = 900, 300, 60
COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd']


class CurveFileError(NeonCompatError, ValueError):
    """The callback-data file cannot be read or holds no training cost."""


def read_curves(path):
    """{'cost': [(label, epochs, values)], 'metrics': [...]} from a callback-data file."""
    try:
        f = h5py.File(path, 'r')
    except OSError as err:
        raise CurveFileError("cannot read '{}' as callback data (the file a script writes "
                             "with -o): {}".format(path, err)) from None
    with f:
        if 'cost/train' not in f or 'time_markers/minibatch' not in f:
            raise CurveFileError("'{}' holds no training cost: write it with -o during "
                                 "training".format(path))
        markers = f['time_markers/minibatch'][:]
        epochs_done = int(f['time_markers'].attrs.get('epochs_complete', len(markers)))
        train = f['cost/train'][:]
        x, y, start = [], [], 0
        for epoch in range(epochs_done):  # minibatch i of epoch e sits at e + (i + 1) / n
            end = int(markers[epoch])
            count = max(end - start, 1)
            x.extend(epoch + (np.arange(end - start) + 1.0) / count)
            y.extend(train[start:end])
            start = end
        curves = {'cost': [('train cost', np.array(x), np.array(y))], 'metrics': []}

        def per_epoch(dataset):
            freq = int(dataset.attrs.get('epoch_freq', 1))
            n = min(len(dataset), epochs_done // freq)
            return (np.arange(1, n + 1) * freq).astype(float), dataset[:n]

        if 'cost/loss' in f:
            curves['cost'].append(('eval cost',) + per_epoch(f['cost/loss']))
        for name in sorted(f['metrics']) if 'metrics' in f else []:
            curves['metrics'].append((name,) + per_epoch(f['metrics'][name]))
    return curves


def _panels(curves):
    return [(title, series) for title, series in (('cost', curves['cost']),
                                                  ('metrics', curves['metrics'])) if series]


def _scale(series, top, height):
    """Functions mapping (epoch, value) to pixels inside one panel."""
    xs = np.concatenate([x for _, x, _ in series] + [np.array([0.0, 1.0])])
    ys = np.concatenate([y for _, _, y in series]) if series else np.array([])
    ys = ys if ys.size else np.array([0.0, 1.0])
    ys = ys[np.isfinite(ys)] if np.isfinite(ys).any() else np.array([0.0, 1.0])
    x0, x1 = 0.0, max(float(xs.max()), 1.0)
    y0, y1 = float(ys.min()), float(ys.max())
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5

    def px(x):
        return MARGIN + (x - x0) / (x1 - x0) * (WIDTH - 2 * MARGIN)

    def py(y):
        return top + height - MARGIN / 2 - (y - y0) / (y1 - y0) * (height - MARGIN)
    return px, py, (x0, x1), (y0, y1)


def _ticks(lo, hi, count=5):
    return [lo + (hi - lo) * k / (count - 1) for k in range(count)]


def draw_png(curves, path, xlabel='epochs'):
    """Write the chart as a PNG picture."""
    from PIL import Image, ImageDraw
    panels = _panels(curves)
    image = Image.new('RGB', (WIDTH, PANEL_HEIGHT * len(panels)), 'white')
    draw = ImageDraw.Draw(image)
    for p, (title, series) in enumerate(panels):
        top = p * PANEL_HEIGHT
        px, py, (x0, x1), (y0, y1) = _scale(series, top, PANEL_HEIGHT)
        left, right = MARGIN, WIDTH - MARGIN
        bottom, upper = py(y0), py(y1)
        draw.rectangle([left, upper, right, bottom], outline='black')
        for value in _ticks(y0, y1):
            draw.text((4, py(value) - 6), '{:.3g}'.format(value), fill='black')
        for value in _ticks(x0, x1):
            draw.text((px(value) - 8, bottom + 4), '{:.3g}'.format(value), fill='black')
        draw.text((WIDTH // 2 - 20, bottom + 18), xlabel, fill='black')
        for k, (label, x, y) in enumerate(series):
            colour = COLOURS[k % len(COLOURS)]
            points = [(px(a), py(b)) for a, b in zip(x, y) if np.isfinite(b)]
            if len(points) > 1:
                draw.line(points, fill=colour, width=2)
            for a, b in points if len(points) <= 50 else []:
                draw.ellipse([a - 3, b - 3, a + 3, b + 3], outline=colour, fill=colour)
            draw.text((left + 10, upper + 6 + 14 * k), label, fill=colour)
        draw.text((right - 60, upper + 6), title, fill='black')
    image.save(path)


def draw_html(curves, path):
    """Write the chart as an HTML page holding an SVG drawing."""
    panels = _panels(curves)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
             'font-family="sans-serif" font-size="12">'.format(WIDTH,
                                                               PANEL_HEIGHT * len(panels))]
    for p, (title, series) in enumerate(panels):
        top = p * PANEL_HEIGHT
        px, py, (x0, x1), (y0, y1) = _scale(series, top, PANEL_HEIGHT)
        left, right, bottom, upper = MARGIN, WIDTH - MARGIN, py(y0), py(y1)
        parts.append('<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}" fill="none" '
                     'stroke="black"/>'.format(left, upper, right - left, bottom - upper))
        for value in _ticks(y0, y1):
            parts.append('<text x="4" y="{:.1f}">{:.3g}</text>'.format(py(value) + 4, value))
        for value in _ticks(x0, x1):
            parts.append('<text x="{:.1f}" y="{:.1f}">{:.3g}</text>'.format(
                px(value) - 8, bottom + 16, value))
        parts.append('<text x="{}" y="{:.1f}">epochs</text>'.format(WIDTH // 2 - 20,
                                                                       bottom + 30))
        parts.append('<text x="{}" y="{:.1f}">{}</text>'.format(right - 60, upper + 16,
                                                                 html.escape(title)))
        for k, (label, x, y) in enumerate(series):
            colour = COLOURS[k % len(COLOURS)]
            points = ' '.join('{:.1f},{:.1f}'.format(px(a), py(b))
                              for a, b in zip(x, y) if np.isfinite(b))
            parts.append('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>'
                         .format(points, colour))
            parts.append('<text x="{}" y="{:.1f}" fill="{}">{}</text>'.format(
                left + 10, upper + 18 + 14 * k, colour, html.escape(label)))
    parts.append('</svg>')
    with open(path, 'w') as f:
        f.write('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>training curves'
                '</title></head><body>\n{}\n</body></html>\n'.format('\n'.join(parts)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m neon_compat.visualize',
                                     description='Draw the training curves of a run from '
                                                 'its callback data (-o out.h5).')
    parser.add_argument('input', nargs='?', help='the callback-data file')
    parser.add_argument('-i', '--input', dest='input_flag', help='the same, as neon\'s nvis')
    parser.add_argument('-o', '--output', default='curves.png',
                        help='.png for a picture, .html for a page (default curves.png)')
    args = parser.parse_args(argv)
    source = args.input or args.input_flag
    if not source:
        parser.error('give the callback-data file (the -o file of a training run)')
    try:
        curves = read_curves(source)
        if args.output.endswith('.html'):
            draw_html(curves, args.output)
        elif args.output.endswith('.png'):
            draw_png(curves, args.output)
        else:
            raise CurveFileError("'{}': the output must end in .png or .html".format(
                args.output))
    except (NeonCompatError, OSError) as err:
        sys.stderr.write('{}: error: {}\n'.format(parser.prog, err))
        return 1
    print('training curves written to {}'.format(os.path.abspath(args.output)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
