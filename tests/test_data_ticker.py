"""The synthetic Ticker tasks: the targets are what each task asks for, and the mask
covers the minibatch's time steps."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.data import Ticker, CopyTask, RepeatCopyTask, PrioritySortTask

BSZ = 3


@pytest.fixture
def be():
    return gen_backend('cpu', batch_size=BSZ, rng_seed=0)


def _steps(buf, n):
    """(rows, T, bsz) of a (rows, T·bsz) buffer."""
    return buf.get().reshape(buf.shape[0], -1, BSZ)


def _length(mask):
    return int(mask.get()[0].sum()) // BSZ


def test_copy_task(be):
    ticker = Ticker(CopyTask(seq_len_max=4, vec_size=3))
    assert ticker.shape == (5, 10) and ticker.nbatches == 100
    lengths = set()
    for i, (x, (y, mask)) in enumerate(ticker):
        T = _length(mask)
        seq_len = (T - 2) // 2
        lengths.add(seq_len)
        xs, ys = _steps(x, T), _steps(y, T)
        assert (xs[3, 0] == 1).all() and (xs[4, seq_len + 1] == 1).all()  # start, stop
        np.testing.assert_array_equal(ys[:, seq_len + 2:T], xs[:3, 1:seq_len + 1])
        assert (xs[:, T:] == 0).all() and (mask.get()[:, T * BSZ:] == 0).all()
        if i == 30:
            break
    assert len(lengths) > 1 and max(lengths) <= 4


def test_repeat_copy_task_uses_its_repeat_limit(be):
    task = RepeatCopyTask(seq_len_max=2, repeat_count_max=5, vec_size=2)
    assert task.time_steps_max == 2 * 6 + 3
    x, y, mask = (be.iobuf((rows, task.time_steps_max)) for rows in (4, 3, 3))
    repeats_seen = set()
    for _ in range(40):
        task.synthesize(x, y, mask)
        T = _length(mask)
        xs, ys = _steps(x, T), _steps(y, T)
        seq_len = int(np.flatnonzero(xs[3, :, 0])[0]) - 1
        repeats = int(xs[3, seq_len + 1, 0])
        repeats_seen.add(repeats)
        assert T == seq_len * (repeats + 1) + 3
        for r in range(repeats):
            start = (r + 1) * seq_len + 2
            np.testing.assert_array_equal(ys[:2, start:start + seq_len], xs[:2, 1:seq_len + 1])
        assert (ys[2, T - 1] == 1).all()
    assert max(repeats_seen) > 2  # neon capped the repeats at seq_len_max (2)


def test_priority_sort_task(be):
    task = PrioritySortTask(seq_len_max=5, vec_size=2)
    x, y, mask = (be.iobuf((rows, task.time_steps_max)) for rows in (5, 2, 2))
    task.synthesize(x, y, mask)
    T = _length(mask)
    seq_len = (T - 2) // 2
    xs, ys = _steps(x, T), _steps(y, T)
    for n in range(BSZ):
        vectors, priorities = xs[:2, 1:seq_len + 1, n], xs[4, 1:seq_len + 1, n]
        np.testing.assert_array_equal(ys[:, seq_len + 2:T, n],
                                      vectors[:, np.argsort(priorities)])


def test_draws_follow_the_backend_seed():
    first = []
    for _ in range(2):
        gen_backend('cpu', batch_size=BSZ, rng_seed=7)
        x, _ = next(iter(Ticker(CopyTask(3, 2))))
        first.append(x.get().copy())
    np.testing.assert_array_equal(first[0], first[1])


def test_watch_ticker_callback_shows_one_sequence(be, caplog):
    import logging
    from neon_compat.callbacks.callbacks import Callbacks
    from neon_compat.initializers import Gaussian
    from neon_compat.layers import Recurrent, Affine, GeneralizedCostMask
    from neon_compat.models import Model
    from neon_compat.optimizers import RMSProp
    from neon_compat.transforms import Tanh, Logistic, CrossEntropyBinary
    task = CopyTask(seq_len_max=3, vec_size=2)
    data = Ticker(task)
    data.nbatches = 2
    model = Model([Recurrent(8, Gaussian(scale=0.3), activation=Tanh()),
                   Affine(2, Gaussian(scale=0.3), activation=Logistic())])
    callbacks = Callbacks(model, progress_bar=False)
    callbacks.add_watch_ticker_callback(data)
    with caplog.at_level(logging.INFO):
        model.fit(data, cost=GeneralizedCostMask(CrossEntropyBinary()),
                  optimizer=RMSProp(), num_epochs=1, callbacks=callbacks)
    text = caplog.text
    assert text.index('Inputs') < text.index('Outputs') < text.index('Targets')
    with pytest.raises(ValueError, match='needs a Ticker'):
        callbacks.add_watch_ticker_callback([1, 2])
