"""The step maths of the recurrent layers, one object per cell: SimpleCell (Recurrent,
BiRNN), LSTMCell (LSTM, BiLSTM) and GRUCell (GRU), and the per-direction buffers
they work on (Direction).

A layer projects the inputs of all steps in one GEMM into `Direction.pre` (or, for
a fused kernel, hands it `Direction.projection` to compute them itself); the cell
then walks the sequence (`fprop`), walks it back (`bprop`, leaving dL/d pre-activation
in `dpre`), and computes the recurrent weight gradient (`recur_grads`). Cells reach
the device only through the backend `be` they are handed.

When the cell's activations are plain Tanh, Logistic, Rectlin or Identity, the walks
run as the backend's whole-sequence kernels (`be.rnn_fprop`, `be.lstm_bprop` ...:
in place, no op-trees, no allocation per step); any other transform takes the
op-tree path below, step by step.
"""
from neon_compat.transforms.activation import Identity, Logistic, Rectlin, Tanh


def fused_name(transform):
    """The backend kernels' name of an activation they apply in place, or None."""
    kind = type(transform)
    if kind is Tanh:
        return 'tanh'
    if kind is Logistic and not transform.shortcut:
        return 'logistic'
    if kind is Rectlin and transform.slope == 0:
        return 'relu'
    if kind is Identity:
        return 'identity'
    return None


class Direction(object):
    """Views and buffers of one direction of a recurrent layer.

    Every per-step buffer is (rows, T·N) in time order, like the input, so that the
    weight gradients are single GEMMs.

    Arguments:
        layer: the owning layer (backend, shapes, cell).
        W, dW: the layer's weights and their gradient, (rows, g·nout).
        rows (tuple of slices): this direction's input, recurrent and bias rows of W.
        reverse (bool): walk the sequence backwards.
    """

    def __init__(self, layer, W, dW, rows, reverse):
        be, nin, nout, g = layer.be, layer.nin_dir, layer.nout, layer.ngates * layer.nout
        T, N = layer.nsteps, be.bsz
        self.T, self.N, self.nout, self.cell = T, N, nout, layer.cell
        self.cache = {}  # the backend kernels' scratch buffers
        input_rows, recur_rows, bias_row = rows
        self.W_input = W[input_rows].reshape((g, nin))
        self.W_recur = W[recur_rows].reshape((g, nout))
        self.b = W[bias_row].reshape((g, 1))
        self.dW_input = dW[input_rows].reshape((g, nin))
        self.dW_recur = dW[recur_rows].reshape((g, nout))
        self.db = dW[bias_row].reshape((g, 1))
        self.pre = be.iobuf((g, T))        # gate pre-activations, then activations
        self.dpre = be.iobuf((g, T))       # gradients with respect to pre-activations
        self.h = be.iobuf((nout, T))       # h_t
        self.h_prev = be.iobuf((nout, T))  # the state each step started from
        self.h0 = be.zeros((nout, N))      # initial state (zero, or carried over)
        self.dh = be.zeros((nout, N))
        # (W_input, x, b) when the layer leaves the input projection to the cell's fused
        # kernel instead of filling pre (see _RecurrentBase.fprop), else None
        self.projection = None
        self.cell.allocate(be, self)
        self.order = list(range(T - 1, -1, -1)) if reverse else list(range(T))
        # the steps whose recurrent products enter dW_recur: every step but the first of
        # the walk (truncated at the minibatch boundary), or all of them when the layer
        # was handed an initial state (neon's rule)
        self.later = slice(0, (T - 1) * N) if reverse else slice(N, T * N)
        self.every_step = slice(0, T * N)
        self.recur_cols = self.later

    def col(self, buf, t):
        return buf[:, t * self.N:(t + 1) * self.N]

    def reset(self):
        """Start the next minibatch from a zero state."""
        self.cell.reset(self)

    def carry(self):
        """The last state of the walk becomes the next minibatch's initial state."""
        self.cell.carry(self, self.order[-1])


