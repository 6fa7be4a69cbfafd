"""Timing helpers: both frameworks are measured in the same run, in alternating blocks."""
import statistics
import time


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


def compare(name, ours, theirs, rounds=5, warmup=2, iters=8):
    """Time both step functions in alternating blocks (each framework runs in its own
    steady state, neither pays for the other's idle threads); report the median over
    rounds of each and the median of the per-round ratios ours/theirs. `theirs` may be
    None (PyTorch not installed)."""
    mine, ref, ratios = [], [], []
    for _ in range(rounds):
        mine.append(_block(ours, warmup, iters))
        if theirs is not None:
            ref.append(_block(theirs, warmup, iters))
            ratios.append(mine[-1] / ref[-1])
    ours_s = statistics.median(mine)
    if theirs is None:
        print('{:<48} neon_compat {:8.2f} ms   PyTorch      n/a (torch not installed)'.format(
            name, ours_s * 1e3))
        return ours_s, None, None
    ref_s = statistics.median(ref)
    ratio = statistics.median(ratios)
    print('{:<48} neon_compat {:8.2f} ms   PyTorch {:8.2f} ms   ratio {:5.2f} '
          '(rounds {})'.format(name, ours_s * 1e3, ref_s * 1e3, ratio,
                               ' '.join('{:.2f}'.format(r) for r in ratios)))
    return ours_s, ref_s, ratio


def torch_or_none():
    """The torch module, or None when it is not installed."""
    try:
        import torch
        return torch
    except ImportError:
        return None
