"""Finite-difference gradient checking for layers, costs and containers.

`gradcheck(layers, in_shape)` builds the layers into a Sequential fed by a
small input layer (so the first real layer computes its input deltas), runs
fprop/bprop once to get the analytic gradients, then compares them with
central differences of a scalar objective:

* without a cost: L = Σ proj ⊙ y, for a fixed random projection `proj` of the
  network output y (so every output element contributes with its own weight);
* with a cost (a GeneralizedCost): L = Σ over columns of the per-column cost
  (get_cost × columns, so GeneralizedCostMask's weights are included).

Gradients are checked with respect to the input and to every parameter
tensor returned by `get_params()` of the parameter layers. Use a float64
backend: `gen_backend('cpu', datatype=np.float64, batch_size=N)`.
"""
import numpy as np

from neon_compat import NervanaObject
from neon_compat.layers.container import Sequential, LayerContainer, flatten
from neon_compat.layers.layer import Layer


class GradientCheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


class _InputLayer(Layer):
    """Holds the input in its own buffer so that the next layer computes input deltas."""

    def __init__(self):
        super(_InputLayer, self).__init__(name='gradcheck_input')

    def configure(self, in_obj):
        super(_InputLayer, self).configure(in_obj)
        self.out_shape = self.in_shape
        return self

    def fprop(self, inputs, inference=False):
        self.outputs[:] = inputs
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        # the gradient with respect to the input, as the next layer handed it back
        self.received = None if error is None else error.get()
        return error


class GradCheckReport(object):
    """Per-tensor results: name -> (max abs error, max relative error, checked count)."""

    def __init__(self):
        self.entries = {}
        self.failures = []

    @property
    def ok(self):
        return not self.failures

    def __str__(self):
        lines = ['{:<28} max|err| {:.3e}  max rel {:.3e}  ({} checked)'.format(
            name, a, r, n) for name, (a, r, n) in self.entries.items()]
        lines += ['FAILED: ' + f for f in self.failures]
        return '\n'.join(lines)


def _param_tensors(layers):
    """(label, W, dW) for every parameter tensor of the parameter layers."""
    found = []
    for layer in flatten(layers):
        if isinstance(layer, LayerContainer):
            found += _param_tensors(layer.layers)
            continue
        if not layer.has_params:
            continue
        params = layer.get_params()
        params = params if isinstance(params, list) else [params]
        for i, ((W, dW), _) in enumerate(params):
            label = layer.name if len(params) == 1 else '{}[{}]'.format(layer.name, i)
            found.append((label, W, dW))
    return found


