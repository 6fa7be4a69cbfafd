"""Fully-connected layers: Linear and Bias."""
import numpy as np

from neon_compat.layers.base import Layer, ParameterLayer, interpret_in_shape


class Linear(ParameterLayer):
    """Fully connected layer without bias: outputs = W · inputs.

    Arguments:
        nout (int): number of outputs.
        init (Initializer): W initializer; W has shape (nout, nin).
        bsum (bool): also compute row sums of the output (for BatchNorm).
        name (str, optional)
        parallelism (str): default "Disabled".

    Shapes: input (nin, nsteps·bsz) -> output (nout, nsteps·bsz).
    """

    def __init__(self, nout, init, bsum=False, name=None, parallelism="Disabled"):
        super(Linear, self).__init__(init, name, parallelism)
        if isinstance(nout, bool) or not isinstance(nout, (int, np.integer)) or nout < 1:
            raise ValueError("{} '{}': nout must be a whole number of outputs, at least 1, "
                             "not {!r}".format(self.classnm, self.name, nout))
        self.nout = nout
        self.inputs = None
        self.bsum = bsum

    def __str__(self):
        return "Linear Layer '{}': {} inputs, {} outputs".format(self.name, self.nin, self.nout)

    def configure(self, in_obj):
        super(Linear, self).configure(in_obj)
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        self.out_shape = (self.nout, self.nsteps)
        if self.weight_shape is None:
            self.weight_shape = (self.nout, self.nin)
        if self.bsum:
            self.batch_sum_shape = (self.nout, 1)
        return self

    def fprop(self, inputs, inference=False, beta=0.0):
        self.inputs = inputs
        if self.actual_bsz is None and self.actual_seq_len is None:
            self.be.compound_dot(A=self.W, B=self.inputs, C=self.outputs, beta=beta,
                                 bsum=self.batch_sum)
        else:
            bsz = self.be.bsz if self.actual_bsz is None else self.actual_bsz
            steps = self.nsteps if self.actual_seq_len is None else self.actual_seq_len
            self.be.compound_dot(A=self.W, B=self.inputs[:, :bsz * steps],
                                 C=self.outputs[:, :bsz * steps], beta=beta,
                                 bsum=self.batch_sum)
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.compound_dot(A=self.W.T, B=error, C=self.deltas, alpha=alpha, beta=beta)
        self.be.compound_dot(A=error, B=self.inputs.T, C=self.dW)
        return self.deltas


class Bias(ParameterLayer):
    """Adds a learned bias per row (per channel for (C, H, W) inputs), in place.

    Arguments:
        init (Initializer): bias initializer; W has shape (in_shape[0], 1).
        name (str, optional)
    """

    def __init__(self, init, name=None):
        super(Bias, self).__init__(init, name)
        self.y = None
        self.owns_output = False
        self.owns_delta = False

    def __str__(self):
        return "Bias Layer '{}': size {}".format(self.name, self.bias_size)

    def configure(self, in_obj):
        super(Bias, self).configure(in_obj)
        self.out_shape = self.in_shape
        self.bias_size = interpret_in_shape(self.in_shape)[0] \
            if isinstance(self.in_shape, (int, np.integer)) else self.in_shape[0]
        if self.weight_shape is None:
            self.weight_shape = (self.bias_size, 1)
        return self

    def fprop(self, inputs, inference=False):
        self.outputs = self.inputs = inputs
        if self.y is None or self.y.base is not self.outputs:
            self.y = self.outputs.reshape((self.bias_size, -1))
        self.y[:] = self.y + self.W
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        grad = error.reshape((self.bias_size, -1))
        self.be.sum(grad, axis=1, out=self.dW)
        return error

