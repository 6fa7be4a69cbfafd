"""Recurrent layers (neon.layers.recurrent): Recurrent, LSTM, GRU, their bidirectional
forms, and the sequence-summary layers.

Sequences are (features, T·N) buffers, column t·N + n holding step t of sample n.
Weights follow neon's file layout: W has (ngates·nout) columns and rows
[W_input (nin rows), W_recur (nout rows), b (1 row)], where W_input is that row
block reinterpreted as (ngates·nout, nin) (neon's memory view, not a transpose);
bidirectional layers interleave the directions as neon did: [W_input_f, W_input_b,
W_recur_f, W_recur_b, b_f, b_b], nin being the inputs per direction. The layers
expose these views under neon's names. The input-to-hidden products of all steps
are one GEMM; only the recurrent products run per step.

Hidden states are kept in the layer's own buffers and copied to the outputs, so
layers after a recurrent layer may work on its outputs in place (as the Practice 5
custom layers do). Gradients are truncated at the minibatch boundary, as in neon.
"""
import numpy as np

from neon_compat.layers.base import Layer, ParameterLayer
from neon_compat.layers.recurrent_cells import Direction, SimpleCell, LSTMCell, GRUCell


def interpret_in_shape(xshape):
    """(nin, nsteps): int n -> (n, 1); tuples -> (prod(all but last), last)."""
    if isinstance(xshape, (int, np.integer)):
        return (int(xshape), 1)
    if len(xshape) == 2:
        return tuple(xshape)
    return (int(np.prod(xshape[:-1])), int(xshape[-1]))


def get_steps(x, shape):
    """Per-step column views [x[:, t·N:(t+1)·N] for t < T] of a (F, T·N) buffer."""
    steps = shape[1]
    if steps == 1:
        return [x]
    bsz = x.shape[1] // steps
    return [x[:, t * bsz:(t + 1) * bsz] for t in range(steps)]


def _direction_view(name, d):
    """neon's attribute for direction d's `name` (a view of W, dW or a step buffer;
    None before allocate); step buffers a kernel left in its scratch are written first."""
    def view(self):
        if self.dirs is None:
            return None
        self.be.flush_steps(self.dirs[d])
        return getattr(self.dirs[d], name)
    return property(view)


