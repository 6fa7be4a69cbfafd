"""Whole-sequence kernels of the recurrent cells, written once over the array module.

A mixin of Backend. The recurrent cells (layers/recurrent_cells.py) call these when
their activations are among FUSED_ACTIVATIONS; each kernel walks the time steps
itself on the raw arrays: one GEMM per step for all gates, the nonlinearities and
gate products in place, into buffers allocated once (no op-tree and no allocation
inside the time loop). The cells' buffers are (rows, T·N), steps in column blocks
of N; a kernel copies what it reads into step-major scratch (T, rows, N) first, so
that every per-step operation runs on contiguous memory, and copies its results back
into the cells' buffers at the end (a few whole-sequence copies per call). `order`
is the walk (reversed for a backward direction).
"""

# activations the kernels apply in place, and differentiate from their outputs
FUSED_ACTIVATIONS = ('tanh', 'logistic', 'relu', 'identity')


def _activate(xp, name, x, out=None):
    """out = f(x) (in place when out is None)."""
    out = x if out is None else out
    if name == 'tanh':
        xp.tanh(x, out=out)
    elif name == 'logistic':
        xp.negative(x, out=out)
        xp.exp(out, out=out)
        out += 1
        xp.reciprocal(out, out=out)
    elif name == 'relu':
        xp.maximum(x, 0, out=out)
    elif name == 'identity':
        if out is not x:
            out[...] = x
    else:
        raise ValueError('no fused kernel for activation {!r}'.format(name))


def _derivative(xp, name, y, out):
    """out = f'(x), computed from y = f(x)."""
    if name == 'tanh':
        xp.multiply(y, y, out=out)
        xp.subtract(1, out, out=out)
    elif name == 'logistic':
        xp.subtract(1, y, out=out)
        out *= y
    elif name == 'relu':
        xp.greater(y, 0, out=out)
    elif name == 'identity':
        out.fill(1)
    else:
        raise ValueError('no fused kernel for activation {!r}'.format(name))


