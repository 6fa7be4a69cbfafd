"""Shape objects for the convolution, pooling and LRN kernels (neon's layer_cpu.py role).

Built once by `be.conv_layer(...)`, `be.deconv_layer(...)`, `be.pool_layer(...)` and
`be.lrn_layer(...)` when a layer is configured; the per-batch kernels only compute.
Layouts are neon's: inputs (C, D, H, W, N), filters (C, T, R, S, K) stored as
(C·T·R·S, K), outputs (K, M, P, Q, N). Only 2-D images (D = T = M = 1) are supported.
"""
import logging

from neon_compat import ShapeError

logger = logging.getLogger(__name__)


def _prod(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


def _require_2d(kind, D, T):
    if D != 1 or T != 1:
        raise NotImplementedError('{}: 3-D filters (D={}, T={}) are not supported: use 2-D '
                                  'filters (R, S, K), which run on each depth slice of a '
                                  '(C, D, H, W) volume'.format(kind, D, T))


class ConvLayer(object):
    """Shapes of one convolution: I (C,H,W,N) * F (C,R,S,K) -> O (K,P,Q,N).

    Volumes (C, D, H, W) with 2-D filters (T = 1, no padding or stride in depth) are
    convolved slice by slice: `flat` is the 2-D layer with the D slices in the batch.
    """

    def __init__(self, lib, dtype, N, C, K, D=1, H=1, W=1, T=1, R=1, S=1, pad_d=0, pad_h=0,
                 pad_w=0, str_d=1, str_h=1, str_w=1, dil_d=1, dil_h=1, dil_w=1):
        self.flat = None
        if D > 1 and T == 1 and (pad_d, str_d, dil_d) == (0, 1, 1):
            self.flat = ConvLayer(lib, dtype, N * D, C, K, 1, H, W, 1, R, S, 0, pad_h, pad_w, 1,
                                  str_h, str_w, 1, dil_h, dil_w)
        else:
            _require_2d('convolution', D, T)
        M = D
        P = lib.output_dim(H, R, pad_h, str_h, dilation=dil_h)
        Q = lib.output_dim(W, S, pad_w, str_w, dilation=dil_w)
        if P < 1 or Q < 1:
            raise ShapeError('a {}x{} filter (dilation {}, padding {}) does not fit a {}x{} '
                             'input'.format(R, S, (dil_h, dil_w), (pad_h, pad_w), H, W))
        self.N, self.C, self.K = N, C, K
        self.H, self.W, self.R, self.S, self.M, self.P, self.Q = H, W, R, S, M, P, Q
        self.D, self.T = D, T
        self.NCK = (N, C, K)
        self.TRS = (T, R, S)
        self.DHW = (D, H, W)
        self.MPQ = (M, P, Q)
        self.padding = (pad_d, pad_h, pad_w)
        self.strides = (str_d, str_h, str_w)
        self.dilation = (dil_d, dil_h, dil_w)
        self.dimI = (C, D, H, W, N)
        self.dimF = (C, T, R, S, K)
        self.dimO = (K, M, P, Q, N)
        self.dimS = (K, 1)
        self.dimI2 = (C * D * H * W, N)
        self.dimF2 = (C * T * R * S, K)
        self.dimO2 = (K * M * P * Q, N)
        self.sizeI = _prod(self.dimI)
        self.sizeF = _prod(self.dimF)
        self.sizeO = _prod(self.dimO)
        self.nOut = M * P * Q * K
        self.dtype = dtype
        self.cache = {}  # scratch buffers and the last im2col, kept by the kernels


class DeconvLayer(ConvLayer):
    """Shapes of a deconvolution: the convolution whose output is the deconv input.

    Given the deconv input (K, P, Q), the output (C, H, W) has
    H = (P − 1)·stride − 2·pad + dil·(R − 1) + 1.
    """

    def __init__(self, lib, dtype, N, C, K, P, Q, R=1, S=1, pad_d=0, pad_h=0, pad_w=0,
                 str_d=1, str_h=1, str_w=1, dil_d=1, dil_h=1, dil_w=1, M=1, T=1, D=1):
        if T != 1:
            _require_2d('deconvolution', M, T)
        H = (P - 1) * str_h - 2 * pad_h + dil_h * (R - 1) + 1
        W = (Q - 1) * str_w - 2 * pad_w + dil_w * (S - 1) + 1
        super(DeconvLayer, self).__init__(lib, dtype, N, C, K, M, H, W, 1, R, S, pad_d, pad_h,
                                          pad_w, str_d, str_h, str_w, dil_d, dil_h, dil_w)
        if (self.P, self.Q) != (P, Q):
            raise ShapeError('deconvolution: input {}x{} cannot come from a {}x{} output with '
                             'these strides and padding'.format(P, Q, H, W))


class PoolLayer(object):
    """Shapes of one pooling: windows R×S with strides and padding over (C, H, W, N).

    Windows are clipped to the image: padding never contributes, and 'avg' divides by
    the number of image elements in each window (neon's rule).
    """

    def __init__(self, lib, dtype, op, N, C, D=1, H=1, W=1, J=1, T=1, R=1, S=1, pad_c=0,
                 pad_d=0, pad_h=0, pad_w=0, str_c=None, str_d=None, str_h=None, str_w=None):
        _require_2d('pooling', D, T)
        if J != 1:
            raise NotImplementedError('pooling across channels (J={}) is not supported'.format(J))
        if op not in ('max', 'avg'):
            raise NotImplementedError("pooling op {!r} is not supported: use 'max' or "
                                      "'avg'".format(op))
        str_h = R if str_h is None else str_h
        str_w = S if str_w is None else str_w
        self.op = op
        self.N, self.C, self.H, self.W, self.R, self.S = N, C, H, W, R, S
        P = lib.output_dim(H, R, pad_h, str_h, pooling=True)
        Q = lib.output_dim(W, S, pad_w, str_w, pooling=True)
        # a window that does not fit gives an empty output, as in neon (a model may be
        # built and described with it); running the layer raises
        self.misfit = None
        if P < 1 or Q < 1:
            self.misfit = ('a {}x{} pooling window (stride {}x{}, padding {}x{}) does not fit '
                           'a {}x{} input: shrink the window or pad the input'.format(
                               R, S, str_h, str_w, pad_h, pad_w, H, W))
            logger.warning('%s; the layer will fail when it runs', self.misfit)
            P, Q = max(P, 0), max(Q, 0)
        self.K, self.M, self.P, self.Q = C, 1, P, Q
        self.JTRS = (J, T, R, S)
        self.padding = (pad_c, pad_d, pad_h, pad_w)
        self.strides = (str_c or J, str_d or T, str_h, str_w)
        self.dimI = (C, D, H, W, N)
        self.dimO = (C, 1, P, Q, N)
        self.sizeI = _prod(self.dimI)
        self.sizeO = _prod(self.dimO)
        self.nOut = C * P * Q
        self.overlap = str_h < R or str_w < S
        # the windows cut the input into disjoint tiles that cover all of it
        self.tiles = (str_h, str_w) == (R, S) and (pad_h, pad_w) == (0, 0) and \
            (P * R, Q * S) == (H, W)
        self.dtype = dtype
        self.cache = {}


class LRNLayer(object):
    """Shapes of local response normalization across J neighbouring channels (J odd)."""

    def __init__(self, lib, dtype, N, C, D=1, H=1, W=1, J=1):
        if J % 2 != 1:
            raise ValueError('LRN depth must be odd, got {}'.format(J))
        self.J = J
        self.N, self.C, self.H, self.W = N, C, H, W
        self.dimI = (C, D, H, W, N)
        self.dimO = self.dimI
        self.sizeI = self.sizeO = _prod(self.dimI)
        self.dtype = dtype


class BatchNormLayer(object):
    """Per-layer state of the batch-norm kernels (scratch buffers)."""

    def __init__(self, lib, in_shape):
        self.in_shape = in_shape
        self.cache = {}