class SimpleCell(object):
    """h_t = f(W_recur·h_{t−1} + W_input·x_t + b).

    Arguments:
        activation (Transform): f.
        gate_activation: unused (no gates).
    """
    ngates = 1
    gated = False
    use_fused_kernels = True  # False: always the op-tree path (tests compare the two)

    def __init__(self, activation, gate_activation=None):
        self.activation = activation
        self.gate_activation = gate_activation

    def fused(self):
        """(activation, gate activation) kernel names, or None for the op-tree path."""
        names = (fused_name(self.activation),
                 fused_name(self.gate_activation) if self.gated else 'identity')
        return names if self.use_fused_kernels and None not in names else None

    def allocate(self, be, dr):
        """Buffers of this cell beyond the shared ones."""

    def reset(self, dr):
        dr.h0[:] = 0

    def carry(self, dr, last):
        dr.h0[:] = dr.col(dr.h, last)

    def fprop(self, be, dr):
        """Per step one GEMM and one activation, in place in dr.pre (which then holds h);
        the step-start states are gathered in one copy after."""
        N, T = dr.N, dr.T
        fused = self.fused()
        if fused:
            be.rnn_fprop(dr, dr.W_recur, dr.pre, dr.h0, dr.order, fused[0],
                        projection=dr.projection)
        else:
            dr.cache.pop('fprop_steps', None)  # the kernels' step copies are stale now
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

    def bprop(self, be, dr, err):
        """The activation derivative for all steps in one op, then per step
        dpre_t = f'_t·(dh + err_t) and dh = W_recurᵀ·dpre_t."""
        N = dr.N
        fused = self.fused()
        if fused:
            be.rnn_bprop(dr, dr.W_recur, dr.pre, dr.dpre, err, dr.dh, dr.order, fused[0])
            return
        dr.dh[:] = 0
        dr.dpre[:] = self.activation.bprop(dr.pre)
        for t in reversed(dr.order):
            dpre = dr.col(dr.dpre, t)
            dpre[:] = dpre * (dr.dh + err[:, t * N:(t + 1) * N])
            be.compound_dot(dr.W_recur.T, dpre, dr.dh)

    def recur_grads(self, be, dr):
        """dW_recur = Σ over the steps dr.recur_cols of dpre_t · h_prevᵀ."""
        be.compound_dot(dr.dpre[:, dr.recur_cols], dr.h_prev[:, dr.recur_cols].T, dr.dW_recur)


class _GatedCell(SimpleCell):
    """A cell whose steps run one at a time: fprop and bprop walk the sequence calling
    `step_fprop` / `step_bprop`."""
    gated = True

    def fprop(self, be, dr):
        fused = self.fused()
        if fused:
            self.fused_fprop(be, dr, *fused)
            return
        dr.cache.pop('fprop_steps', None)  # the kernels' step copies are stale now
        dr.cache.pop('deferred_copies', None)
        previous = None
        for t in dr.order:
            self.step_fprop(be, dr, t, previous)
            previous = t

    def bprop(self, be, dr, err):
        fused = self.fused()
        if fused:
            self.fused_bprop(be, dr, err, *fused)
            return
        N = dr.N
        dr.dh[:] = 0
        for t in reversed(dr.order):
            dr.dh[:] = dr.dh + err[:, t * N:(t + 1) * N]
            self.step_bprop(be, dr, t)

    def fused_fprop(self, be, dr, activation, gate_activation):
        """The whole walk as one backend kernel."""
        raise NotImplementedError

    def fused_bprop(self, be, dr, err, activation, gate_activation):
        raise NotImplementedError

    def step_fprop(self, be, dr, t, previous):
        """Step t (after step `previous` of the walk, None first); dr.pre's column block t
        holds W_input·x_t + b on entry and the gate activations on exit."""
        raise NotImplementedError

    def step_bprop(self, be, dr, t):
        """Step t: dr.dh holds dL/dh_t; leaves dL/d(h of the previous walk step) in dr.dh."""
        raise NotImplementedError


