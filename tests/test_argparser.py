"""NeonArgparser: neon's flags, short forms, defaults, config files and backend setup."""
import sys

import numpy as np
import pytest

from neon_compat import NervanaObject
from neon_compat.util.argparser import NeonArgparser


def parse(monkeypatch, argv, gen_be=True, extra=None, **kwargs):
    monkeypatch.setattr(sys, 'argv', ['script.py'] + argv)
    monkeypatch.setattr(sys, 'excepthook', sys.excepthook)
    parser = NeonArgparser(__doc__, **kwargs)
    for args, kw in (extra or []):
        parser.add_argument(*args, **kw)
    return parser.parse_args(gen_be=gen_be)


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    args = parse(monkeypatch, [])
    assert args.epochs == 10 and args.batch_size == 128 and args.serialize == 0
    assert args.save_path is None and args.eval_freq is None and args.history == 1
    assert args.rng_seed is None and args.datatype is np.float32 and args.verbose == 1
    assert args.progress_bar is True and args.compat_mode is None and args.model_file is None
    assert args.backend == 'cpu'  # no GPU here (gpu when CUDA answers)
    assert args.data_dir.endswith('nervana/data') and args.log_thresh == 30
    assert NervanaObject.be.bsz == 128


def test_short_and_long_forms(monkeypatch, tmp_path):
    save = str(tmp_path / 'sub' / 'model.prm')
    args = parse(monkeypatch, ['-b', 'cpu', '-e', '3', '-z', '16', '-r', '7', '-d', 'f64',
                               '-s', save, '-eval', '2', '-H', '3', '-o',
                               str(tmp_path / 'out.h5'), '-vv', '-w', str(tmp_path),
                               '--no_progress_bar', '--caffe'])
    assert (args.epochs, args.batch_size, args.rng_seed, args.eval_freq, args.history) == \
        (3, 16, 7, 2, 3)
    assert args.datatype is np.float64 and args.verbose == 3 and args.log_thresh == 10
    assert args.serialize == 1, 'save_path without --serialize saves every epoch'
    assert args.progress_bar is False and args.compat_mode == 'caffe'
    assert (tmp_path / 'sub').is_dir()
    be = NervanaObject.be
    assert be.bsz == 16 and be.default_dtype == np.float64 and be.rng_seed == 7
    assert be.compat_mode == 'caffe'
    assert args.callback_args == {'output_file': str(tmp_path / 'out.h5'), 'eval_freq': 2,
                                  'progress_bar': False, 'save_path': save, 'serialize': 1,
                                  'history': 3, 'model_file': None, 'log_token': ''}