class _RecurrentBase(ParameterLayer):
    """Shared machinery of Recurrent, LSTM, GRU, BiRNN and BiLSTM; the step maths is
    the cell's (`cell_type`, see recurrent_cells.py)."""
    cell_type = SimpleCell
    ndirections = 1

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, split_inputs=False, name=None,
                 parallelism="Data"):
        super(_RecurrentBase, self).__init__(init, name, parallelism)
        if activation is None:
            raise ValueError('{} needs an activation'.format(self.classnm))
        if isinstance(output_size, bool) or not isinstance(output_size, (int, np.integer)) \
                or output_size < 1:
            raise ValueError("{} '{}': output_size must be a whole number, at least 1, not "
                             "{!r}".format(self.classnm, self.name, output_size))
        if self.cell_type.gated and gate_activation is None:
            raise ValueError('{} needs a gate_activation'.format(self.classnm))
        self.cell = self.cell_type(activation, gate_activation)
        self.output_size = output_size
        self.nout = output_size
        self.init_inner = init_inner
        self.activation = activation
        self.gate_activation = gate_activation
        self.reset_cells = reset_cells
        self.split_inputs = split_inputs
        self.x = None
        self.dirs = None

    @property
    def ngates(self):
        return self.cell_type.ngates

    def __str__(self):
        return "{} Layer '{}': {} inputs, {} outputs, {} steps".format(
            self.classnm, self.name, self.nin, self.nout * self.ndirections, self.nsteps)

    def configure(self, in_obj):
        super(_RecurrentBase, self).configure(in_obj)
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        if self.split_inputs and self.nin % 2 == 1:
            raise ValueError("{}: split_inputs needs an even number of inputs, got "
                             "{}".format(self.name, self.nin))
        self.nin_dir = self.nin // 2 if self.split_inputs else self.nin
        self.out_shape = (self.ndirections * self.nout, self.nsteps)
        if self.weight_shape is None:
            rows = self.nin_dir + self.nout + 1
            self.weight_shape = (self.ndirections * rows, self.ngates * self.nout)
        return self

    def weight_rows(self, d):
        """(input rows, recurrent rows, bias row) of direction d in W: neon's layout
        [inputs of every direction, recurrent of every direction, biases]."""
        nin, nout, ndir = self.nin_dir, self.nout, self.ndirections
        recur = ndir * nin + d * nout
        bias = ndir * (nin + nout) + d
        return (slice(d * nin, (d + 1) * nin), slice(recur, recur + nout),
                slice(bias, bias + 1))

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        super(_RecurrentBase, self).allocate(shared_outputs, accumulate_updates)
        self.dirs = [Direction(self, self.W, self.dW, self.weight_rows(d), reverse=(d == 1))
                     for d in range(self.ndirections)]
        for direction in self.dirs:
            direction.reset()

    def init_params(self, shape):
        """W from `init` (input blocks) and `init_inner` (recurrent blocks), one gate block
        at a time in neon's order (every direction's inputs, then recurrent); biases 0.
        (`init` fills gate blocks, never W whole: an Array init is one block's values.)"""
        self.W = self.be.zeros(shape)
        self.dW = self.be.zeros_like(self.W)
        self.states = []
        if self.accumulate_updates:
            self._make_acc_buffers()
        g, nout = self.ngates * self.nout, self.nout
        inner = self.init_inner if self.init_inner is not None else self.init
        rows = [self.weight_rows(d) for d in range(self.ndirections)]
        blocks = [(self.init, self.W[r[0]].reshape((g, self.nin_dir))) for r in rows] + \
            [(inner, self.W[r[1]].reshape((g, nout))) for r in rows]
        for init, block in blocks:
            for gate in range(self.ngates):
                init.fill(block[gate * nout:(gate + 1) * nout])
        for r in rows:
            self.W[r[2]] = 0

    # neon's names of the layer's buffers
    h_buffer = property(lambda self: self.outputs, doc='the outputs (hidden states)')
    out_deltas_buffer = property(lambda self: self.deltas, doc='the input deltas')

    @property
    def h(self):
        """The hidden state of each step, [(nout, N) view per step] (forward direction)."""
        if self.dirs is None:
            return None
        direction = self.dirs[0]
        return [direction.col(direction.h, t) for t in range(self.nsteps)]

    def final_state(self):
        """The hidden state after the last step of the walk (what a decoder starts from)."""
        direction = self.dirs[0]
        return direction.col(direction.h, direction.order[-1])

    def get_final_hidden_error(self):
        """dL/d(initial state) of the last bprop (for an encoder that fed init_state)."""
        return self.dirs[0].dh

    def _inputs(self, inputs):
        """The input as (nin, T·N), and whether it is a different tensor than last time
        (which resets the state; the same buffer, reshaped or not, carries it over)."""
        shape = (self.nin, self.nsteps * self.be.bsz)
        if tuple(inputs.shape) == shape:
            x = inputs
        elif self.x is not None and self.x.base is inputs:
            x = self.x
        else:
            if inputs.size != shape[0] * shape[1]:
                raise ValueError("{} '{}': input of {} elements cannot be ({} features, {} "
                                 "steps) per sample".format(self.classnm, self.name,
                                                            inputs.size, self.nin, self.nsteps))
            x = inputs.reshape(shape)
        fresh = self.x is not x
        self.x = x
        return x, fresh

    def _split(self, x, d):
        if not self.split_inputs:
            return x
        return x[:self.nin_dir] if d == 0 else x[self.nin_dir:]

    def _projection(self, d):
        """Where direction d's input projection W_input·x goes (then + b, the cell's
        pre-activations); BiBNRNN normalizes it first."""
        return self.dirs[d].pre

    def _normalize_projections(self, inference):
        """Between the input projections and the recurrence (BiBNRNN's batch norm)."""

    def _projection_error(self):
        """Turn dL/d pre-activation into dL/d projection (BiBNRNN's batch norm)."""

    def fprop(self, inputs, inference=False, init_state=None):
        x, fresh = self._inputs(inputs)
        nout = self.nout
        # a fused cell kernel computes W_input·x + b itself, straight into its step-major
        # scratch; otherwise one GEMM over all steps into the projection buffer
        fused = self.cell.fused() is not None
        for d, direction in enumerate(self.dirs):
            if fused and self._projection(d) is direction.pre:
                direction.projection = (direction.W_input, self._split(x, d), direction.b)
            else:
                direction.projection = None
                self.be.compound_dot(direction.W_input, self._split(x, d),
                                     self._projection(d))
        self._normalize_projections(inference)
        for d, direction in enumerate(self.dirs):
            if self.reset_cells or fresh:
                direction.reset()
            else:
                direction.carry()
            if init_state is not None:
                direction.h0[:] = init_state
            direction.recur_cols = direction.later if init_state is None else \
                direction.every_step
            if direction.projection is None:
                direction.pre[:] = self._projection(d) + direction.b
            self.cell.fprop(self.be, direction)
            self.outputs[d * nout:(d + 1) * nout] = direction.h
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        be, nout, N = self.be, self.nout, self.be.bsz
        error = error.reshape((self.ndirections * nout, self.nsteps * N))
        # every view of dW is written below (dW_input and db, and dW_recur unless no
        # step has a recurrent product), so dW needs no zero fill
        for d, direction in enumerate(self.dirs):
            self.cell.bprop(be, direction, error[d * nout:(d + 1) * nout])
            direction.db[:] = be.sum(direction.dpre, axis=1)
            if self.nsteps > 1 or direction.recur_cols is direction.every_step:
                self.cell.recur_grads(be, direction)
            else:
                direction.dW_recur[:] = 0
        self._projection_error()
        for d, direction in enumerate(self.dirs):  # dW_input: one GEMM over all steps
            be.compound_dot(direction.dpre, self._split(self.x, d).T, direction.dW_input)
        if self.deltas is not None:
            deltas = self.deltas.reshape((self.nin, self.nsteps * N))
            for d, direction in enumerate(self.dirs):
                target = deltas if not self.split_inputs else self._split(deltas, d)
                first = d == 0 or self.split_inputs
                self.be.compound_dot(direction.W_input.T, direction.dpre, target,
                                     alpha=alpha, beta=beta if first else 1.0)
        return self.deltas


