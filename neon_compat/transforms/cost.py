"""Costs and metrics (neon.transforms.cost).

A cost's `__call__(y, t)` is an op-tree of per-column costs, shape (1, cols);
`bprop(y, t)` is the delta handed back to the network. CrossEntropyBinary and
CrossEntropyMulti return (y − t), the derivative with respect to the
pre-activation of a Logistic(shortcut=True) / Softmax output, as neon does.
Metrics return host NumPy values over the columns in `calcrange`.
"""
from collections import Counter

import numpy as np

from neon_compat import NervanaObject, ShapeError, logger


class Cost(NervanaObject):
    """Base cost: `func(y, t)` and `funcgrad(y, t)` op-tree builders."""

    def __call__(self, y, t):
        _check_shapes(self, y, t)
        return self.func(y, t)

    def bprop(self, y, t):
        _check_shapes(self, y, t)
        return self.funcgrad(y, t)


def _check_shapes(cost, y, t):
    if t is None:  # a cost of the outputs alone (deep_dream's MaximizeActivations)
        return
    if tuple(y.shape) != tuple(t.shape):
        raise ShapeError('{} needs network outputs and targets of the same shape: outputs '
                         'are {}, targets are {} (check the data\'s lshape/nclass against the '
                         'network)'.format(type(cost).__name__, y.shape, t.shape))


class CrossEntropyBinary(Cost):
    """Σ_rows −t·log(y) − (1 − t)·log(1 − y); bprop scale·(y − t).

    Arguments:
        scale (float): default 1.
    """

    def __init__(self, scale=1):
        self.scale = scale

    def __call__(self, y, t):
        _check_shapes(self, y, t)
        be = self.be
        return be.sum(be.safelog(1 - y) * (t - 1) - be.safelog(y) * t, axis=0)

    def bprop(self, y, t):
        return self.scale * (y - t)


class CrossEntropyMulti(Cost):
    """Σ_rows −t·log(y) (in bits with usebits); bprop logscale·scale·(y − t), logscale
    1/ln 2 in bits, else 1.

    Arguments:
        scale (float): default 1.
        usebits (bool): default False.
    """

    def __init__(self, scale=1, usebits=False):
        super(CrossEntropyMulti, self).__init__()
        self.usebits = usebits
        self.scale = scale
        self.logscale = float(1. / np.log(2.0) if usebits else 1.)

    def __call__(self, y, t):
        _check_shapes(self, y, t)
        return self.be.sum(-t * self.logscale * self.be.safelog(y), axis=0)

    def bprop(self, y, t):
        return self.logscale * self.scale * (y - t)


class SumSquared(Cost):
    """Σ_rows (y − t)² / 2; bprop y − t."""

    def __init__(self):
        self.func = lambda y, t: self.be.sum(self.be.square(y - t), axis=0) / 2.
        self.funcgrad = lambda y, t: (y - t)


class MeanSquared(Cost):
    """mean_rows (y − t)² / 2; bprop (y − t) / rows."""

    def __init__(self):
        self.func = lambda y, t: self.be.mean(self.be.square(y - t), axis=0) / 2.
        self.funcgrad = lambda y, t: (y - t) / y.shape[0]


class SmoothL1Loss(Cost):
    """Σ_rows smoothL1(y − t): 0.5·σ²·x² where |x| < 1/σ², else |x| − 0.5/σ².

    Arguments:
        sigma (float): default 1.
    """

    def __init__(self, sigma=1.0):
        self.sigma = sigma
        self._sigma2 = float(sigma) ** 2
        self.func = lambda y, t: self.be.sum(self.smoothL1(y - t), axis=0)
        self.funcgrad = lambda y, t: self.smoothL1grad(y - t)

    def smoothL1(self, x):
        be, s2 = self.be, self._sigma2
        return (0.5 * be.square(x) * s2 * (be.absolute(x) < 1 / s2) +
                (be.absolute(x) - 0.5 / s2) * (be.absolute(x) >= 1 / s2))

    def smoothL1grad(self, x):
        be, s2 = self.be, self._sigma2
        return x * s2 * (be.absolute(x) < 1 / s2) + be.sgn(x) * (be.absolute(x) >= 1 / s2)


