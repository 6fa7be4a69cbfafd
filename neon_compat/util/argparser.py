"""NeonArgparser (neon.util.argparser): neon's command line, config files and backend setup.

`parse_args()` reads sys.argv, sets up logging, checks paths, builds the backend
with `gen_backend`, and fills `args.callback_args` for `Callbacks(model, **...)`.
Errors a user can fix (NeonCompatError: missing data, a model file from another
network, `-b gpu` without a GPU, ...) are then printed as one line, and the
script exits with status 1.
"""
import argparse
import inspect
import logging
import os
import sys
import tempfile
from logging.handlers import RotatingFileHandler

import configargparse
import numpy as np

from neon_compat import NeonCompatError, __version__
from neon_compat.backends import gen_backend, BACKENDS, get_device_count
from neon_compat.backends import cuda, distributed

logger = logging.getLogger(__name__)


def extract_valid_args(args, func, startidx=0):
    """The entries of `args` named like the parameters of `func` (from startidx on)."""
    names = list(inspect.signature(func).parameters)[startidx:]
    return dict((k, v) for k, v in vars(args).items() if k in names)


def _traceback_from_environment():
    return os.environ.get('NEON_TRACEBACK', '') not in ('', '0')


# -vv and more (or NEON_TRACEBACK=1) show the traceback of a user error too
_SHOW_TRACEBACK = [_traceback_from_environment()]


def _one_line_user_errors(exc_type, exc, tb, _default=sys.excepthook):
    """Print user-fixable errors as one line (exit status stays 1) and an interrupt as
    one line (the shell sees 130); others as usual."""
    prog = os.path.basename(sys.argv[0] or 'neon')
    if issubclass(exc_type, KeyboardInterrupt):
        detail = str(exc)
        sys.stderr.write('{}: interrupted{}\n'.format(prog, ': ' + detail if detail else ''))
        sys.stderr.flush()
        return
    if issubclass(exc_type, NeonCompatError):
        if _SHOW_TRACEBACK[0]:
            _default(exc_type, exc, tb)
        sys.stderr.write('{}: error: {}\n'.format(prog, exc))
        sys.stderr.flush()
        return
    _default(exc_type, exc, tb)