class Recurrent(_RecurrentBase):
    """Simple recurrent layer: h_t = f(W_recur·h_{t−1} + W_input·x_t + b).

    Arguments:
        output_size (int): hidden units.
        init (Initializer): input weights (each gate block filled separately).
        init_inner (Initializer, optional): recurrent weights (default: init).
        activation (Transform): f (required).
        reset_cells (bool): start every minibatch from a zero state (default False:
            the state carries over while the same input buffer comes in).
        name (str, optional)

    Shapes: input (nin, T) -> output (output_size, T); W (nin + nout + 1, nout), with
    the views W_input (nout, nin), W_recur (nout, nout), b (nout, 1) and their
    gradients dW_input, dW_recur, db.
    """
    def __init__(self, output_size, init, init_inner=None, activation=None, reset_cells=False,
                 name=None):
        super(Recurrent, self).__init__(output_size, init, init_inner=init_inner,
                                        activation=activation, reset_cells=reset_cells,
                                        name=name)


class _GatedRecurrent(Recurrent):
    """What LSTM and GRU share: neon's arguments with a gate_activation."""

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, name=None):
        _RecurrentBase.__init__(self, output_size, init, init_inner=init_inner,
                                activation=activation, gate_activation=gate_activation,
                                reset_cells=reset_cells, name=name)


class LSTM(_GatedRecurrent):
    """Long short-term memory, gates in neon's order i, f, o, g.

    [i, f, o] = gate_activation(·), g = activation(·), c = f·c_prev + i·g,
    h = o·activation(c).

    Arguments: as Recurrent, plus gate_activation (Transform, required).
    Shapes: input (nin, T) -> output (output_size, T); W (nin + nout + 1, 4·nout).
    Step buffers (4·nout or nout, T·N) as neon names them: ifog_buffer (gate
    activations), ifog_delta_buffer, c_buffer (cell states), c_act_buffer.
    """
    cell_type = LSTMCell
    ifog_buffer = _direction_view('pre', 0)
    ifog_delta_buffer = _direction_view('dpre', 0)
    c_buffer = _direction_view('c', 0)
    c_act_buffer = _direction_view('c_act', 0)