class SquareHingeLoss(Cost):
    """mean_rows max(margin − t'·y, 0)², t' = 2t − 1.

    Arguments:
        margin (float): default 1.
    """

    def __init__(self, margin=1):
        self.margin = margin
        self.func = self.squarehinge
        self.funcgrad = self.squarehingegrad

    def squarehinge(self, y, t):
        t = 2 * t - 1
        return self.be.mean(self.be.square(self.be.maximum(self.margin - t * y, 0)), axis=0)

    def squarehingegrad(self, y, t):
        t = 2 * t - 1
        return -2 * t * self.be.maximum(self.margin - t * y, 0) / float(y.shape[0])


class GANCost(Cost):
    """The costs of a generative adversarial network, from the discriminator's outputs on
    a data minibatch (y_data) and on generated samples (y_noise).

    Arguments:
        scale (float): scale of the returned gradients, default 1.
        cost_type (str): 'dis' or 'gen', the cost this object mainly stands for.
        func (str): 'original' (Goodfellow et al. 2014), 'modified' (the generator
            maximises log D(G(z))) or 'wasserstein' (Arjovsky et al. 2017).

    `__call__(y_data, y_noise, cost_type='dis')` is the per-column mean of the
    discriminator cost −log y_data − log(1 − y_noise) (wasserstein: y_data − y_noise),
    or with cost_type 'dis_data' / 'dis_noise' one of its terms, or with 'gen' the
    generator's cost: log(1 − y_noise) (original), −log y_noise (modified), y_noise
    (wasserstein). bprop_data, bprop_noise and bprop_generator are their derivatives.
    """
    funcs = ('original', 'modified', 'wasserstein')

    def __init__(self, scale=1., cost_type="dis", func='modified'):
        if cost_type not in ('dis', 'gen'):
            raise ValueError("GANCost cost_type must be 'dis' or 'gen', not {!r}".format(
                cost_type))
        if func not in self.funcs:
            raise ValueError('GANCost func must be one of {}, not {!r}'.format(self.funcs, func))
        self.scale = scale
        self.cost_type = cost_type
        self.func = func
        self.one_buf = self.be.iobuf(1)
        self.one_buf[:] = 1

    def __call__(self, y_data, y_noise, cost_type='dis'):
        if tuple(y_data.shape) != tuple(y_noise.shape):
            raise ShapeError('GANCost: data outputs {} and noise outputs {} differ in '
                             'shape'.format(y_data.shape, y_noise.shape))
        be = self.be
        if self.func == 'wasserstein':
            terms = {'dis_data': y_data, 'dis_noise': -y_noise, 'gen': y_noise}
        else:
            gen = be.safelog(1 - y_noise) if self.func == 'original' else -be.safelog(y_noise)
            terms = {'dis_data': -be.safelog(y_data), 'dis_noise': -be.safelog(1 - y_noise),
                     'gen': gen}
        terms['dis'] = terms['dis_data'] + terms['dis_noise']
        if cost_type not in terms:
            raise ValueError("GANCost cost_type must be one of 'dis', 'dis_data', 'dis_noise', "
                             "'gen', not {!r}".format(cost_type))
        return be.mean(terms[cost_type], axis=0)

    def bprop_noise(self, y_noise):
        """d(discriminator cost)/d y_noise."""
        if self.func == 'wasserstein':
            return -self.scale * self.one_buf
        return self.scale / (1. - y_noise)

    def bprop_data(self, y_data):
        """d(discriminator cost)/d y_data."""
        if self.func == 'wasserstein':
            return self.scale * self.one_buf
        return self.scale * (-1. / y_data)

    def bprop_generator(self, y_noise):
        """d(generator cost)/d y_noise."""
        if self.func == 'original':
            return self.scale / (y_noise - 1.)
        if self.func == 'modified':
            return -self.scale / y_noise
        return self.scale * self.one_buf