class LSTMCell(_GatedCell):
    """Gates in neon's order i, f, o, g: [i, f, o] = gate_activation(·),
    g = activation(·), c = f·c_prev + i·g, h = o·activation(c)."""
    ngates = 4

    def allocate(self, be, dr):
        nout, T, N = dr.nout, dr.T, dr.N
        dr.c = be.iobuf((nout, T))
        dr.c_prev = be.iobuf((nout, T))
        dr.c_act = be.iobuf((nout, T))
        dr.c0 = be.zeros((nout, N))
        dr.dc = be.zeros((nout, N))

    def reset(self, dr):
        super(LSTMCell, self).reset(dr)
        dr.c0[:] = 0

    def carry(self, dr, last):
        super(LSTMCell, self).carry(dr, last)
        dr.c0[:] = dr.col(dr.c, last)

    def bprop(self, be, dr, err):
        dr.dc[:] = 0
        super(LSTMCell, self).bprop(be, dr, err)

    def fused_fprop(self, be, dr, activation, gate_activation):
        be.lstm_fprop(dr, dr.W_recur, dr.pre, dr.h, dr.h_prev, dr.c, dr.c_prev, dr.c_act,
                      dr.h0, dr.c0, dr.order, activation, gate_activation,
                      projection=dr.projection)

    def fused_bprop(self, be, dr, err, activation, gate_activation):
        be.lstm_bprop(dr, dr.W_recur, dr.pre, dr.dpre, err, dr.dh, dr.dc, dr.c, dr.c0,
                      dr.c_act, dr.order, activation, gate_activation)

    def step_fprop(self, be, dr, t, previous):
        nout = dr.nout
        pre = dr.col(dr.pre, t)
        h_prev = dr.col(dr.h_prev, t)
        h_prev[:] = dr.h0 if previous is None else dr.col(dr.h, previous)
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
        dr.col(dr.h, t)[:] = o * c_act

    def step_bprop(self, be, dr, t):
        nout = dr.nout
        pre, dpre = dr.col(dr.pre, t), dr.col(dr.dpre, t)
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


class GRUCell(_GatedCell):
    """Blocks r, z, candidate: r, z = gate_activation(W·x + U·h_prev + b);
    c = activation(W_c·x + U_c·(r·h_prev) + b_c); h = (1 − z)·h_prev + z·c."""
    ngates = 3

    def allocate(self, be, dr):
        dr.rh = be.iobuf((dr.nout, dr.T))  # r·h_prev
        dr.recur = be.zeros((dr.nout, dr.N))  # d(r·h_prev)

    def fused_fprop(self, be, dr, activation, gate_activation):
        be.gru_fprop(dr, dr.W_recur, dr.pre, dr.h, dr.h_prev, dr.rh, dr.h0, dr.order,
                     activation, gate_activation, projection=dr.projection)

    def fused_bprop(self, be, dr, err, activation, gate_activation):
        be.gru_bprop(dr, dr.W_recur, dr.pre, dr.dpre, err, dr.dh, dr.recur, dr.h_prev,
                     dr.order, activation, gate_activation)

    def step_fprop(self, be, dr, t, previous):
        nout = dr.nout
        pre = dr.col(dr.pre, t)
        h_prev = dr.col(dr.h_prev, t)
        h_prev[:] = dr.h0 if previous is None else dr.col(dr.h, previous)
        rz, cand = pre[:2 * nout], pre[2 * nout:]
        be.compound_dot(dr.W_recur[:2 * nout], h_prev, rz, beta=1.0)
        rz[:] = self.gate_activation(rz)
        r, z = pre[:nout], pre[nout:2 * nout]
        rh = dr.col(dr.rh, t)
        rh[:] = r * h_prev
        be.compound_dot(dr.W_recur[2 * nout:], rh, cand, beta=1.0)
        cand[:] = self.activation(cand)
        dr.col(dr.h, t)[:] = (1.0 - z) * h_prev + z * cand

    def step_bprop(self, be, dr, t):
        nout = dr.nout
        pre, dpre = dr.col(dr.pre, t), dr.col(dr.dpre, t)
        h_prev = dr.col(dr.h_prev, t)
        r, z, cand = pre[:nout], pre[nout:2 * nout], pre[2 * nout:]
        dr_, dz, dcand = dpre[:nout], dpre[nout:2 * nout], dpre[2 * nout:]
        dz[:] = self.gate_activation.bprop(z) * dr.dh * (cand - h_prev)
        dcand[:] = self.activation.bprop(cand) * dr.dh * z
        be.compound_dot(dr.W_recur[2 * nout:].T, dcand, dr.recur)  # d(r·h_prev)
        dr_[:] = self.gate_activation.bprop(r) * dr.recur * h_prev
        dr.dh[:] = dr.dh * (1.0 - z) + dr.recur * r
        be.compound_dot(dr.W_recur[:2 * nout].T, dpre[:2 * nout], dr.dh, beta=1.0)

    def recur_grads(self, be, dr):
        """The r and z blocks see h_prev, the candidate block r·h_prev."""
        g2, cols = 2 * dr.nout, dr.recur_cols
        dpre = dr.dpre[:, cols]
        be.compound_dot(dpre[:g2], dr.h_prev[:, cols].T, dr.dW_recur[:g2])
        be.compound_dot(dpre[g2:], dr.rh[:, cols].T, dr.dW_recur[g2:])
