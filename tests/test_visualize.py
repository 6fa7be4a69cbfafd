"""Training curves drawn from callback data (-o out.h5)."""
import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.callbacks.callbacks import Callbacks
from neon_compat.data import ArrayIterator
from neon_compat.initializers import Gaussian
from neon_compat.layers import Affine, GeneralizedCost
from neon_compat.models import Model
from neon_compat.optimizers import GradientDescentMomentum
from neon_compat.transforms import CrossEntropyBinary, Logistic, Misclassification
from neon_compat.visualize import main, read_curves


@pytest.fixture(scope='module')
def run_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('run') / 'out.h5')
    gen_backend('cpu', batch_size=8, rng_seed=0)
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 4)), rng.randint(0, 2, 40)
    X[y == 1] += 1.5
    data = ArrayIterator(X, y, nclass=2)
    model = Model([Affine(2, Gaussian(), activation=Logistic(shortcut=True))])
    callbacks = Callbacks(model, eval_set=data, eval_freq=1, metric=Misclassification(),
                          output_file=path, progress_bar=False)
    model.fit(data, cost=GeneralizedCost(CrossEntropyBinary()),
              optimizer=GradientDescentMomentum(0.1, 0.9), num_epochs=3, callbacks=callbacks)
    return path


def test_curves_put_minibatches_and_evaluations_on_an_epoch_axis(run_file):
    curves = read_curves(run_file)
    (name, x, y), (eval_name, ex, ey) = curves['cost']
    assert name == 'train cost' and eval_name == 'eval cost'
    assert len(x) == len(y) == 15  # 3 epochs of 5 minibatches
    np.testing.assert_allclose(x[:5], [0.2, 0.4, 0.6, 0.8, 1.0])
    assert x[-1] == 3.0 and np.all(np.diff(x) > 0)
    np.testing.assert_allclose(ex, [1, 2, 3])
    assert y[-1] < y[0] and ey[-1] < ey[0]  # it learned
    assert [c[0] for c in curves['metrics']] == ['Top1Misclass']  # neon's metric name


def test_png_and_html_charts(run_file, tmp_path, capsys):
    from PIL import Image
    png, page = str(tmp_path / 'c.png'), str(tmp_path / 'c.html')
    assert main([run_file, '-o', png]) == 0 and 'written to' in capsys.readouterr().out
    image = Image.open(png)
    assert image.size == (900, 600)  # a cost panel and a metrics panel
    pixels = np.asarray(image.convert('RGB')).reshape(-1, 3)
    assert (pixels == [0x1f, 0x77, 0xb4]).all(axis=1).sum() > 100  # the train curve drawn
    assert main(['-i', run_file, '-o', page]) == 0
    text = open(page).read()
    assert text.count('<polyline') == 3 and 'eval cost' in text and 'Top1Misclass' in text
    assert len(text.split('<polyline points="')[1].split('"')[0].split()) == 15


def test_bad_inputs_are_one_line(tmp_path, capsys):
    assert main([str(tmp_path / 'missing.h5'), '-o', str(tmp_path / 'c.png')]) == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'cannot read' in err
    import h5py
    with h5py.File(str(tmp_path / 'empty.h5'), 'w'):
        pass
    assert main([str(tmp_path / 'empty.h5'), '-o', str(tmp_path / 'c.png')]) == 1
    assert 'holds no training cost' in capsys.readouterr().err