class GRU(_GatedRecurrent):
    """Gated recurrent unit, blocks r, z, candidate.

    r, z = gate_activation(W·x + U·h_prev + b); c = activation(W_c·x + U_c·(r·h_prev) + b_c);
    h = (1 − z)·h_prev + z·c.

    Arguments: as LSTM.
    Shapes: input (nin, T) -> output (output_size, T); W (nin + nout + 1, 3·nout).
    Step buffers (3·nout, T·N) as neon names them: rzhcan_buffer (gate activations),
    rzhcan_delta_buffer.
    """
    cell_type = GRUCell
    rzhcan_buffer = _direction_view('pre', 0)
    rzhcan_delta_buffer = _direction_view('dpre', 0)


class BiRNN(_RecurrentBase):
    """Bidirectional simple recurrent layer.

    Output rows [:nout] run forward in time, rows [nout:] backward. With split_inputs,
    the first half of the input rows feeds the forward direction, the rest the
    backward one.

    Arguments: as Recurrent, plus split_inputs (bool) and parallelism.
    Shapes: input (nin, T) -> output (2·output_size, T); W (2·(nin' + nout + 1), nout),
    nin' the inputs per direction, rows [W_input_f, W_input_b, W_recur_f, W_recur_b, b_f,
    b_b] (neon's views, with gradients dW_input_f, ...).
    """
    ndirections = 2

    def __init__(self, output_size, init, init_inner=None, activation=None, reset_cells=False,
                 split_inputs=False, name=None, parallelism="Data"):
        super(BiRNN, self).__init__(output_size, init, init_inner=init_inner,
                                    activation=activation, reset_cells=reset_cells,
                                    split_inputs=split_inputs, name=name,
                                    parallelism=parallelism)


class BiLSTM(BiRNN):
    """Bidirectional LSTM (see LSTM and BiRNN).

    Arguments: as LSTM, plus split_inputs (bool).
    Shapes: input (nin, T) -> output (2·output_size, T); W as BiRNN's with 4·nout columns.
    """
    cell_type = LSTMCell

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, split_inputs=False, name=None):
        _RecurrentBase.__init__(self, output_size, init, init_inner=init_inner,
                                activation=activation, gate_activation=gate_activation,
                                reset_cells=reset_cells, split_inputs=split_inputs, name=name)


# neon's names of the weight views: W_input, ... on Recurrent (and so LSTM, GRU);
# W_input_f, W_input_b, ... on BiRNN (and so BiLSTM, BiBNRNN)
for _cls, _suffixes in ((Recurrent, ('',)), (BiRNN, ('_f', '_b'))):
    for _d, _suffix in enumerate(_suffixes):
        for _name in ('W_input', 'W_recur', 'b', 'dW_input', 'dW_recur', 'db'):
            setattr(_cls, _name + _suffix, _direction_view(_name, _d))
del _cls, _suffixes, _d, _suffix, _name


