"""Recurrent layers (neon.layers.recurrent): Recurrent, LSTM, GRU, their bidirectional
forms, and the sequence-summary layers.

Sequences are (features, T·N) buffers, column t·N + n holding step t of sample n.
Weights follow neon's file layout: one W per direction block, rows
[W_input (nin rows), W_recur (nout rows), bias (1 row)] × (ngates·nout) columns,
where W_input is that block reinterpreted as (ngates·nout, nin) (neon's memory
view, not a transpose). The input-to-hidden products of all steps are one GEMM;
only the recurrent products run per step.

Hidden states are kept in the layer's own buffers and copied to the outputs, so
layers after a recurrent layer may work on its outputs in place (as the Practice 5
custom layers do). Gradients are truncated at the minibatch boundary, as in neon.
"""
import numpy as np

from neon_compat.layers.layer import Layer, ParameterLayer


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


class _Direction(object):
    """Views and buffers of one direction of a recurrent layer.

    Every per-step buffer is (rows, T·N) in time order, like the input, so that the
    weight gradients are single GEMMs.

    Arguments:
        layer: the owning layer (backend, shapes, cell type).
        W, dW: the layer's weight block for this direction, (nin + nout + 1, g·nout).
        reverse (bool): walk the sequence backwards.
    """

    def __init__(self, layer, W, dW, reverse):
        be, nin, nout, g = layer.be, layer.nin_dir, layer.nout, layer.ngates * layer.nout
        T, N = layer.nsteps, be.bsz
        self.T, self.N, self.cell = T, N, layer.cell
        self.W_input = W[:nin].reshape((g, nin))
        self.W_recur = W[nin:nin + nout].reshape((g, nout))
        self.b = W[-1:].reshape((g, 1))
        self.dW_input = dW[:nin].reshape((g, nin))
        self.dW_recur = dW[nin:nin + nout].reshape((g, nout))
        self.db = dW[-1:].reshape((g, 1))
        self.pre = be.iobuf((g, T))        # gate pre-activations, then activations
        self.dpre = be.iobuf((g, T))       # gradients with respect to pre-activations
        self.h = be.iobuf((nout, T))       # h_t
        self.h_prev = be.iobuf((nout, T))  # the state each step started from
        self.h0 = be.zeros((nout, N))      # initial state (zero, or carried over)
        self.dh = be.zeros((nout, N))
        if self.cell == 'lstm':
            self.c = be.iobuf((nout, T))
            self.c_prev = be.iobuf((nout, T))
            self.c_act = be.iobuf((nout, T))
            self.c0 = be.zeros((nout, N))
            self.dc = be.zeros((nout, N))
        if self.cell == 'gru':
            self.rh = be.iobuf((nout, T))  # r·h_prev
            self.recur = be.zeros((nout, N))  # d(r·h_prev)
        self.order = list(range(T - 1, -1, -1)) if reverse else list(range(T))
        # columns of every step but the first of the walk (dW_recur is truncated there)
        self.later = slice(0, (T - 1) * N) if reverse else slice(N, T * N)

    def col(self, buf, t):
        return buf[:, t * self.N:(t + 1) * self.N]

    def reset(self):
        self.h0[:] = 0
        if self.cell == 'lstm':
            self.c0[:] = 0

    def carry(self):
        """The last state of the walk becomes the next minibatch's initial state."""
        last = self.order[-1]
        self.h0[:] = self.col(self.h, last)
        if self.cell == 'lstm':
            self.c0[:] = self.col(self.c, last)