class Metric(Cost):
    """Base metric: `__call__(y, t, calcrange)` returns a host value; `metric_names`."""

    def __call__(self, y, t, calcrange=slice(0, None)):
        raise NotImplementedError()


class MultiMetric(Metric):
    """Applies `metric` to output `index` of a multi-output network.

    Arguments:
        metric (Metric): the metric.
        index (int): which output.
    """

    def __init__(self, metric, index):
        self.metric = metric
        self.index = index

    def __call__(self, y, t, *args, **kwargs):
        return self.metric(y[self.index], t[self.index], *args, **kwargs)

    def __getattr__(self, key):
        if key in ('metric', 'index'):
            raise AttributeError(key)
        return getattr(self.metric, key)


class LogLoss(Metric):
    """Mean −log(Σ y·t) over the columns."""

    def __init__(self):
        self.correctProbs = self.be.iobuf(1)
        self.metric_names = ['LogLoss']

    def __call__(self, y, t, calcrange=slice(0, None)):
        self.correctProbs[:] = self.be.sum(y * t, axis=0)
        self.correctProbs[:] = -self.be.safelog(self.correctProbs)
        return np.array(self.correctProbs.get()[:, calcrange].mean())


class TopKMisclassification(Metric):
    """LogLoss, top-1 and top-k misclassification (ties shared as neon does).

    Arguments:
        k (int): number of guesses.
    """

    def __init__(self, k):
        self.correctProbs = self.be.iobuf(1)
        self.top1 = self.be.iobuf(1)
        self.topk = self.be.iobuf(1)
        self.k = k
        self.metric_names = ['LogLoss', 'Top1Misclass', 'Top' + str(k) + 'Misclass']

    def __call__(self, y, t, calcrange=slice(0, None)):
        be = self.be
        self.correctProbs[:] = be.sum(y * t, axis=0)
        n_slots = self.k - be.sum(y > self.correctProbs, axis=0)
        n_eq = be.sum(y == self.correctProbs, axis=0)
        self.topk[:] = 1. - (n_slots > 0) * ((n_eq <= n_slots) * (1 - n_slots / n_eq) +
                                              n_slots / n_eq)
        self.top1[:] = 1. - (be.max(y, axis=0) == self.correctProbs) / n_eq
        self.correctProbs[:] = -be.safelog(self.correctProbs)
        return np.array((self.correctProbs.get()[:, calcrange].mean(),
                         self.top1.get()[:, calcrange].mean(),
                         self.topk.get()[:, calcrange].mean()))


class Misclassification(Metric):
    """Fraction of columns whose argmax differs from the target's.

    Arguments:
        steps (int): time steps per sample, default 1.
    """

    def __init__(self, steps=1):
        self.preds = self.be.iobuf((1, steps), persist_values=False)
        self.hyps = self.be.iobuf((1, steps), persist_values=False)
        self.outputs = self.preds
        self.metric_names = ['Top1Misclass']

    def __call__(self, y, t, calcrange=slice(0, None)):
        self.preds[:] = self.be.argmax(y, axis=0)
        self.hyps[:] = self.be.argmax(t, axis=0)
        self.outputs[:] = self.be.not_equal(self.preds, self.hyps)
        return self.outputs.get()[:, calcrange].mean()


class Accuracy(Metric):
    """Fraction of columns whose argmax equals the target's."""

    def __init__(self):
        self.preds = self.be.iobuf(1)
        self.hyps = self.be.iobuf(1)
        self.outputs = self.preds
        self.metric_names = ['Accuracy']

    def __call__(self, y, t, calcrange=slice(0, None)):
        self.preds[:] = self.be.argmax(y, axis=0)
        self.hyps[:] = self.be.argmax(t, axis=0)
        self.outputs[:] = self.be.equal(self.preds, self.hyps)
        return self.outputs.get()[:, calcrange].mean()


