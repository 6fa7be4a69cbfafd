"""Timing protocol: both frameworks in the same run, alternating blocks, robust summaries.

Each case first calls both steps once, then runs `rounds` (>= 7) rounds; a round
times a block of `iters` calls of our step, then a block of PyTorch's (each after
`warmup` untimed calls), and keeps each block's median. A round is an outlier when
either of its two timings is more than OUTLIER times off its framework's median
over the rounds (a machine that was busy for that round): outliers are listed and
left out of the ratio. The ratio reported is the median of the per-round ratios
ours/PyTorch, with its interquartile range.
"""
import os
import statistics
import time

OUTLIER = 1.5
MIN_ROUNDS = 7
RESULTS = []  # one dict per compared case, for the summary table


def thread_count():
    """The CPU threads both frameworks use: OMP/OPENBLAS_NUM_THREADS if set, else all
    cores (OpenBLAS's default, and NervanaCPU's)."""
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
        if os.environ.get(var, '').isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def torch_or_none():
    """The torch module, its CPU threads set to `thread_count()`, or None when torch is
    not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(thread_count())
    return torch


def _block(step, warmup, iters):
    """Median seconds of `iters` consecutive calls after `warmup` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _quartiles(values):
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method='inclusive')
    return q[0], q[2]


def _off(value, center):
    return value > OUTLIER * center or value < center / OUTLIER


def compare(name, ours, theirs, rounds=MIN_ROUNDS, warmup=2, iters=8, unit='step'):
    """Time `ours` and `theirs` (None: PyTorch not installed) in alternating blocks and
    print one line; the result is also kept in RESULTS for `summary_table`."""
    rounds = max(rounds, MIN_ROUNDS)
    for step in (ours, theirs):  # buffers built, caches warm, before any timing
        if step is not None:
            step()
    mine, ref = [], []
    for _ in range(rounds):
        mine.append(_block(ours, warmup, iters))
        if theirs is not None:
            ref.append(_block(theirs, warmup, iters))
    result = dict(name=name, unit=unit, ours=statistics.median(mine), theirs=None,
                  ratio=None, iqr=None, outliers=[], rounds=rounds)
    if theirs is None:
        print('{:<46} neon_compat {:9.2f} ms   PyTorch       n/a (torch not installed)'.format(
            name, result['ours'] * 1e3))
        RESULTS.append(result)
        return result
    m_ours, m_ref = statistics.median(mine), statistics.median(ref)
    outliers = [i for i in range(rounds) if _off(mine[i], m_ours) or _off(ref[i], m_ref)]
    kept = [i for i in range(rounds) if i not in outliers]
    if len(kept) < 3:  # busy all along: keep every round rather than pick a few
        kept, outliers = list(range(rounds)), []
    ratios = [mine[i] / ref[i] for i in kept]
    result.update(ours=statistics.median(mine[i] for i in kept),
                  theirs=statistics.median(ref[i] for i in kept),
                  ratio=statistics.median(ratios), iqr=_quartiles(ratios),
                  outliers=[(i, mine[i] / ref[i]) for i in outliers])
    print('{:<46} neon_compat {:9.2f} ms   PyTorch {:9.2f} ms   ratio {:5.2f} '
          '[IQR {:.2f}-{:.2f}]{}'.format(
              name, result['ours'] * 1e3, result['theirs'] * 1e3, result['ratio'],
              result['iqr'][0], result['iqr'][1], _outlier_note(result)))
    RESULTS.append(result)
    return result


def _outlier_note(result):
    if not result['outliers']:
        return ''
    return '  outlier rounds left out: ' + ', '.join(
        '#{} (ratio {:.2f})'.format(i + 1, r) for i, r in result['outliers'])


def summary_table(results=None):
    """The compared cases as one markdown table (times in ms, per step or per epoch)."""
    results = RESULTS if results is None else results
    lines = ['| case | per | neon_compat ms | PyTorch ms | ratio (median) | IQR | '
             'rounds kept |', '| --- | --- | ---: | ---: | ---: | --- | --- |']
    for r in results:
        if r['ratio'] is None:
            lines.append('| {} | {} | {:.2f} | n/a | n/a | | {} |'.format(
                r['name'], r['unit'], r['ours'] * 1e3, r['rounds']))
            continue
        lines.append('| {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f}-{:.2f} | {}/{}{} |'.format(
            r['name'], r['unit'], r['ours'] * 1e3, r['theirs'] * 1e3, r['ratio'],
            r['iqr'][0], r['iqr'][1], r['rounds'] - len(r['outliers']), r['rounds'],
            ' (outliers: ' + ', '.join('#{}'.format(i + 1) for i, _ in r['outliers']) + ')'
            if r['outliers'] else ''))
    return '\n'.join(lines)