class RecurrentKernels(object):
    """Recurrent-cell kernels of the Backend. Arguments are Tensors; `owner` is any
    object with a `cache` dict, where the kernels keep their scratch buffers
    (LayerKernels._scratch)."""

    narrow_projection = 64  # widest input K whose projection runs as a batched GEMM

    def _as_steps(self, ary, T):
        """The (rows, T, N) view of a (rows, T·N) array (any strides)."""
        s0, s1 = ary.strides
        N = ary.shape[1] // T
        return self.xp.lib.stride_tricks.as_strided(ary, shape=(ary.shape[0], T, N),
                                                    strides=(s0, N * s1, s1))

    def _to_steps(self, owner, tensor, T, key):
        """A step-major (T, rows, N) scratch copy of a cell buffer."""
        ary = tensor._tensor
        rows, N = ary.shape[0], ary.shape[1] // T
        steps = self._scratch(owner, (T, rows, N), ary.dtype, key)
        steps[...] = self._as_steps(ary, T).transpose(1, 0, 2)
        return steps

    def _pre_steps(self, owner, pre, projection, T, key):
        """The step-major pre-activations a forward kernel starts from: a copy of the
        cell's `pre`, or, when the layer handed over its `projection` (W_input, x, b)
        instead of filling `pre`, W_input·x_t + b computed straight into the scratch
        (no op-tree pass for the bias, no copy of a finished result).

        Two ways to the same numbers, picked by the input width K: for a narrow input
        (K <= 64, e.g. image rows) the copy of x to step-major is cheap and the batched
        GEMM writes the steps directly; for a wide one (a stacked layer, the SpatialRNN
        block's K = 512-1024 with a few columns per step) the per-step GEMMs are too
        thin, so one GEMM fills the cell's (rows, T·N) `pre` and one pass adds the bias
        while reordering it to step-major."""
        if projection is None:
            return self._to_steps(owner, pre, T, key)
        W, x, b = (tensor._tensor for tensor in projection)
        (R, K), dtype, N = W.shape, pre._tensor.dtype, x.shape[1] // T
        steps = self._scratch(owner, (T, R, N), dtype, key)
        if K <= self.narrow_projection:
            xs = self._scratch(owner, (T, K, N), dtype, 'steps_x')
            xs[...] = self._as_steps(x, T).transpose(1, 0, 2)
            self.xp.matmul(W, xs, out=steps)
            steps += b
        else:
            flat = pre._tensor  # the layer left it unfilled; results land in it later
            self.xp.matmul(W, x, out=flat)
            self.xp.add(self._as_steps(flat, T).transpose(1, 0, 2), b, out=steps)
        return steps

    def _fprop_steps(self, owner, tensor, T, key):
        """The step-major copy of a buffer that this owner's last fprop left in scratch
        (its cell buffers change only in fprop), else a fresh copy."""
        if owner.cache.get('fprop_steps') == key[:key.index('_')]:
            ary = tensor._tensor
            return self._scratch(owner, (T, ary.shape[0], ary.shape[1] // T), ary.dtype,
                                      key)
        return self._to_steps(owner, tensor, T, key)

    def _from_steps(self, steps, tensor):
        self._as_steps(tensor._tensor, steps.shape[0])[...] = steps.transpose(1, 0, 2)

    def flush_steps(self, owner):
        """Make the copies a kernel deferred: step buffers that the training step does
        not read again (it uses the kernel's scratch), written to the cell's buffers only
        when neon's attribute views ask for them."""
        for copy in owner.cache.pop('deferred_copies', ()):
            copy()

    def _previous_states(self, steps, first, tensor, order):
        """tensor's step t = the state step t started from: `first` for the first step of
        the walk, else the previous step's state."""
        T = steps.shape[0]
        dst = self._as_steps(tensor._tensor, T)
        if order[0] == 0:
            dst[:, 0] = first
            dst[:, 1:] = steps[:-1].transpose(1, 0, 2)
        else:
            dst[:, T - 1] = first
            dst[:, :T - 1] = steps[1:].transpose(1, 0, 2)

    # --- simple recurrent cell: h_t = f(W_recur·h_{t-1} + pre_t) ------------------
    def rnn_fprop(self, owner, W_recur, pre, h0, order, activation, projection=None):
        """pre holds W_input·x_t + b per step on entry (or `projection` gives them, see
        _pre_steps) and h_t on exit."""
        xp, Wr, T = self.xp, W_recur._tensor, len(order)
        P = self._pre_steps(owner, pre, projection, T, 'rnn_pre')
        prev = h0._tensor
        tmp = self._scratch(owner, prev.shape, P.dtype, 'rnn_recur')
        for t in order:
            xp.matmul(Wr, prev, out=tmp)
            P[t] += tmp
            _activate(xp, activation, P[t])
            prev = P[t]
        self._from_steps(P, pre)
        owner.cache['fprop_steps'] = 'rnn'

    def rnn_bprop(self, owner, W_recur, pre, dpre, err, dh, order, activation):
        """dpre_t = f'_t·(dh + err_t), dh = W_recurᵀ·dpre_t, walking `order` back; pre
        holds h_t (the fprop result)."""
        xp, WrT, DH, T = self.xp, W_recur._tensor.T, dh._tensor, len(order)
        P = self._fprop_steps(owner, pre, T, 'rnn_pre')
        E = self._to_steps(owner, err, T, 'rnn_err')
        DP = self._scratch(owner, P.shape, P.dtype, 'rnn_dpre')
        _derivative(xp, activation, P, DP)
        DH.fill(0)
        tmp = self._scratch(owner, DH.shape, DP.dtype, 'rnn_delta')
        for t in reversed(order):
            xp.add(DH, E[t], out=tmp)
            DP[t] *= tmp
            xp.matmul(WrT, DP[t], out=DH)
        self._from_steps(DP, dpre)

    # --- LSTM, gates i, f, o, g ----------------------------------------------------
    def lstm_fprop(self, owner, W_recur, pre, h, h_prev, c, c_prev, c_act, h0, c0, order,
                   activation, gate_activation, projection=None):
        """[i, f, o] = gate(·), g = act(·), c = f·c_prev + i·g, h = o·act(c); pre holds
        the input projections on entry (or `projection` gives them) and the gate
        activations on exit."""
        xp, Wr, T = self.xp, W_recur._tensor, len(order)
        prev_h, prev_c = h0._tensor, c0._tensor
        n, N = prev_h.shape
        owner.cache.pop('deferred_copies', None)  # pre holds new projections now
        P = self._pre_steps(owner, pre, projection, T, 'lstm_pre')
        H, C, CA = (self._scratch(owner, (T, n, N), P.dtype, key)
                    for key in ('lstm_h', 'lstm_c', 'lstm_cact'))
        gates = self._scratch(owner, (4 * n, N), P.dtype, 'lstm_gates')
        prod = self._scratch(owner, (n, N), P.dtype, 'lstm_prod')
        for t in order:
            p = P[t]
            xp.matmul(Wr, prev_h, out=gates)
            p += gates
            _activate(xp, gate_activation, p[:3 * n])
            _activate(xp, activation, p[3 * n:])
            i, f, o, g = p[:n], p[n:2 * n], p[2 * n:3 * n], p[3 * n:]
            xp.multiply(f, prev_c, out=C[t])
            xp.multiply(i, g, out=prod)
            C[t] += prod
            _activate(xp, activation, C[t], out=CA[t])
            xp.multiply(o, CA[t], out=H[t])
            prev_h, prev_c = H[t], C[t]
        self._from_steps(H, h)
        self._previous_states(H, h0._tensor, h_prev, order)
        last = order[-1]  # the state a carried-over next minibatch starts from
        c._tensor[:, last * N:(last + 1) * N] = C[last]
        # bprop reads P, C and CA from the scratch; the cell's buffers get them on demand
        first_c = c0._tensor.copy()
        owner.cache['deferred_copies'] = [
            lambda: self._from_steps(P, pre), lambda: self._from_steps(C, c),
            lambda: self._from_steps(CA, c_act),
            lambda: self._previous_states(C, first_c, c_prev, order)]
        owner.cache['fprop_steps'] = 'lstm'

    def lstm_bprop(self, owner, W_recur, pre, dpre, err, dh, dc, c, c0, c_act, order,
                   activation, gate_activation):
        """Back through the steps: dh, dc carry dL/dh and dL/dc of the state each step
        started from; dpre receives dL/d(pre-activation) of every gate."""
        xp, WrT, T = self.xp, W_recur._tensor.T, len(order)
        DH, DC = dh._tensor, dc._tensor
        n, N = DH.shape
        P = self._fprop_steps(owner, pre, T, 'lstm_pre')
        CA = self._fprop_steps(owner, c_act, T, 'lstm_cact')
        C = self._fprop_steps(owner, c, T, 'lstm_c')
        E = self._to_steps(owner, err, T, 'lstm_err')
        first = c0._tensor
        DP = self._scratch(owner, P.shape, P.dtype, 'lstm_dpre')
        DCA = self._scratch(owner, CA.shape, P.dtype, 'lstm_dcact')
        # the activation derivatives of every step at once; the walk only multiplies
        _derivative(xp, gate_activation, P[:, :3 * n], DP[:, :3 * n])
        _derivative(xp, activation, P[:, 3 * n:], DP[:, 3 * n:])
        _derivative(xp, activation, CA, DCA)
        DH.fill(0)
        DC.fill(0)
        started = [first] + [C[t] for t in order[:-1]]  # the c each step started from
        for k in range(len(order) - 1, -1, -1):
            t, cp = order[k], started[k]
            DH += E[t]
            p, d, tmp = P[t], DP[t], DCA[t]
            i, f, o, g = p[:n], p[n:2 * n], p[2 * n:3 * n], p[3 * n:]
            di, df, do, dg = d[:n], d[n:2 * n], d[2 * n:3 * n], d[3 * n:]
            tmp *= o
            tmp *= DH
            DC += tmp
            do *= DH
            do *= CA[t]
            di *= DC
            di *= g
            df *= DC
            df *= cp
            dg *= DC
            dg *= i
            DC *= f
            xp.matmul(WrT, d, out=DH)
        self._from_steps(DP, dpre)

    # --- GRU, blocks r, z, candidate --------------------------------------------------
    def gru_fprop(self, owner, W_recur, pre, h, h_prev, rh, h0, order, activation,
                  gate_activation, projection=None):
        """r, z = gate(·); cand = act(W_c·x + U_c·(r·h_prev) + b_c); h = (1−z)·h_prev +
        z·cand; pre holds the input projections on entry (or `projection` gives them)
        and r, z, cand on exit."""
        xp, Wr, T = self.xp, W_recur._tensor, len(order)
        prev = h0._tensor
        n, N = prev.shape
        W_rz, W_c = Wr[:2 * n], Wr[2 * n:]
        P = self._pre_steps(owner, pre, projection, T, 'gru_pre')
        H, RH = (self._scratch(owner, (T, n, N), P.dtype, key) for key in ('gru_h', 'gru_rh'))
        rz_tmp = self._scratch(owner, (2 * n, N), P.dtype, 'gru_rz')
        c_tmp = self._scratch(owner, (n, N), P.dtype, 'gru_cand')
        for t in order:
            p = P[t]
            xp.matmul(W_rz, prev, out=rz_tmp)
            p[:2 * n] += rz_tmp
            _activate(xp, gate_activation, p[:2 * n])
            r, z, cand = p[:n], p[n:2 * n], p[2 * n:]
            xp.multiply(r, prev, out=RH[t])
            xp.matmul(W_c, RH[t], out=c_tmp)
            cand += c_tmp
            _activate(xp, activation, cand)
            ht = H[t]
            xp.subtract(cand, prev, out=ht)  # (1 − z)·h_prev + z·cand
            ht *= z
            ht += prev
            prev = ht
        for steps, tensor in ((P, pre), (H, h), (RH, rh)):
            self._from_steps(steps, tensor)
        self._previous_states(H, h0._tensor, h_prev, order)
        owner.cache['fprop_steps'] = 'gru'

    def gru_bprop(self, owner, W_recur, pre, dpre, err, dh, recur, h_prev, order, activation,
                  gate_activation):
        """Back through the steps; `recur` is scratch for d(r·h_prev)."""
        xp, Wr, T = self.xp, W_recur._tensor, len(order)
        DH, REC = dh._tensor, recur._tensor
        n, N = DH.shape
        W_rzT, W_cT = Wr[:2 * n].T, Wr[2 * n:].T
        P = self._fprop_steps(owner, pre, T, 'gru_pre')
        HP = self._to_steps(owner, h_prev, T, 'gru_hprev')
        E = self._to_steps(owner, err, T, 'gru_err')
        DP = self._scratch(owner, P.shape, P.dtype, 'gru_dpre')
        _derivative(xp, gate_activation, P[:, :2 * n], DP[:, :2 * n])
        _derivative(xp, activation, P[:, 2 * n:], DP[:, 2 * n:])
        tmp = self._scratch(owner, (n, N), DP.dtype, 'gru_delta')
        DH.fill(0)
        for t in reversed(order):
            DH += E[t]
            p, d, hp = P[t], DP[t], HP[t]
            r, z, cand = p[:n], p[n:2 * n], p[2 * n:]
            dr, dz, dcand = d[:n], d[n:2 * n], d[2 * n:]
            dz *= DH
            xp.subtract(cand, hp, out=tmp)
            dz *= tmp
            dcand *= DH
            dcand *= z
            xp.matmul(W_cT, dcand, out=REC)
            dr *= REC
            dr *= hp
            xp.multiply(DH, z, out=tmp)  # dh·(1 − z) + d(r·h_prev)·r + W_rzᵀ·d[r, z]
            DH -= tmp
            xp.multiply(REC, r, out=tmp)
            DH += tmp
            xp.matmul(W_rzT, d[:2 * n], out=tmp)
            DH += tmp
        self._from_steps(DP, dpre)
