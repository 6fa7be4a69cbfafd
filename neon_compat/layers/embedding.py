"""LookupTable, the word-embedding layer."""
import numpy as np

from neon_compat.layers.base import ParameterLayer, interpret_in_shape


class LookupTable(ParameterLayer):
    """Maps integer ids to learned vectors (rows of W).

    Arguments:
        vocab_size (int): number of ids.
        embedding_dim (int): vector length.
        init (Initializer): W has shape (vocab_size, embedding_dim).
        update (bool): learn W (default True).
        pad_idx (int, optional): an id whose vector stays zero and is never updated.
        name (str, optional)

    Shapes: input (nin, bsz) ids (nin steps per sample) -> output (embedding_dim, nin),
    i.e. a (embedding_dim, nin·bsz) sequence buffer. The input gets no gradient.
    """

    def __init__(self, vocab_size, embedding_dim, init, update=True, pad_idx=None, name=None):
        super(LookupTable, self).__init__(init, name)
        self.embedding_dim = embedding_dim
        self.vocab_size = vocab_size
        self.update = update
        self.pad_idx = pad_idx
        self.outputs_t = None

    def __str__(self):
        return "LookupTable Layer '{}': {} inputs, ({}, {}) outputs".format(
            self.name, self.nin, self.embedding_dim, self.nin)

    def configure(self, in_obj):
        super(LookupTable, self).configure(in_obj)
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        self.out_shape = (self.embedding_dim, self.nin)
        if self.weight_shape is None:
            self.weight_shape = (self.vocab_size, self.embedding_dim)
        return self

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        super(LookupTable, self).allocate(shared_outputs, accumulate_updates)
        if self.inputs is None:
            self.inputs = self.be.zeros((1, self.nin * self.be.bsz), dtype=np.int32)
        self.dW[:] = 0
        if self.pad_idx is not None:
            self.W[self.pad_idx] = 0
        if self.outputs_t is None:
            self.outputs_t = self.be.empty_like(self.outputs.T)

    def fprop(self, inputs, inference=False):
        self.inputs[:] = inputs.reshape(self.inputs.shape)
        self.outputs_t[:] = self.W.take(self.inputs, axis=0)
        self.outputs[:] = self.outputs_t.T
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.update:
            self.dW[:] = 0
            self.be.compound_bprop_lut(self.nin, self.inputs, error, self.outputs_t, self.dW,
                                       self.pad_idx, alpha, beta)
        return self.deltas
