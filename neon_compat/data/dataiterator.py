"""In-memory data iterators (neon.data.dataiterator)."""
import numpy as np

from neon_compat import NervanaObject


class NervanaDataIterator(NervanaObject):
    """Base of data iterators: iteration yields (inputs, targets) device tensors.

    Attributes expected by Model: `ndata`, `nbatches`, `shape`, `reset()`.

    Data-parallel training (backends.distributed) sets `part` = (rank, processes)
    while it trains on an iterator whose `splits_minibatches` is True: each global
    minibatch is then `processes` times be.bsz examples, and this process yields rows
    [rank·bsz, (rank+1)·bsz) of it.
    """
    part = (0, 1)
    splits_minibatches = False

    def __init__(self, name=None):
        super(NervanaDataIterator, self).__init__(name)

    @property
    def nbatches(self):
        """Minibatches per epoch: an attribute subclasses assign (as neon's own text and
        caption iterators do) or a property they define."""
        value = getattr(self, '_nbatches', None)
        if value is None:
            raise NotImplementedError('{} sets no nbatches: assign self.nbatches in its '
                                      '__init__ or define the property'.format(
                                          type(self).__name__))
        return value

    @nbatches.setter
    def nbatches(self, value):
        self._nbatches = value

    def reset(self):
        raise NotImplementedError()

    def __iter__(self):
        raise NotImplementedError()


class ArrayIterator(NervanaDataIterator):
    """Minibatches from in-memory arrays, without shuffling.

    Arguments:
        X (ndarray or list of ndarray): inputs, (N, F) each.
        y (ndarray, optional): labels (N,) or (N, 1) class indices, or (N, M) targets
            with make_onehot=False. Without y the targets are the inputs.
        nclass (int, optional): number of classes (needed with make_onehot).
        lshape (tuple, optional): layer shape of one example, e.g. (C, H, W).
        make_onehot (bool): one-hot encode y, default True.
        name (str, optional)

    Batches are (F, bsz) buffers. The last partial batch wraps around to the
    start of the data, and the next epoch starts after the wrapped examples
    (neon's rule) until `reset()`.
    """
    splits_minibatches = True

    def __init__(self, X, y=None, nclass=None, lshape=None, make_onehot=True, name=None):
        super(ArrayIterator, self).__init__(name=name)
        X = X if isinstance(X, list) else [X]
        X = [np.asarray(x) for x in X]
        X = [x.reshape(len(x), -1) if x.ndim != 2 else x for x in X]
        self.ndata = len(X[0])
        if self.be is None or not self.be.bsz:
            raise ValueError('ArrayIterator needs a backend with a batch size: call '
                             'gen_backend(batch_size=N) first')
        if self.ndata < self.be.bsz:
            raise ValueError('ArrayIterator: {} examples are fewer than the batch size {}'.format(
                self.ndata, self.be.bsz))
        self.start = 0
        self.nclass = nclass
        self.ybuf = None
        if make_onehot and nclass is None and y is not None:
            raise AttributeError('Must provide number of classes when creating onehot labels')
        if y is not None:
            y = np.asarray(y)
            if any(y.shape[0] != x.shape[0] for x in X):
                raise ValueError('inputs and labels must have the same number of examples')
            if make_onehot:
                if y.max() > nclass - 1 or y.min() < 0:
                    raise ValueError('labels must range from 0 to {} (nclass-1)'.format(nclass - 1))
                if not (np.floor(y) == y).all():
                    raise ValueError('labels must be integers')
        if lshape is not None:
            if any(x.shape[1] != np.prod(lshape) for x in X):
                raise ValueError('product of lshape {} does not match the input feature size '
                                 '{}'.format(lshape, X[0].shape[1]))
        self.shape = [x.shape[1] if lshape is None else tuple(lshape) for x in X]
        if len(self.shape) == 1:
            self.shape = self.shape[0]
            self.lshape = lshape

        def transpose_gen(z):
            return (self.be.array(z), self.be.iobuf(z.shape[1]),
                    lambda src, dst: self.be.copy_transpose(src, dst))

        def onehot_gen(z):
            return (self.be.array(z.reshape((-1, 1)), dtype=np.int32), self.be.iobuf(nclass),
                    lambda src, dst: self.be.onehot(src, axis=0, out=dst))

        self.Xdev, self.Xbuf, unpack = list(zip(*[transpose_gen(x) for x in X]))
        self.dbuf, self.hbuf, self.unpack_func = list(self.Xdev), list(self.Xbuf), list(unpack)
        if y is not None:
            if y.ndim == 1 and not make_onehot:
                y = y.reshape(-1, 1)
            self.ydev, self.ybuf, yfunc = onehot_gen(y) if make_onehot else transpose_gen(y)
            self.dbuf.append(self.ydev)
            self.hbuf.append(self.ybuf)
            self.unpack_func.append(yfunc)

    @property
    def nbatches(self):
        return -((self.start - self.ndata) // (self.be.bsz * self.part[1]))

    def reset(self):
        self.start = 0

    def _slices(self, first):
        """[(rows of the data, columns of the buffer)] of the bsz examples from row
        `first` on, wrapping around to the start of the data."""
        bsz, start = self.be.bsz, first % self.ndata
        n = min(bsz, self.ndata - start)
        slices = [(slice(start, start + n), slice(0, n))]
        if n < bsz:
            slices.append((slice(0, bsz - n), slice(n, bsz)))
        return slices

    def __iter__(self):
        rank, nranks = self.part
        step = self.be.bsz * nranks  # the global minibatch: be.bsz with one process
        for i1 in range(self.start, self.ndata, step):
            if step > self.ndata - i1:  # wraps: the next epoch starts after those rows
                self.start = step - (self.ndata - i1)
            slices = self._slices(i1 + rank * self.be.bsz)
            for buf, dev, unpack_func in zip(self.hbuf, self.dbuf, self.unpack_func):
                for rows, columns in slices:
                    unpack_func(dev[rows], buf[:, columns])
            inputs = self.Xbuf[0] if len(self.Xbuf) == 1 else list(self.Xbuf)
            targets = self.ybuf if self.ybuf is not None else inputs
            yield (inputs, targets)