class PrecisionRecall(Metric):
    """Class-averaged precision and recall over all columns.

    Arguments:
        num_classes (int): number of classes.
        binarize (bool): one-hot the argmax of y first (in place), default False.
        epsilon (float): default 1e-6.
    """

    def __init__(self, num_classes, binarize=False, epsilon=1e-6):
        self.outputs = self.be.empty((num_classes, 2))
        self.token_stats = self.be.empty((num_classes, 3))
        self.metric_names = ['Precision', 'Recall']
        self.bin_buf = self.be.iobuf(1) if binarize else None
        self.eps = epsilon

    def __call__(self, y, t, calcrange=slice(0, None)):
        be = self.be
        if self.bin_buf is not None:
            self.bin_buf[:] = be.argmax(y, axis=0)
            be.onehot(self.bin_buf, axis=0, out=y)
        self.token_stats[:, 0] = be.sum(y * t, axis=1)
        self.token_stats[:, 1] = be.sum(y, axis=1)
        self.token_stats[:, 2] = be.sum(t, axis=1)
        self.outputs[:, 0] = self.token_stats[:, 0] / (self.token_stats[:, 1] + self.eps)
        self.outputs[:, 1] = self.token_stats[:, 0] / (self.token_stats[:, 2] + self.eps)
        return self.outputs.get().mean(axis=0)


class BLEUScore(Metric):
    """Corpus BLEU (Papineni et al. 2002) of predicted sentences against references, in
    percent.

    Arguments:
        unk (str): the unknown-word token; an n-gram holding it never matches.

    `__call__(y, t, N=4, brevity_penalty=False, lower_case=True)`: y is a list of predicted
    sentences (str), t a list of lists of reference sentences. Sets `bleu_n`, the
    BLEU-1 ... BLEU-N scores (the geometric mean of the clipped n-gram precisions up to
    n), and returns BLEU-N. lower_case lowers the predictions; a trailing '.' of a
    prediction is dropped.
    """

    def __init__(self, unk='<unk>'):
        self.metric_names = ['BLEU']
        self.end_token = '.'
        self.unk_symbol = unk

    @staticmethod
    def _ngrams(words, N):
        return Counter(tuple(words[i:i + n]) for n in range(1, N + 1)
                       for i in range(len(words) - n + 1))

    def __call__(self, y, t, N=4, brevity_penalty=False, lower_case=True):
        totals, correct = np.zeros(N), np.zeros(N)
        len_translation = len_reference = 0
        for sentence, references in zip(y, t):
            if lower_case:
                sentence = sentence.lower()
            words = sentence.strip(self.end_token).split()
            refs = [ref.split() for ref in references]
            best = Counter()  # each n-gram's largest count in one reference
            for ref in refs:
                for ngram, count in self._ngrams(ref, N).items():
                    best[ngram] = max(best[ngram], count)
            for ngram, count in self._ngrams(words, N).items():
                totals[len(ngram) - 1] += count
                if self.unk_symbol not in ngram:
                    correct[len(ngram) - 1] += min(count, best[ngram])
            len_translation += len(words)
            # the closest reference length (the shorter one on a tie)
            len_reference += min((abs(len(words) - len(ref)), len(ref)) for ref in refs)[1]
        precision = correct / np.maximum(totals, 1) + 1e-7
        bp = 1.0
        if brevity_penalty and 0 < len_translation < len_reference:
            bp = np.exp(1 - float(len_reference) / len_translation)
        logprec = np.log(precision)
        self.bleu_n = [100 * bp * np.exp(logprec[:n + 1].mean()) for n in range(N)]
        logger.display('Bleu scores: ' + ' '.join(str(np.round(b, 2)) for b in self.bleu_n))
        return self.bleu_n[-1]
