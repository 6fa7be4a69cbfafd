"""Model files: neon's pickle format, restricted loading, atomic writes, load_class."""
import gzip
import os
import pickle

import numpy as np
import pytest

from neon_compat.layers.layer import Linear
from neon_compat.util import persist
from neon_compat.util.persist import save_obj, load_obj, load_class, ModelFileError


def test_round_trip_plain_containers_and_arrays(tmp_path):
    obj = {'a': np.arange(6, dtype=np.float32).reshape(2, 3), 'b': [1, 2.5, 'x', None],
           'c': (np.float64(3.5), np.int32(2)), 'd': {'nested': np.zeros(2, dtype=np.uint8)}}
    path = str(tmp_path / 'sub' / 'obj.pkl')
    save_obj(obj, path)
    back = load_obj(path)
    np.testing.assert_array_equal(back['a'], obj['a'])
    assert back['b'] == obj['b'] and back['c'] == obj['c']
    assert back['d']['nested'].dtype == np.uint8
    gz = str(tmp_path / 'obj.pkl.gz')
    save_obj(obj, gz)
    with open(gz, 'rb') as f:
        assert f.read(2) == b'\x1f\x8b'
    np.testing.assert_array_equal(load_obj(gz)['a'], obj['a'])
    with open(path, 'rb') as f:
        np.testing.assert_array_equal(load_obj(f)['a'], obj['a'])


def test_python2_pickle_of_numpy_arrays_loads():
    # A neon-1.x/2.x style Python-2 pickle (protocol 2): a dict with a str key and a float32
    # array, written the way Python 2 numpy does (latin-1 byte strings).
    arr = np.arange(4, dtype=np.float32)
    py2 = (b'\x80\x02}q\x00U\x01Wq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\n'
           b'ndarray\nq\x03K\x00\x85q\x04U\x01bq\x05\x87q\x06Rq\x07(K\x01K\x04\x85q\x08cnumpy'
           b'\ndtype\nq\tU\x02f4q\nK\x00K\x01\x87q\x0bRq\x0c(K\x03U\x01<q\rNNNJ\xff\xff\xff\xff'
           b'J\xff\xff\xff\xffK\x00tq\x0eb\x89U\x10' + arr.tobytes() + b'q\x0ftq\x10bs.')
    import io
    loaded = load_obj(io.BytesIO(py2))
    np.testing.assert_array_equal(loaded['W'], arr)


@pytest.mark.parametrize('payload', [
    (os.system, ('echo pwned',)),
    (eval, ('1+1',)),
    (Linear, (2, None)),
])
def test_anything_but_data_is_refused(tmp_path, payload):
    class Evil(object):
        def __reduce__(self):
            return payload

    path = tmp_path / 'evil.p'
    path.write_bytes(pickle.dumps({'x': Evil()}, protocol=2))
    with pytest.raises(ModelFileError, match='refusing to load'):
        load_obj(str(path))


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'ckpt.prm')
    save_obj({'epoch': 1}, path)

    def exploding_dump(obj, f, protocol=None):
        f.write(b'\x80\x02partial')
        raise KeyboardInterrupt('killed mid-save')

    monkeypatch.setattr(persist.pickle, 'dump', exploding_dump)
    with pytest.raises(KeyboardInterrupt):
        save_obj({'epoch': 2}, path)
    monkeypatch.undo()
    assert load_obj(path) == {'epoch': 1}
    assert os.listdir(str(tmp_path)) == ['ckpt.prm'], 'no temporary file is left behind'


def test_empty_path_is_a_no_op(tmp_path):
    save_obj({'a': 1}, '')
    save_obj({'a': 1}, None)


def test_load_class():
    assert load_class('neon.layers.layer.Linear') is Linear
    assert load_class('neon_compat.layers.layer.Linear') is Linear
    assert load_class('Linear') is Linear
    with pytest.raises(ModelFileError, match='not a neon class'):
        load_class('os.system')
    with pytest.raises(ModelFileError, match="neither neon's nor imported"):
        load_class('no_such_package.Thing')
    with pytest.raises(ModelFileError, match='cannot find'):
        load_class('neon.no_such_module.Thing')


def test_load_class_never_imports_a_module_the_program_did_not(tmp_path, monkeypatch):
    import sys
    from neon_compat import NervanaObject
    marker = tmp_path / 'imported'
    (tmp_path / 'side_effect_mod.py').write_text(
        'open(%r, "w").close()\n' % str(marker))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelFileError, match="'side_effect_mod'"):
        load_class('side_effect_mod.Layer')
    assert not marker.exists() and 'side_effect_mod' not in sys.modules
    # a module of the program's own (imported already) may hold its layer classes
    import types
    own = types.ModuleType('my_course_layers')
    own.Split = type('Split', (NervanaObject,), {})
    monkeypatch.setitem(sys.modules, 'my_course_layers', own)
    assert load_class('my_course_layers.Split') is own.Split


def test_a_save_removes_what_killed_writers_left_but_not_live_ones(tmp_path):
    import os
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / '.m.prm.{}.abcd.tmp'.format(dead)
    live = tmp_path / '.m.prm.{}.efgh.tmp'.format(os.getpid())
    other = tmp_path / '.other.prm.{}.ijkl.tmp'.format(dead)
    for path in (stale, live, other):
        path.write_bytes(b'partial')
    save_obj({'a': 1}, str(tmp_path / 'm.prm'))
    assert not stale.exists() and live.exists() and other.exists()
    assert load_obj(str(tmp_path / 'm.prm')) == {'a': 1}


def test_damaged_gzip_is_reported(tmp_path):
    path = tmp_path / 'x.prm'
    path.write_bytes(gzip.compress(b'0123456789')[:12])
    with pytest.raises(ModelFileError):
        load_obj(str(path))


def test_saved_files_get_the_usual_permissions(tmp_path):
    path = tmp_path / 'm.prm'
    save_obj({'a': 1}, str(path))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