def test_serialize_without_save_path_and_bare_flags(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    args = parse(monkeypatch, ['--serialize'], gen_be=False)
    assert args.serialize == 1 and args.save_path == 'neon_model.pkl'
    args = parse(monkeypatch, ['--serialize', '5'], gen_be=False)
    assert args.serialize == 5


def test_user_arguments_and_overrides(monkeypatch):
    args = parse(monkeypatch, ['--data_root', 'somewhere'], gen_be=False,
                 extra=[(('--data_root',), {'default': './data_wiki'}),
                        (('--source_model',), {'default': None})],
                 default_overrides={'epochs': 4, 'batch_size': 8})
    assert args.data_root == 'somewhere' and args.source_model is None
    assert args.epochs == 4 and args.batch_size == 8


def test_config_file(monkeypatch, tmp_path):
    cfg = tmp_path / 'run.cfg'
    cfg.write_text('epochs = 7\nbatch_size = 12\nrng_seed = 3\n')
    args = parse(monkeypatch, ['-c', str(cfg), '-z', '6'])
    assert args.epochs == 7 and args.rng_seed == 3
    assert args.batch_size == 6, 'the command line wins over the config file'


def test_model_file_must_exist(monkeypatch, tmp_path):
    from neon_compat import NeonCompatError
    with pytest.raises(NeonCompatError, match='not present'):
        parse(monkeypatch, ['--model_file', str(tmp_path / 'nope.prm')], gen_be=False)


def test_rounding_is_refused_on_cpu(monkeypatch):
    with pytest.raises(NotImplementedError):
        parse(monkeypatch, ['-b', 'cpu', '-u'], gen_be=False)


def test_unknown_backend_is_an_argparse_error(monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(monkeypatch, ['-b', 'tpu'], gen_be=False)
    assert exit_info.value.code == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


@pytest.mark.parametrize('argv,what', [
    (['-e', '0'], 'argument -e/--epochs: must be at least 1 (epochs to train), not 0'),
    (['-e', '-1'], 'argument -e/--epochs: must be at least 1 (epochs to train), not -1'),
    (['-z', '0'], 'argument -z/--batch_size: must be at least 1'),
    (['-z', '-4'], 'argument -z/--batch_size: must be at least 1'),
    (['-r', '-1'], 'argument -r/--rng_seed: must be at least 0 (a random seed), not -1'),
    (['--serialize', '-3'], 'argument --serialize: must be at least 0'),
    (['-H', '0'], 'argument -H/--history: must be at least 1'),
    (['-e', 'ten'], "argument -e/--epochs: 'ten' is not a whole number"),
])
def test_bad_numbers_get_one_line(monkeypatch, capsys, argv, what):
    with pytest.raises(SystemExit) as exit_info:
        parse(monkeypatch, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.startswith('script.py: error: ') and what in err


def test_the_docstring_describes_the_script_and_the_name_is_the_script(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['train.py', '--help'])
    with pytest.raises(SystemExit):
        NeonArgparser('Trains the thing.\n\nAt length.').parse_args()
    out = capsys.readouterr().out
    assert out.startswith('usage: train.py') and 'Trains the thing.' in out


def test_an_unwritable_save_path_is_found_before_training(monkeypatch, tmp_path):
    from neon_compat import NeonCompatError
    with pytest.raises(NeonCompatError, match='cannot write files in the save_path folder '
                                              '/proc'):
        parse(monkeypatch, ['-s', '/proc/model.prm'], gen_be=False)
    args = parse(monkeypatch, ['-s', str(tmp_path / 'ok' / 'model.prm')], gen_be=False)
    assert args.save_path.endswith('model.prm') and list((tmp_path / 'ok').iterdir()) == []


SCRIPT = '''
import os, signal, sys
import numpy as np
from neon.util.argparser import NeonArgparser
from neon.callbacks.callbacks import Callbacks, Callback
from neon.data import ArrayIterator
from neon.initializers import Gaussian
from neon.layers import Affine, GeneralizedCost
from neon.models import Model
from neon.optimizers import GradientDescentMomentum
from neon.transforms import SumSquared
from neon import NeonCompatError

parser = NeonArgparser(__doc__)
parser.add_argument('--fail', action='store_true')
args = parser.parse_args()
if args.fail:
    raise NeonCompatError('the data are wrong')


class Interrupt(Callback):
    def on_minibatch_end(self, callback_data, model, epoch, minibatch):
        if epoch == 1 and minibatch == 2:
            os.kill(os.getpid(), signal.SIGINT)


data = ArrayIterator(np.random.RandomState(0).normal(size=(64, 3)),
                     np.random.RandomState(1).normal(size=(64, 2)), make_onehot=False)
model = Model([Affine(2, Gaussian())])
callbacks = Callbacks(model, **args.callback_args)
callbacks.add_callback(Interrupt())
model.fit(data, cost=GeneralizedCost(SumSquared()), optimizer=GradientDescentMomentum(0.1, 0),
          num_epochs=args.epochs, callbacks=callbacks)
'''


def _run_script(tmp_path, *argv):
    import subprocess
    (tmp_path / 'train.py').write_text(SCRIPT)
    return subprocess.run([sys.executable, 'train.py', '-b', 'cpu', '-z', '8'] + list(argv),
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)


def test_ctrl_c_saves_a_checkpoint_that_resumes_the_interrupted_epoch(tmp_path):
    from neon_compat.util.persist import load_obj
    result = _run_script(tmp_path, '-e', '3', '-s', 'ckpt.prm', '--no_progress_bar')
    assert result.returncode in (-2, 130), result.stderr  # killed by SIGINT: the shell's 130
    lines = result.stderr.strip().splitlines()
    assert lines == ['train.py: interrupted: checkpoint saved to ckpt.prm; --model_file '
                     'ckpt.prm resumes epoch 1'], result.stderr
    assert load_obj(str(tmp_path / 'ckpt.prm'))['epoch_index'] == 1


def test_user_errors_are_one_line_unless_very_verbose(tmp_path, monkeypatch):
    quiet = _run_script(tmp_path, '--fail')
    assert quiet.returncode == 1 and quiet.stderr == 'train.py: error: the data are wrong\n'
    loud = _run_script(tmp_path, '--fail', '-vv')
    assert loud.returncode == 1 and 'Traceback' in loud.stderr
    assert loud.stderr.rstrip().endswith('train.py: error: the data are wrong')
    monkeypatch.setenv('NEON_TRACEBACK', '1')
    assert 'Traceback' in _run_script(tmp_path, '--fail').stderr
