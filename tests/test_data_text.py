"""Text and PTB iterators; assignable nbatches and be.onehot op-trees as neon's text
iterators use them; Dataset.load_zip."""
import zipfile

import numpy as np
import pytest

from neon_compat.backends import gen_backend
from neon_compat.data import Text, PTB, NervanaDataIterator, DataFileError
from neon_compat.data.datasets import Dataset

TEXT = 'the quick brown fox jumps over the lazy dog, and then it naps in the sun. ' * 3


@pytest.fixture
def be():
    return gen_backend('cpu', batch_size=3, rng_seed=0)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_character_batches_continue_each_column(be, tmp_path):
    T = 5
    data = Text(T, _write(tmp_path, 't.txt', TEXT))
    per_column = len(TEXT) // (3 * T) * T
    stream = TEXT[:3 * per_column]  # whole minibatches only
    following = stream[1:] + stream[0]  # the next token; the very last wraps (neon)
    assert data.nbatches == len(TEXT) // (3 * T) and data.ndata == 3 * data.nbatches
    assert data.shape == (data.nclass, T) and data.vocab == sorted(set(TEXT))
    for i, (x, y) in enumerate(data):
        chars = [data.index_to_token[k] for k in x.get().argmax(axis=0)]
        nexts = [data.index_to_token[k] for k in y.get().argmax(axis=0)]
        assert x.shape == y.shape == (data.nclass, T * 3)
        assert x.get().sum(axis=0).tolist() == [1.0] * (T * 3)  # one-hot columns
        for b in range(3):  # column t·bsz + b is step t of stream b
            start = b * per_column + i * T
            assert ''.join(chars[b::3]) == stream[start:start + T]
            assert ''.join(nexts[b::3]) == following[start:start + T]
    assert i == data.nbatches - 1


def test_index_inputs_reverse_targets_and_previous_targets(be, tmp_path):
    T = 4
    path = _write(tmp_path, 't.txt', TEXT)
    data = Text(T, path, onehot_input=False, reverse_target=True, get_prev_target=True)
    assert data.shape == (T, 1)
    (x, z), y = next(iter(data))
    x, z, y = x.get(), z.get(), y.get().argmax(axis=0).reshape(T, 3)
    assert x.shape == (T, 3)
    np.testing.assert_array_equal(y, x[::-1])  # the inputs reversed in time
    np.testing.assert_array_equal(z[1:], y[:-1])
    assert (z[0] == 0).all()
    words = Text(2, path, tokenizer=str.split)
    assert 'quick' in words.vocab and words.nclass == len(set(TEXT.split()))


def test_valid_split_files_and_shared_vocabulary(be, tmp_path):
    path = _write(tmp_path, 'corpus.txt', TEXT)
    train_path, valid_path = Text.create_valid_file(path, valid_split=0.25)
    assert train_path.endswith('corpus_train.txt') and valid_path.endswith('corpus_valid.txt')
    with open(train_path) as f, open(valid_path) as g:
        assert f.read() + g.read() == TEXT
    train = Text(3, train_path)
    assert Text(3, valid_path, vocab=train.vocab).vocab == train.vocab
    with pytest.raises(ValueError, match='vocabulary lacks'):
        Text(3, valid_path, vocab=['t', 'h'])
    with pytest.raises(DataFileError, match='fewer than'):
        Text(100, valid_path)


def test_ptb_reads_local_files_with_the_word_tokenizer(be, tmp_path):
    lines = ' a b c d \n e f a b \n c d e f \n' * 4  # PTB's layout: spaces around words
    for phase in ('train', 'valid', 'test'):
        _write(tmp_path, 'ptb.%s.txt' % phase, lines)
    ptb = PTB(2, path=str(tmp_path), tokenizer='newline_tokenizer')
    data = ptb.gen_iterators()
    assert sorted(data) == ['test', 'train', 'valid']
    assert data['train'].vocab == sorted(list('abcdef') + ['<eos>'])
    assert data['valid'].vocab == data['train'].vocab == ptb.vocab
    assert ptb.train_iter is data['train']
    with pytest.raises(ValueError, match='tokenizer'):
        PTB(2, path=str(tmp_path), tokenizer='no_such')
    with pytest.raises(DataFileError, match='ptb.train.txt'):
        PTB(2, path=str(tmp_path / 'missing')).gen_iterators()


def test_nbatches_is_an_attribute_a_subclass_may_assign(be):
    class Counted(NervanaDataIterator):  # the way neon's Text and QA iterators do it
        def __init__(self):
            super(Counted, self).__init__()
            self.nbatches = 4

    assert Counted().nbatches == 4
    with pytest.raises(NotImplementedError, match='nbatches'):
        _ = NervanaDataIterator().nbatches


