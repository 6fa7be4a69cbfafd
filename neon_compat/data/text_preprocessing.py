"""Text preprocessing (neon.data.text_preprocessing): cleaning strings, padding token
sequences, and the padded IMDB-style (sequences, labels) pickles."""
import re

import numpy as np

from neon_compat.util.persist import load_obj


def clean_string(base):
    """Lower-case words and punctuation separated by spaces (Kim 2014's cleaning)."""
    base = re.sub(r"[^A-Za-z0-9(),!?\'\`]", " ", base)
    for suffix in ("'re", "'d", "'ll", "'s", "'ve", "n't"):
        base = base.replace(suffix, ' ' + suffix)
    for mark, spaced in (('!', ' ! '), (',', ' , '), (')', ' \\) '), ('(', ' \\( '),
                         ('?', ' \\? ')):
        base = base.replace(mark, spaced)
    return re.sub(r'\s{2,}', ' ', base).strip().lower()


def pad_sentences(sentences, sentence_length=None, dtype=np.int32, pad_val=0.):
    """(N, sentence_length) int32: each sequence's last sentence_length tokens, padded
    with pad_val at the front (default length: the longest)."""
    if sentence_length is None:
        sentence_length = max(len(s) for s in sentences)
    X = np.full((len(sentences), sentence_length), pad_val).astype(np.int32)
    for i, sentence in enumerate(sentences):
        kept = list(sentence)[-sentence_length:]
        if kept:
            X[i, -len(kept):] = kept
    return X


def get_paddedXY(X, y, vocab_size=20000, sentence_length=100, oov=2, start=1, index_from=3,
                 seed=113, shuffle=True):
    """Token-id sequences prepared as neon's examples expect: shuffled (seed), ids moved
    up by index_from (0 pad, 1 start, 2 out-of-vocabulary), a start token, ids from
    vocab_size on replaced by oov (or dropped with oov=None), padded; y as (N, 1)."""
    X, y = list(X), list(y)
    if shuffle:  # the same permutation for both (neon reseeded NumPy's global generator)
        np.random.RandomState(seed).shuffle(X)
        np.random.RandomState(seed).shuffle(y)
    X = [([start] if start is not None else []) + [w + index_from for w in x] for x in X]
    vocab_size = vocab_size or max(max(x) for x in X)
    if oov is not None:
        X = [[oov if w >= vocab_size else w for w in x] for x in X]
    else:
        X = [[w for w in x if w < vocab_size] for x in X]
    return (pad_sentences(X, sentence_length=sentence_length),
            np.array(y, dtype=np.int32).reshape((len(y), 1)))


def pad_data(path, vocab_size=20000, sentence_length=100, oov=2, start=1, index_from=3,
             seed=113, test_split=0.2):
    """((X_train, y_train), (X_test, y_test), nclass) from a pickle of (sequences,
    labels), prepared as get_paddedXY and split test_split for testing."""
    X, y = load_obj(path)
    X, y = get_paddedXY(X, y, vocab_size=vocab_size, sentence_length=sentence_length,
                        oov=oov, start=start, index_from=index_from, seed=seed)
    cut = int(len(X) * (1 - test_split))
    nclass = 1 + int(y.max())
    return (X[:cut], y[:cut]), (X[cut:], y[cut:]), nclass