def _int_at_least(minimum, what):
    """An argparse type: an int >= minimum; the error says what the number is for."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError('{!r} is not a whole number ({})'.format(
                text, what)) from None
        if value < minimum:
            raise argparse.ArgumentTypeError('must be at least {} ({}), not {}'.format(
                minimum, what, value))
        return value
    parse.__name__ = 'int'
    return parse


def _default_backend():
    return 'gpu' if cuda.device_available() else 'cpu'


class NeonArgparser(configargparse.ArgumentParser):
    """neon's argument parser (a configargparse.ArgumentParser).

    Arguments:
        *args, **kwargs: passed to configargparse (scripts pass __doc__ first).
        default_overrides (dict, optional): new defaults for neon's own arguments
            (verbose, epochs, save_path, serialize, output_file, eval_freq, history,
            device_id, max_devices, rng_seed, rounding, datatype, batch_size).
    """

    def __init__(self, *args, **kwargs):
        if args and 'description' not in kwargs and 'prog' not in kwargs:
            # scripts pass their docstring first: it describes them, it is not their name
            kwargs['description'], args = args[0], args[1:]
        self._PARSED = False
        self.work_dir = os.path.join(os.path.expanduser('~'), 'nervana')
        kwargs.setdefault('default_config_files', [os.path.join(self.work_dir, 'neon.cfg')])
        kwargs.setdefault('add_config_file_help', False)
        self.defaults = kwargs.pop('default_overrides', dict())
        super(NeonArgparser, self).__init__(*args, **kwargs)
        self.formatter_class = configargparse.ArgumentDefaultsHelpFormatter
        self.setup_default_args()

    def setup_default_args(self):
        """Add neon's built-in arguments."""
        d = self.defaults.get
        self.add_argument('--version', action='version', version=__version__)
        self.add_argument('-c', '--config', is_config_file=True,
                          help='Read values for these arguments from the configuration '
                               'file specified here first.')
        self.add_argument('-v', '--verbose', action='count', default=d('verbose', 1),
                          help="verbosity level.  Add multiple v's to further increase "
                               "verbosity")
        self.add_argument('--no_progress_bar', action="store_true",
                          help="suppress running display of progress bar and training loss")

        bm_grp = self.add_argument_group('benchmark')
        bm_grp.add_argument('--profile', action='store_true')
        bm_grp.add_argument('--profiling_method', type=str, default='time')
        bm_grp.add_argument('--profile_inference', action='store_true')
        bm_grp.add_argument('--profile_iterations', type=int, default=50)
        bm_grp.add_argument('--profile_iter_skip', type=int, default=5)

        rt_grp = self.add_argument_group('runtime')
        rt_grp.add_argument('-w', '--data_dir', default=os.path.join(self.work_dir, 'data'),
                            help='working directory in which to cache downloaded and '
                                 'preprocessed datasets')
        rt_grp.add_argument('-e', '--epochs', type=_int_at_least(1, 'epochs to train'),
                            default=d('epochs', 10),
                            help='number of complete passes over the dataset to run')
        rt_grp.add_argument('-s', '--save_path', type=str, default=d('save_path'),
                            help='file path to save model snapshots')
        rt_grp.add_argument('--serialize', nargs='?', default=d('serialize', 0),
                            type=_int_at_least(0, 'epochs between checkpoints; 0 for none'),
                            const=1, metavar='N', help='serialize model every N epochs')
        rt_grp.add_argument('--model_file', help='load model from pkl file')
        rt_grp.add_argument('-l', '--log', dest='logfile', nargs='?',
                            const=os.path.join(self.work_dir, 'neon_log.txt'), help='log file')
        rt_grp.add_argument('-o', '--output_file', default=d('output_file', None),
                            help='hdf5 data file for metrics computed during the run, '
                                 'optional.')
        rt_grp.add_argument('-eval', '--eval_freq', default=d('eval_freq', None),
                            type=_int_at_least(1, 'epochs between evaluations'),
                            help='frequency (in epochs) to test the eval set.')
        rt_grp.add_argument('-H', '--history', default=d('history', 1),
                            type=_int_at_least(1, 'checkpoints to keep'),
                            help='number of checkpoint files to retain')
        rt_grp.add_argument('--log_token', type=str, default='',
                            help='access token for data logging in real time')
        rt_grp.add_argument('--manifest', action='append', help="manifest files")
        rt_grp.add_argument('--manifest_root', type=str, default=None,
                            help='Common root path for relative path items in the supplied '
                                 'manifest files')

        be_grp = self.add_argument_group('backend')
        be_grp.add_argument('-b', '--backend', choices=sorted(BACKENDS),
                            default=_default_backend(), help='backend type')
        be_grp.add_argument('-i', '--device_id', default=d('device_id', 0),
                            type=_int_at_least(0, 'a GPU number'),
                            help='gpu device id (only used with GPU backend)')
        be_grp.add_argument('-m', '--max_devices', type=int,
                            default=d('max_devices', get_device_count()),
                            help='max number of GPUs (only one is used)')
        be_grp.add_argument('-r', '--rng_seed', default=d('rng_seed', None),
                            type=_int_at_least(0, 'a random seed'),
                            metavar='SEED', help='random number generator seed')
        be_grp.add_argument('-u', '--rounding', const=True, type=int, nargs='?',
                            metavar='BITS', default=d('rounding', False),
                            help='use stochastic rounding [will round to BITS number of bits '
                                 'if specified]')
        be_grp.add_argument('-d', '--datatype', choices=['f16', 'f32', 'f64'],
                            default=d('datatype', 'f32'), metavar='default datatype',
                            help='default floating point precision for backend')
        be_grp.add_argument('-z', '--batch_size', default=d('batch_size', 128),
                            type=_int_at_least(1, 'examples per minibatch'),
                            help='batch size')
        be_grp.add_argument('--caffe', action='store_true',
                            help='match caffe when computing conv and pool layer output '
                                 'sizes and dropout implementation')
        be_grp.add_argument('--deterministic', action='store_true',
                            help='deprecated; use --rng_seed for deterministic runs')

    def add_yaml_arg(self):
        """Add the positional `yaml_file` argument."""
        self.add_argument('yaml_file', type=configargparse.FileType('r'),
                          help='neon model specification file')

    def add_argument(self, *args, **kwargs):
        if self._PARSED:
            logger.warning('Adding arguments after arguments were parsed: you may need to '
                           'rerun parse_args')
            self._PARSED = False
        return super(NeonArgparser, self).add_argument(*args, **kwargs)

    def parse_args(self, gen_be=True):
        """Parse sys.argv, set up logging and (with gen_be) the backend; return args."""
        sys.excepthook = _one_line_user_errors
        args = super(NeonArgparser, self).parse_args()
        _SHOW_TRACEBACK[0] = args.verbose >= 3 or _traceback_from_environment()  # -vv
        self._setup_logging(args)
        for path in ('data_dir', 'save_path', 'model_file', 'output_file', 'logfile'):
            if getattr(args, path):
                setattr(args, path, os.path.expanduser(getattr(args, path)))
        args.datatype = np.dtype('float' + args.datatype[1:]).type
        args.progress_bar = not args.no_progress_bar
        if args.backend in ('cpu', 'mkl') and args.rounding:
            raise NotImplementedError('the cpu backend does not support stochastic rounding')
        if args.serialize > 0 and args.save_path is None:
            args.save_path = "neon_model.pkl"
            logger.warning('No path given for model serialization, using default "%s"',
                           args.save_path)
        if args.save_path is not None and args.serialize == 0:
            args.serialize = 1
        if args.save_path:
            self._check_save_path(args.save_path)
            # several processes: rank 0 writes there; the others keep what a script
            # writes next to it (derived file names) in a folder of their own
            dist = distributed.world()
            if dist is not None:
                args.save_path = dist.private_path(args.save_path)
        if args.model_file:
            if not os.path.isfile(args.model_file):
                self._user_error('model file {} not present'.format(args.model_file))
            if not os.access(args.model_file, os.R_OK):
                self._user_error('no read access for model file {}'.format(args.model_file))
        args.compat_mode = 'caffe' if args.caffe else None
        if args.deterministic:
            logger.warning('--deterministic is deprecated: give --rng_seed for deterministic '
                           'runs')
        if args.manifest:
            args.manifest = dict(item.split(':', 1) for item in args.manifest)
        if gen_be:
            gen_backend(backend=args.backend, rng_seed=args.rng_seed,
                        device_id=args.device_id, batch_size=args.batch_size,
                        datatype=args.datatype, max_devices=args.max_devices,
                        compat_mode=args.compat_mode)
        logger.info(self.format_values())
        self._PARSED = True
        self.args = args
        from neon_compat.callbacks.callbacks import Callbacks
        args.callback_args = extract_valid_args(args, Callbacks.__init__, startidx=1)
        return args

    def error(self, message):
        """One line and exit status 2 for a bad command line (argparse adds the usage)."""
        sys.stderr.write('{}: error: {} (see --help)\n'.format(self.prog, message))
        sys.exit(2)

    def _user_error(self, message):
        raise NeonCompatError(message)

    def _check_save_path(self, save_path):
        savedir = os.path.dirname(os.path.abspath(save_path))
        try:
            os.makedirs(savedir, exist_ok=True)
        except OSError:
            self._user_error('cannot create the save_path folder {}'.format(savedir))
        try:  # the way checkpoints are written: a temporary file in that folder
            fd, probe = tempfile.mkstemp(dir=savedir, prefix='.neon_write_check_')
            os.close(fd)
            os.remove(probe)
        except OSError as err:
            self._user_error('cannot write files in the save_path folder {} ({}): choose '
                             'another --save_path'.format(savedir, err.strerror or err))
        if os.path.exists(save_path):
            logger.warning('save file %s exists, attempting to overwrite', save_path)

    @staticmethod
    def _setup_logging(args):
        try:
            log_thresh = max(10, 40 - args.verbose * 10)
        except (AttributeError, TypeError):
            log_thresh = 30
        args.log_thresh = log_thresh
        fmtr = logging.Formatter('%(asctime)s - %(name)s - %(levelname)s - %(message)s')
        for name in ('neon', 'neon_compat'):
            main_logger = logging.getLogger(name)
            main_logger.setLevel(log_thresh)
            for handler in list(main_logger.handlers):
                main_logger.removeHandler(handler)
            stderrlog = logging.StreamHandler()
            stderrlog.setFormatter(fmtr)
            if args.logfile:
                filelog = RotatingFileHandler(filename=os.path.expanduser(args.logfile),
                                              mode='w', maxBytes=10000000, backupCount=5)
                filelog.setFormatter(fmtr)
                filelog.setLevel(log_thresh)
                main_logger.addHandler(filelog)
                stderrlog.setLevel(log_thresh if args.no_progress_bar else logging.ERROR)
            else:
                stderrlog.setLevel(log_thresh)
            main_logger.propagate = False
            main_logger.addHandler(stderrlog)