class _RecurrentBase(ParameterLayer):
    """Shared machinery of Recurrent, LSTM, GRU, BiRNN and BiLSTM."""
    cell = 'rnn'
    ngates = 1
    ndirections = 1

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, split_inputs=False, name=None,
                 parallelism="Data"):
        super(_RecurrentBase, self).__init__(init, name, parallelism)
        if activation is None:
            raise ValueError('{} needs an activation'.format(self.classnm))
        if self.cell in ('lstm', 'gru') and gate_activation is None:
            raise ValueError('{} needs a gate_activation'.format(self.classnm))
        self.output_size = output_size
        self.nout = output_size
        self.init_inner = init_inner
        self.activation = activation
        self.gate_activation = gate_activation
        self.reset_cells = reset_cells
        self.split_inputs = split_inputs
        self.x = None
        self.dirs = None

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

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        super(_RecurrentBase, self).allocate(shared_outputs, accumulate_updates)
        rows = self.nin_dir + self.nout + 1
        self.dirs = [_Direction(self, self.W[d * rows:(d + 1) * rows],
                                self.dW[d * rows:(d + 1) * rows], reverse=(d == 1))
                     for d in range(self.ndirections)]
        for direction in self.dirs:
            direction.reset()

    def init_params(self, shape):
        """W from `init` (input blocks) and `init_inner` (recurrent blocks), one gate block
        at a time; biases 0."""
        super(_RecurrentBase, self).init_params(shape)
        rows, nin, nout = self.nin_dir + self.nout + 1, self.nin_dir, self.nout
        inner = self.init_inner if self.init_inner is not None else self.init
        for d in range(self.ndirections):
            block = self.W[d * rows:(d + 1) * rows]
            w_input = block[:nin].reshape((self.ngates * nout, nin))
            w_recur = block[nin:nin + nout].reshape((self.ngates * nout, nout))
            for gate in range(self.ngates):
                self.init.fill(w_input[gate * nout:(gate + 1) * nout])
                inner.fill(w_recur[gate * nout:(gate + 1) * nout])
            block[-1:] = 0

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

    def fprop(self, inputs, inference=False, init_state=None):
        x, fresh = self._inputs(inputs)
        nout = self.nout
        for d, direction in enumerate(self.dirs):
            if self.reset_cells or fresh:
                direction.reset()
            else:
                direction.carry()
            if init_state is not None:
                direction.h0[:] = init_state
            xd = self._split(x, d)
            self.be.compound_dot(direction.W_input, xd, direction.pre)
            direction.pre[:] = direction.pre + direction.b
            if self.cell == 'rnn':
                self._unroll_rnn(direction)
            else:
                previous = None
                for t in direction.order:
                    self._step_fprop(direction, t, previous)
                    previous = t
            self.outputs[d * nout:(d + 1) * nout] = direction.h
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        nout, N = self.nout, self.be.bsz
        error = error.reshape((self.ndirections * nout, self.nsteps * N))
        self.dW[:] = 0
        for d, direction in enumerate(self.dirs):
            direction.dh[:] = 0
            if self.cell == 'lstm':
                direction.dc[:] = 0
            err = error[d * nout:(d + 1) * nout]
            if self.cell == 'rnn':
                self._unroll_rnn_bprop(direction, err)
            else:
                for t in reversed(direction.order):
                    direction.dh[:] = direction.dh + err[:, t * N:(t + 1) * N]
                    self._step_bprop(direction, t)
            self._weight_grads(direction, self._split(self.x, d))
        if self.deltas is not None:
            deltas = self.deltas.reshape((self.nin, self.nsteps * N))
            for d, direction in enumerate(self.dirs):
                target = deltas if not self.split_inputs else self._split(deltas, d)
                first = d == 0 or self.split_inputs
                self.be.compound_dot(direction.W_input.T, direction.dpre, target,
                                     alpha=alpha, beta=beta if first else 1.0)
        return self.deltas

    def _weight_grads(self, direction, x):
        """dW_input = Σ dpre·xᵀ (one GEMM), db = Σ dpre, dW_recur over steps 1..T−1."""
        be, T = self.be, self.nsteps
        be.compound_dot(direction.dpre, x.T, direction.dW_input)
        direction.db[:] = be.sum(direction.dpre, axis=1)
        if T > 1:
            later = direction.dpre[:, direction.later]
            prev = direction.h_prev[:, direction.later]
            if self.cell == 'gru':
                g2 = 2 * self.nout
                be.compound_dot(later[:g2], prev.T, direction.dW_recur[:g2])
                be.compound_dot(later[g2:], direction.rh[:, direction.later].T,
                                direction.dW_recur[g2:])
            else:
                be.compound_dot(later, prev.T, direction.dW_recur)

    # --- cells -------------------------------------------------------------
    def _unroll_rnn(self, dr):
        """Simple-RNN forward: per step one GEMM and one activation, in place in dr.pre
        (which then holds h); the step-start states are gathered in one copy after."""
        be, N, T = self.be, dr.N, dr.T
        previous = dr.h0
        for t in dr.order:
            pre = dr.col(dr.pre, t)
            be.compound_dot(dr.W_recur, previous, pre, beta=1.0)
            pre[:] = self.activation(pre)
            previous = pre
        dr.h[:] = dr.pre
        if dr.order[0] == 0:  # forward: step t started from h_{t-1}
            dr.h_prev[:, :N] = dr.h0
            if T > 1:
                dr.h_prev[:, N:] = dr.h[:, :(T - 1) * N]
        else:  # backward: step t started from h_{t+1}
            dr.h_prev[:, (T - 1) * N:] = dr.h0
            if T > 1:
                dr.h_prev[:, :(T - 1) * N] = dr.h[:, N:]

    def _unroll_rnn_bprop(self, dr, err):
        """Simple-RNN backward: the activation derivative for all steps in one op, then
        per step dpre_t = f'_t·(dh + err_t) and dh = W_recurᵀ·dpre_t."""
        be, N = self.be, dr.N
        dr.dpre[:] = self.activation.bprop(dr.pre)
        for t in reversed(dr.order):
            dpre = dr.col(dr.dpre, t)
            dpre[:] = dpre * (dr.dh + err[:, t * N:(t + 1) * N])
            be.compound_dot(dr.W_recur.T, dpre, dr.dh)

    def _step_fprop(self, dr, t, previous):
        """LSTM/GRU step t (after step `previous` of the walk, None first); dr.pre's column
        block t holds W_input·x_t + b on entry and the gate activations on exit."""
        be, nout = self.be, self.nout
        pre = dr.col(dr.pre, t)
        h_prev = dr.col(dr.h_prev, t)
        h_prev[:] = dr.h0 if previous is None else dr.col(dr.h, previous)
        h = dr.col(dr.h, t)
        if self.cell == 'lstm':
            be.compound_dot(dr.W_recur, h_prev, pre, beta=1.0)
            ifo, g = pre[:3 * nout], pre[3 * nout:]
            ifo[:] = self.gate_activation(ifo)
            g[:] = self.activation(g)
            i, f, o = pre[:nout], pre[nout:2 * nout], pre[2 * nout:3 * nout]
            c_prev = dr.col(dr.c_prev, t)
            c_prev[:] = dr.c0 if previous is None else dr.col(dr.c, previous)
            c = dr.col(dr.c, t)
            c[:] = f * c_prev + i * g
            c_act = dr.col(dr.c_act, t)
            c_act[:] = self.activation(c)
            h[:] = o * c_act
        else:  # gru: r, z, candidate
            rz, cand = pre[:2 * nout], pre[2 * nout:]
            be.compound_dot(dr.W_recur[:2 * nout], h_prev, rz, beta=1.0)
            rz[:] = self.gate_activation(rz)
            r, z = pre[:nout], pre[nout:2 * nout]
            rh = dr.col(dr.rh, t)
            rh[:] = r * h_prev
            be.compound_dot(dr.W_recur[2 * nout:], rh, cand, beta=1.0)
            cand[:] = self.activation(cand)
            h[:] = (1.0 - z) * h_prev + z * cand

    def _step_bprop(self, dr, t):
        """LSTM/GRU step t: dr.dh holds dL/dh_t; leaves dL/d(h of the previous walk step)
        in dr.dh."""
        be, nout = self.be, self.nout
        pre, dpre = dr.col(dr.pre, t), dr.col(dr.dpre, t)
        h_prev = dr.col(dr.h_prev, t)
        if self.cell == 'lstm':
            i, f, o, g = (pre[k * nout:(k + 1) * nout] for k in range(4))
            di, df, do, dg = (dpre[k * nout:(k + 1) * nout] for k in range(4))
            c_act = dr.col(dr.c_act, t)
            dr.dc[:] = dr.dc + self.activation.bprop(c_act) * (o * dr.dh)
            do[:] = self.gate_activation.bprop(o) * dr.dh * c_act
            di[:] = self.gate_activation.bprop(i) * dr.dc * g
            df[:] = self.gate_activation.bprop(f) * dr.dc * dr.col(dr.c_prev, t)
            dg[:] = self.activation.bprop(g) * dr.dc * i
            dr.dc[:] = dr.dc * f
            be.compound_dot(dr.W_recur.T, dpre, dr.dh)
        else:
            r, z, cand = pre[:nout], pre[nout:2 * nout], pre[2 * nout:]
            dr_, dz, dcand = dpre[:nout], dpre[nout:2 * nout], dpre[2 * nout:]
            dz[:] = self.gate_activation.bprop(z) * dr.dh * (cand - h_prev)
            dcand[:] = self.activation.bprop(cand) * dr.dh * z
            be.compound_dot(dr.W_recur[2 * nout:].T, dcand, dr.recur)  # d(r·h_prev)
            dr_[:] = self.gate_activation.bprop(r) * dr.recur * h_prev
            dr.dh[:] = dr.dh * (1.0 - z) + dr.recur * r
            be.compound_dot(dr.W_recur[:2 * nout].T, dpre[:2 * nout], dr.dh, beta=1.0)


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

    Shapes: input (nin, T) -> output (output_size, T); W (nin + nout + 1, nout).
    """

    def __init__(self, output_size, init, init_inner=None, activation=None, reset_cells=False,
                 name=None):
        super(Recurrent, self).__init__(output_size, init, init_inner=init_inner,
                                        activation=activation, reset_cells=reset_cells,
                                        name=name)


class LSTM(_RecurrentBase):
    """Long short-term memory, gates in neon's order i, f, o, g.

    [i, f, o] = gate_activation(·), g = activation(·), c = f·c_prev + i·g,
    h = o·activation(c).

    Arguments: as Recurrent, plus gate_activation (Transform, required).
    Shapes: input (nin, T) -> output (output_size, T); W (nin + nout + 1, 4·nout).
    """
    cell = 'lstm'
    ngates = 4

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, name=None):
        super(LSTM, self).__init__(output_size, init, init_inner=init_inner,
                                   activation=activation, gate_activation=gate_activation,
                                   reset_cells=reset_cells, name=name)


class GRU(_RecurrentBase):
    """Gated recurrent unit, blocks r, z, candidate.

    r, z = gate_activation(W·x + U·h_prev + b); c = activation(W_c·x + U_c·(r·h_prev) + b_c);
    h = (1 − z)·h_prev + z·c.

    Arguments: as LSTM.
    Shapes: input (nin, T) -> output (output_size, T); W (nin + nout + 1, 3·nout).
    """
    cell = 'gru'
    ngates = 3

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, name=None):
        super(GRU, self).__init__(output_size, init, init_inner=init_inner,
                                  activation=activation, gate_activation=gate_activation,
                                  reset_cells=reset_cells, name=name)


class BiRNN(_RecurrentBase):
    """Bidirectional simple recurrent layer.

    Output rows [:nout] run forward in time, rows [nout:] backward. With split_inputs,
    the first half of the input rows feeds the forward direction, the rest the
    backward one.

    Arguments: as Recurrent, plus split_inputs (bool) and parallelism.
    Shapes: input (nin, T) -> output (2·output_size, T);
    W (2·(nin' + nout + 1), nout), blocks [forward; backward], nin' the inputs per direction.
    """
    ndirections = 2

    def __init__(self, output_size, init, init_inner=None, activation=None, reset_cells=False,
                 split_inputs=False, name=None, parallelism="Data"):
        super(BiRNN, self).__init__(output_size, init, init_inner=init_inner,
                                    activation=activation, reset_cells=reset_cells,
                                    split_inputs=split_inputs, name=name,
                                    parallelism=parallelism)


class BiLSTM(_RecurrentBase):
    """Bidirectional LSTM (see LSTM and BiRNN).

    Arguments: as LSTM, plus split_inputs (bool).
    Shapes: input (nin, T) -> output (2·output_size, T).
    """
    cell = 'lstm'
    ngates = 4
    ndirections = 2

    def __init__(self, output_size, init, init_inner=None, activation=None,
                 gate_activation=None, reset_cells=False, split_inputs=False, name=None):
        super(BiLSTM, self).__init__(output_size, init, init_inner=init_inner,
                                     activation=activation, gate_activation=gate_activation,
                                     reset_cells=reset_cells, split_inputs=split_inputs,
                                     name=name)


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

    def fprop(self, inputs, inference=False):
        self.outputs[:] = 0
        for x in self._steps(inputs):
            self.outputs[:] = self.outputs + x
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:
            for d in self._steps(self.deltas):
                d[:] = alpha * error + beta * d
        return self.deltas


class RecurrentMean(_SequenceSummary):
    """Mean over time steps.

    Arguments:
        name (str, optional): default 'RecurrentMean'.
    """

    def fprop(self, inputs, inference=False):
        self.outputs[:] = 0
        for x in self._steps(inputs):
            self.outputs[:] = self.outputs + x
        self.outputs[:] = self.outputs * (1.0 / self.nsteps)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:
            for d in self._steps(self.deltas):
                d[:] = (alpha / self.nsteps) * error + beta * d
        return self.deltas


class RecurrentLast(_SequenceSummary):
    """The last time step.

    Arguments:
        name (str, optional): default 'RecurrentLast'.
    """

    def fprop(self, inputs, inference=False):
        self.outputs[:] = self._steps(inputs)[-1]
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas is not None:
            steps = self._steps(self.deltas)
            for d in steps[:-1]:
                d[:] = beta * d
            steps[-1][:] = alpha * error + beta * steps[-1]
        return self.deltas


def _deep(cls, depth, kwargs):
    if depth < 1:
        raise ValueError('depth must be at least 1')
    return [cls(split_inputs=(d > 0), **kwargs) for d in range(depth)]


def DeepBiRNN(nout, init, init_inner=None, activation=None, reset_cells=False, depth=1,
              batch_norm=False, bi_sum=False):
    """`depth` stacked BiRNN layers (layers after the first split their inputs)."""
    if batch_norm or bi_sum:
        raise NotImplementedError('DeepBiRNN with batch_norm or bi_sum is not supported')
    return _deep(BiRNN, depth, dict(output_size=nout, init=init, init_inner=init_inner,
                                    activation=activation, reset_cells=reset_cells))


def DeepBiLSTM(nout, init, init_inner=None, activation=None, gate_activation=None,
               reset_cells=False, depth=1):
    """`depth` stacked BiLSTM layers (layers after the first split their inputs)."""
    return _deep(BiLSTM, depth, dict(output_size=nout, init=init, init_inner=init_inner,
                                     activation=activation, gate_activation=gate_activation,
                                     reset_cells=reset_cells))
