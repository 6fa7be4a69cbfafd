"""BatchNorm and LRN layers."""
import logging

import numpy as np

from neon_compat.backends.autodiff import Autodiff
from neon_compat.backends.tensor import Tensor
from neon_compat.layers.base import (Layer, interpret_in_shape, describe_params,
                                     load_state_groups)

logger = logging.getLogger(__name__)


class BatchNorm(Layer):
    """Batch normalization per feature (per channel for (C, H, W) inputs).

    Arguments:
        rho (float): running-average factor of gmean/gvar, default 0.9.
        eps (float): variance epsilon, default 1e-3.
        name (str, optional)
        binary (bool): accepted for compatibility (no binary arithmetic here).

    Parameters beta (0) and gamma (1), running statistics gmean and gvar (start at 0),
    all (nfm, 1). Training normalizes with the batch statistics; inference with
    gmean/gvar. Follows an Affine (features) or a Conv (channels, pooled over H·W·N).
    """

    def __init__(self, rho=0.9, eps=1e-3, name=None, binary=False):
        super(BatchNorm, self).__init__(name)
        self.allparams = None
        self.x = None
        self.has_params = True
        self.owns_delta = True
        self.rho = rho
        self.eps = eps
        self.states = [[] for _ in range(2)]
        self.relu = False
        self.beta = self.gamma = self.gmean = self.gvar = None
        self.binary = binary
        self.error_view = None

    def __str__(self):
        return "BatchNorm Layer '{}': {} inputs, {} steps, {} feature maps".format(
            self.name, self.nin, self.nsteps, self.nfm)

    @property
    def stats_dtype(self):
        return np.float64 if self.be.default_dtype == np.float64 else np.float32

    def configure(self, in_obj):
        super(BatchNorm, self).configure(in_obj)
        self.out_shape = self.in_shape
        self.nin, self.nsteps = interpret_in_shape(self.in_shape)
        self.nfm = self.in_shape[0] if isinstance(self.in_shape, tuple) else self.nin
        self.nglayer = self.be.batchnorm_layer(self.in_shape)
        return self

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        super(BatchNorm, self).allocate(shared_outputs)
        self.y = self.outputs.reshape((self.nfm, -1))
        self.xvar = self.be.zeros((self.nfm, 1), dtype=self.stats_dtype)
        self.xsum = self.be.zeros((self.nfm, 1), dtype=self.stats_dtype)
        self.accumulate_updates = accumulate_updates
        if self.allparams is None:
            self.init_params(self.nfm)
        if accumulate_updates:  # neon's names of the accumulation buffers
            self.acc_grad_beta = self.be.empty_like(self.grad_beta)
            self.acc_grad_gamma = self.be.empty_like(self.grad_gamma)
            self.acc_params = [(self.acc_grad_beta, self.grad_beta),
                               (self.acc_grad_gamma, self.grad_gamma)]

    def init_params(self, dim0):
        dtype = self.stats_dtype
        self.beta = self.be.zeros((dim0, 1), dtype=dtype)
        self.gamma = self.be.ones((dim0, 1), dtype=dtype)
        self.gmean = self.be.zeros((dim0, 1), dtype=dtype)
        self.gvar = self.be.zeros((dim0, 1), dtype=dtype)
        self._collect_params()

    def _collect_params(self):
        self.params = [self.beta, self.gamma]
        self.inf_params = [self.gmean, self.gvar]
        self.allparams = self.params + self.inf_params
        self.grad_params = [self.be.zeros_like(p) for p in self.params]
        self.grad_beta, self.grad_gamma = self.grad_params

    @property
    def plist(self):
        return [((p, g), s) for p, g, s in zip(self.params, self.grad_params, self.states)]

    def get_params(self):
        return self.plist

    def fprop(self, inputs, inference=False, beta=0.0):
        if self.inputs is None or self.inputs.base is not inputs:
            self.inputs = inputs.reshape((self.nfm, -1))
        self.be.compound_fprop_bn(self.inputs, self.xsum, self.xvar, self.gmean, self.gvar,
                                  self.gamma, self.beta, self.y, self.eps, self.rho,
                                  accumbeta=beta, relu=self.relu, inference=inference,
                                  layer=self.nglayer)
        return self.outputs

    @Layer.accumulates
    def bprop(self, error, alpha=1.0, beta=0.0):
        if alpha != 1.0 or beta != 0.0:
            raise NotImplementedError('BatchNorm.bprop supports only alpha=1, beta=0 (as neon)')
        if self.error_view is None or self.error_view.base is not error:
            self.error_view = error.reshape((self.nfm, -1))
        self.be.compound_bprop_bn(self.deltas, self.grad_gamma, self.grad_beta,
                                  self.error_view, self.inputs, self.xsum, self.xvar,
                                  self.gamma, self.eps, layer=self.nglayer)
        return self.deltas

    def get_params_serialize(self, keep_states=True):
        return self.get_description(get_weights=True, keep_states=keep_states)

    def get_description(self, get_weights=False, keep_states=True, **kwargs):
        serial_dict = super(BatchNorm, self).get_description()
        if get_weights:
            describe_params(self, serial_dict, ('beta', 'gamma', 'gmean', 'gvar'), keep_states)
        return serial_dict

    def set_params(self, pdict):
        """Set beta, gamma, gmean, gvar from a dict (or neon 1.x's list of four arrays)."""
        params = pdict.get('params')
        if params is None:
            return
        if isinstance(params, dict):
            for key, val in params.items():
                current = getattr(self, key, None)
                if isinstance(current, Tensor):
                    current.set(val)
                else:
                    setattr(self, key, self.be.array(val, dtype=self.stats_dtype))
        else:
            logger.warning('%s: reading the old BatchNorm parameter list layout', self.name)
            self.beta, self.gamma, self.gmean, self.gvar = [
                self.be.array(x, dtype=self.stats_dtype) for x in params]
        self._collect_params()

    def set_states(self, pdict):
        load_state_groups(self, pdict, 2, dtype=self.stats_dtype)