def gradcheck(layers, in_shape, inputs=None, cost=None, targets=None, eps=1e-6, rtol=1e-5,
              atol=1e-7, max_checks=200, seed=0, check_inputs=True, check_params=True,
              inference=False,
              raise_on_fail=True):
    """Compare analytic and central-difference gradients.

    Arguments:
        layers (Layer or list): the layers (or a container) to check.
        in_shape (int, tuple or list): the input shape, batch excluded; a list of shapes
            for layers taking several inputs (then check_inputs=False).
        inputs (ndarray, optional): input buffer (features, columns); random N(0,1) if None.
        cost (GeneralizedCost, optional): check L = Σ per-column cost instead of a projection.
        targets (ndarray or tuple, optional): targets for the cost, shaped like the output
            buffer; a tuple (targets, mask) for GeneralizedCostMask.
        eps (float): finite-difference step.
        rtol, atol (float): tolerance |analytic − numeric| <= atol + rtol·|numeric|.
        max_checks (int): at most this many elements per tensor (a random sample).
        seed (int): seed for inputs, projection and element sampling.
        check_inputs (bool): check the gradient with respect to the input.
        check_params (bool): check the parameter gradients.
        inference (bool): run fprop in inference mode.
        raise_on_fail (bool): raise GradientCheckError on failure (else report only).

    Returns:
        GradCheckReport
    """
    be = NervanaObject.be
    if be is None or be.default_dtype != np.float64:
        raise ValueError('gradcheck needs a float64 backend: gen_backend(datatype=np.float64, '
                         'batch_size=N)')
    rng = np.random.RandomState(seed)
    layer_list = layers if isinstance(layers, list) else [layers]
    multi_input = isinstance(in_shape, list)
    if multi_input and check_inputs:
        raise ValueError('with several inputs (MergeMultistream) use check_inputs=False')
    net = Sequential(layer_list if multi_input else [_InputLayer()] + layer_list)
    net.configure(in_shape)
    net.allocate()
    net.allocate_deltas()
    if cost is not None:
        cost.initialize(net)

    if multi_input:
        x = [be.array(rng.normal(size=(int(np.prod(s)), be.bsz))) for s in in_shape]
    else:
        in_buf_shape = net.layers[0].outputs.shape
        x = be.array(rng.normal(size=in_buf_shape) if inputs is None
                     else np.array(inputs, np.float64))
    if isinstance(targets, tuple):  # (targets, mask) for GeneralizedCostMask
        t = tuple(be.array(a) for a in targets)
    else:
        t = be.array(targets) if targets is not None else None
    rng_state = be.rng_get_state()

    def forward():
        be.rng_set_state(rng_state)  # the same dropout masks at every evaluation
        return net.fprop(x, inference=inference)

    def as_list(y):
        return y if isinstance(y, list) else [y]

    y = forward()
    proj = [be.array(rng.normal(size=o.shape)) for o in as_list(y)] if cost is None else None

    def objective():
        out = forward()
        if cost is None:
            return float(sum(np.sum(o.get() * p.get()) for o, p in zip(as_list(out), proj)))
        # get_cost is the (weighted) mean over columns; the deltas are per column
        return float(np.asarray(cost.get_cost(out, t)).reshape(-1)[0]) * as_list(out)[0].shape[1]

    # analytic gradients at the unperturbed point (y is its forward pass)
    if cost is None:
        # copies: some layers work on the error in place
        error = [be.array(p.get()) for p in proj]
        error = error if isinstance(y, list) else error[0]
    else:
        cost.get_cost(y, t)
        error = cost.get_errors(y, t)
    net.bprop(error)
    checks = []
    if check_inputs:
        received = net.layers[0].received
        if received is None:
            raise ValueError('{} returned no input gradient: check_inputs=False skips '
                             'it'.format(net.layers[1]))
        checks.append(('input', x, received))
    if check_params:
        checks += [(label, W, dW.get()) for label, W, dW in _param_tensors(layer_list)]

    report = GradCheckReport()
    for label, tensor, analytic in checks:
        base = tensor.get()
        flat_idx = np.arange(base.size)
        if base.size > max_checks:
            flat_idx = rng.choice(base.size, max_checks, replace=False)
        numeric = np.empty(len(flat_idx))
        for k, i in enumerate(flat_idx):
            pert = base.copy().reshape(-1)
            pert[i] = base.reshape(-1)[i] + eps
            tensor.set(pert.reshape(base.shape))
            f_plus = objective()
            pert[i] = base.reshape(-1)[i] - eps
            tensor.set(pert.reshape(base.shape))
            f_minus = objective()
            numeric[k] = (f_plus - f_minus) / (2 * eps)
        tensor.set(base)
        got = analytic.reshape(-1)[flat_idx]
        err = np.abs(got - numeric)
        rel = err / np.maximum(np.abs(numeric), 1e-12)
        report.entries[label] = (float(err.max()), float(rel.max()), len(flat_idx))
        bad = err > atol + rtol * np.abs(numeric)
        if bad.any():
            k = int(np.argmax(err - rtol * np.abs(numeric)))
            report.failures.append(
                '{}: {} of {} elements differ; worst at flat index {}: analytic {:.6e}, '
                'numeric {:.6e}'.format(label, int(bad.sum()), len(flat_idx), int(flat_idx[k]),
                                        got[k], numeric[k]))
    if raise_on_fail and not report.ok:
        raise GradientCheckError('gradient check failed\n' + str(report))
    return report