class BiSum(Layer):
    """Sums the two directions of a bidirectional layer's output: (2·F, T) -> (F, T).

    Arguments:
        name (str, optional)
    """

    def __init__(self, name=None):
        super(BiSum, self).__init__(name)
        self.owns_output = self.owns_delta = True
        self.prev_layer = True  # computes its input deltas even as a first layer (neon)
        self.x = None

    def __str__(self):
        return "BiSum Layer '{}': {} inputs, {} outputs".format(self.name, self.nin,
                                                                 self.nin // 2)

    def configure(self, in_obj):
        super(BiSum, self).configure(in_obj)
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        if self.nin % 2:
            raise ValueError("BiSum '{}' needs an even number of input rows (two directions), "
                             "got {}".format(self.name, self.nin))
        self.out_shape = (self.nin // 2, self.nsteps)
        return self

    def fprop(self, inputs, inference=False):
        self.x = inputs
        half = self.nin // 2
        self.outputs[:] = inputs[:half] + inputs[half:]
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        half = self.nin // 2
        self.deltas[:half] = error
        self.deltas[half:] = error
        return self.deltas


class BiBNRNN(BiRNN):
    """BiRNN with batch norm on the input projections (Laurent et al. 2015): for both
    directions, W_input·x is normalized per row over all steps and samples, then
    h_t = f(W_recur·h_{t−1} + gamma·x̂ + beta + b).

    Arguments: as BiRNN (without parallelism).
    Attributes: rho 0.9 and eps 1e-3 (neon's fixed values); beta, gamma, gmean, gvar,
    xmean, xvar (2·nout, 1); h_ff_buffer (2·nout, T·N), the normalized projections.
    get_params() lists W, beta and gamma.
    """

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 reset_cells=False, split_inputs=False, name=None):
        super(BiBNRNN, self).__init__(output_size, init, init_inner=init_inner,
                                      activation=activation, reset_cells=reset_cells,
                                      split_inputs=split_inputs, name=name)
        self.rho = 0.9
        self.eps = 1e-3
        self.beta = self.gamma = self.gmean = self.gvar = None
        self.states_bn = [[], []]

    @property
    def stats_dtype(self):
        return np.float64 if self.be.default_dtype == np.float64 else np.float32

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        super(BiBNRNN, self).allocate(shared_outputs, accumulate_updates)
        rows, dtype = (2 * self.nout, 1), self.stats_dtype
        if self.gamma is None:  # (else loaded from a model file)
            self.beta = self.be.zeros(rows, dtype=dtype)
            self.gamma = self.be.ones(rows, dtype=dtype)
        if self.gmean is None:
            self.gmean = self.be.zeros(rows, dtype=dtype)
            self.gvar = self.be.zeros(rows, dtype=dtype)
        self.xmean = self.be.zeros(rows, dtype=self.stats_dtype)
        self.xvar = self.be.zeros(rows, dtype=self.stats_dtype)
        self.grad_beta = self.be.zeros_like(self.beta)
        self.grad_gamma = self.be.zeros_like(self.gamma)
        self.h_ff_buffer = self.be.iobuf((2 * self.nout, self.nsteps))
        # the cells' pre-activation gradients are rows of one buffer, which the batch-norm
        # bprop then turns into the projections' gradients in place
        self.bn_error = self.be.iobuf((2 * self.nout, self.nsteps))
        for d, direction in enumerate(self.dirs):
            direction.dpre = self.bn_error[d * self.nout:(d + 1) * self.nout]

    def get_params(self):
        return [((self.W, self.dW), self.states),
                ((self.beta, self.grad_beta), self.states_bn[0]),
                ((self.gamma, self.grad_gamma), self.states_bn[1])]

    def get_description(self, get_weights=False, keep_states=True, **kwargs):
        serial_dict = super(BiBNRNN, self).get_description(get_weights, keep_states)
        if get_weights:  # neon saved gmean and gvar only; beta and gamma are learned too
            for key in ('beta', 'gamma', 'gmean', 'gvar'):
                serial_dict['params'][key] = getattr(self, key).get()
        return serial_dict

    def _projection(self, d):
        return self.h_ff_buffer[d * self.nout:(d + 1) * self.nout]

    def _normalize_projections(self, inference):
        self._fprop_bn(self.h_ff_buffer, inference)

    def _projection_error(self):
        self._bprop_bn(self.bn_error, self.h_ff_buffer)

    def _fprop_bn(self, inputs, inference=False):
        """Normalize `inputs` (2·nout, n) in place per row (batch statistics in xmean and
        xvar, running ones in gmean/gvar; those at inference); returns it."""
        self.be.compound_fprop_bn(inputs, self.xmean, self.xvar, self.gmean, self.gvar,
                                  self.gamma, self.beta, inputs, self.eps, self.rho,
                                  inference=inference)
        return inputs

    def _bprop_bn(self, error, input_post_bn):
        """Backprop `error` through the batch norm in place, from its output
        input_post_bn; sets grad_gamma and grad_beta. Returns error."""
        be = self.be
        xhat = (input_post_bn - self.beta) / self.gamma
        self.grad_gamma[:] = be.sum(xhat * error, axis=1)
        self.grad_beta[:] = be.sum(error, axis=1)
        mean_term = (xhat * self.grad_gamma + self.grad_beta) * (1.0 / input_post_bn.shape[1])
        error[:] = self.gamma * (error - mean_term) / be.sqrt(self.xvar + self.eps)
        return error


class _SequenceSummary(Layer):
    """(F, T) sequences -> (F, 1): one vector per sequence."""

    def __init__(self, name=None):
        super(_SequenceSummary, self).__init__(name or self.__class__.__name__)
        self.owns_delta = True

    def configure(self, in_obj):
        super(_SequenceSummary, self).configure(in_obj)
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        self.out_shape = (self.nin, 1)
        return self

    def _steps(self, buf):
        return get_steps(buf.reshape((self.nin, self.nsteps * self.be.bsz)),
                         (self.nin, self.nsteps))


class RecurrentSum(_SequenceSummary):
    """Sum over time steps.

    Arguments:
        name (str, optional): default 'RecurrentSum'.
    """

    @property
    def scale(self):
        """The factor on the sum (1; RecurrentMean's is 1/nsteps)."""
        return 1.0

    def fprop(self, inputs, inference=False):
        self.outputs[:] = 0
        for x in self._steps(inputs):
            self.outputs[:] = self.outputs + x
        if self.scale != 1.0:
            self.outputs[:] = self.outputs * self.scale
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:
            for d in self._steps(self.deltas):
                d[:] = (alpha * self.scale) * error + beta * d
        return self.deltas


class RecurrentMean(RecurrentSum):
    """Mean over time steps.

    Arguments:
        name (str, optional): default 'RecurrentMean'.
    """

    @property
    def scale(self):
        return 1.0 / self.nsteps


class RecurrentLast(_SequenceSummary):
    """The last time step.

    Arguments:
        name (str, optional): default 'RecurrentLast'.
    """

    def _last(self, buf):
        N = self.be.bsz
        return buf.reshape((self.nin, self.nsteps * N))[:, (self.nsteps - 1) * N:]

    def fprop(self, inputs, inference=False):
        self.outputs[:] = self._last(inputs)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:  # every step but the last gets beta·d, in one op
            self.deltas[:] = beta * self.deltas if beta else 0
            last = self._last(self.deltas)
            last[:] = alpha * error + last if beta else alpha * error
        return self.deltas


class DeepBiRNN(list):
    """`depth` stacked BiRNN layers (BiBNRNN with batch_norm), each followed by a BiSum
    with bi_sum; without bi_sum the layers after the first split their inputs.

    Arguments:
        nout (int): hidden units per direction.
        init (Initializer), init_inner (Initializer, optional), activation (Transform),
        reset_cells (bool): as BiRNN.
        depth (int): number of layers, default 1.
        batch_norm (bool): BiBNRNN layers, default False.
        bi_sum (bool): sum the directions after each layer, default False.
    """

    def __init__(self, nout, init, init_inner=None, activation=None, reset_cells=False,
                 depth=1, batch_norm=False, bi_sum=False):
        super(DeepBiRNN, self).__init__()
        if depth <= 0:
            raise ValueError('DeepBiRNN: depth must be at least 1, not {}'.format(depth))
        cls = BiBNRNN if batch_norm else BiRNN
        for d in range(depth):
            self.append(cls(nout, init, init_inner=init_inner, activation=activation,
                            reset_cells=reset_cells, split_inputs=d > 0 and not bi_sum))
            if bi_sum:
                self.append(BiSum())


class DeepBiLSTM(list):
    """`depth` stacked BiLSTM layers; the layers after the first split their inputs.

    Arguments: as BiLSTM (nout, init, init_inner, activation, gate_activation,
    reset_cells), plus depth (int, default 1).
    """

    def __init__(self, nout, init, init_inner=None, activation=None, gate_activation=None,
                 reset_cells=False, depth=1):
        super(DeepBiLSTM, self).__init__()
        if depth <= 0:
            raise ValueError('DeepBiLSTM: depth must be at least 1, not {}'.format(depth))
        for d in range(depth):
            self.append(BiLSTM(nout, init, init_inner=init_inner, activation=activation,
                               gate_activation=gate_activation, reset_cells=reset_cells,
                               split_inputs=d > 0))