class BatchNormAutodiff(BatchNorm):
    """BatchNorm whose bprop differentiates its forward expression with Autodiff (neon's
    reference for the fused kernels; slower).

    Arguments: as BatchNorm.
    """

    def bprop(self, error, alpha=1.0, beta=0.0):
        if alpha != 1.0 or beta != 0.0:
            raise NotImplementedError('BatchNormAutodiff.bprop supports only alpha=1, beta=0')
        be, x = self.be, self.inputs
        if self.error_view is None or self.error_view.base is not error:
            self.error_view = error.reshape((self.nfm, -1))
        xhat = (x - be.mean(x, axis=1)) / be.sqrt(be.var(x, axis=1) + self.eps)
        ad = Autodiff(xhat * self.gamma + self.beta, be, next_error=self.error_view)
        targets = [self.gamma, self.beta]
        outputs = [self.grad_gamma, self.grad_beta]
        if self.deltas is not None:
            targets.append(x)
            outputs.append(self.deltas.reshape((self.nfm, -1)))
        ad.back_prop_grad(targets, outputs)
        return self.deltas


class LRN(Layer):
    """Local response normalization across `depth` neighbouring channels.

    Arguments:
        depth (int): odd number of channels in the window.
        alpha, beta (float): kept for compatibility (neon's kernels use ascale/bpower).
        ascale (float): scale of the summed squares, default 1.
        bpower (float): exponent, default 1.
        name (str, optional)

    y = x / (1 + ascale/depth · Σ_window x²)^bpower, on (C, H, W) inputs.
    """

    def __init__(self, depth, alpha=1., beta=0., ascale=1., bpower=1., name=None):
        super(LRN, self).__init__(name=name)
        self.J = depth
        self.depth = depth
        self.alpha = alpha
        self.beta = beta
        self.ascale = ascale
        self.bpower = bpower
        self.owns_delta = True
        self.nglayer = None

    def configure(self, in_obj):
        super(LRN, self).configure(in_obj)
        if self.nglayer is None:
            if not isinstance(self.in_shape, tuple) or len(self.in_shape) != 3:
                raise ValueError("LRN '{}' needs (C, H, W) inputs, got {}".format(
                    self.name, self.in_shape))
            C, H, W = self.in_shape
            self.nglayer = self.be.lrn_layer(self.be.default_dtype, N=self.be.bsz, C=C, H=H,
                                             W=W, J=self.J)
            self.out_shape = self.in_shape
        return self

    def allocate(self, shared_outputs=None):
        super(LRN, self).allocate(shared_outputs)
        self.denom = self.be.iobuf(self.in_shape)

    def fprop(self, inputs, inference=False):
        self.inputs = inputs
        self.be.fprop_lrn(self.nglayer, inputs, self.outputs, self.denom, self.alpha,
                          self.beta, self.ascale, self.bpower)
        return self.outputs

    def bprop(self, error, alpha=1.0, beta=0.0):
        if self.deltas:
            self.be.bprop_lrn(self.nglayer, self.inputs, self.outputs, error, self.deltas,
                              self.denom, self.alpha, self.beta, self.ascale, self.bpower)
        return self.deltas