def test_onehot_without_out_is_an_op_tree_to_assign(be):
    labels = be.iobuf(2, dtype=np.int32)  # (T, bsz) indices, as Text keeps them
    labels.set(np.array([[2, 0, 1], [1, 1, 0]]))
    flat = labels.reshape((1, -1))
    rows = be.iobuf((3, 2))
    rows[:] = be.onehot(flat, axis=0)
    np.testing.assert_array_equal(rows.get(), np.eye(3)[[2, 0, 1, 1, 1, 0]].T)
    cols = be.zeros((6, 3))
    cols[:] = be.onehot(flat, axis=1)
    np.testing.assert_array_equal(cols.get(), np.eye(3)[[2, 0, 1, 1, 1, 0]])
    with pytest.raises(ValueError, match='assigned'):
        rows[:] = be.onehot(flat, axis=0) * 2


def test_load_zip_extracts_beside_the_archive_and_refuses_escapes(be, tmp_path):
    with zipfile.ZipFile(str(tmp_path / 'words.txt.zip'), 'w') as z:
        z.writestr('words.txt', 'hello')
    data = Dataset('words.txt.zip', 'http://example.invalid', 5, path=str(tmp_path))
    path = data.load_zip('words.txt.zip', 5)
    assert path == str(tmp_path / 'words.txt') and open(path).read() == 'hello'
    with zipfile.ZipFile(str(tmp_path / 'evil.zip'), 'w') as z:
        z.writestr('../outside.txt', 'x')
    with pytest.raises(DataFileError, match='outside its folder'):
        data.load_zip('evil.zip', 1)
    assert not (tmp_path.parent / 'outside.txt').exists()


def test_pad_sentences_keeps_the_end_and_pads_the_front():
    from neon_compat.data.text_preprocessing import pad_sentences
    X = pad_sentences([[1, 2, 3, 4, 5], [7], []], sentence_length=3)
    np.testing.assert_array_equal(X, [[3, 4, 5], [0, 0, 7], [0, 0, 0]])
    assert X.dtype == np.int32 and pad_sentences([[1], [2, 3]]).shape == (2, 2)


def _write_imdb(path, n=20):
    import pickle
    rng = np.random.RandomState(0)
    X = [list(rng.randint(0, 30, rng.randint(2, 9))) for _ in range(n)]
    y = [i % 2 for i in range(n)]
    with open(str(path), 'wb') as f:
        pickle.dump((X, y), f, protocol=2)
    return X, y


def test_pad_data_shuffles_shifts_clips_the_vocabulary_and_splits(tmp_path):
    from neon_compat.data.text_preprocessing import pad_data
    X, y = _write_imdb(tmp_path / 'imdb.pkl')
    before = np.random.get_state()[1].copy()
    (Xtr, ytr), (Xte, yte), nclass = pad_data(str(tmp_path / 'imdb.pkl'), vocab_size=20,
                                             sentence_length=6, test_split=0.25)
    assert Xtr.shape == (15, 6) and Xte.shape == (5, 6) and nclass == 2
    order = np.arange(20)
    np.random.RandomState(113).shuffle(order)  # one permutation for sequences and labels
    assert ytr.ravel().tolist() + yte.ravel().tolist() == [y[i] for i in order]
    first = [1] + [w + 3 if w + 3 < 20 else 2 for w in X[order[0]]]  # start id, shift, oov
    np.testing.assert_array_equal(Xtr[0][-len(first[-6:]):], first[-6:])
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # global RNG untouched


def test_imdb_shakespeare_and_hutter_prize_read_local_files(be, tmp_path):
    from neon_compat.data import IMDB, Shakespeare, HutterPrize
    _write_imdb(tmp_path / 'imdb.pkl', n=40)
    data = IMDB(vocab_size=20, sentence_length=5, path=str(tmp_path)).gen_iterators()
    assert data['nclass'] == 2 and data['train'].ndata == 32 and data['test'].ndata == 8
    assert data['train'].shape == 5
    _write(tmp_path, 'shakespeare_input.txt', TEXT * 3)
    sets = Shakespeare(4, path=str(tmp_path)).gen_iterators()
    assert sets['valid'].vocab == sets['train'].vocab and sets['train'].nbatches > 0
    with zipfile.ZipFile(str(tmp_path / 'enwik8.zip'), 'w') as z:
        z.writestr('enwik8', 'hutter text')
    text_path = HutterPrize(path=str(tmp_path)).load_data()
    assert open(text_path).read() == 'hutter text'
    for make, name in ((lambda p: IMDB(10, 5, path=p).gen_iterators(), 'imdb.pkl'),
                       (lambda p: Shakespeare(4, path=p).gen_iterators(),
                        'shakespeare_input.txt'),
                       (lambda p: HutterPrize(path=p).load_data(), 'enwik8.zip')):
        with pytest.raises(DataFileError, match="'{}' not found. neon_compat never "
                                                "downloads".format(
                                                    re_escape(str(tmp_path / 'none' / name)))):
            make(str(tmp_path / 'none'))


def re_escape(text):
    import re
    return re.escape(text)
