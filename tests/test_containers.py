"""Branching containers: gradient checks and the delta-buffer rules the Practice 5 custom
layers rely on."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian
from neon_compat.layers import (Affine, Linear, Activation, Conv, MergeBroadcast, MergeSum,
                                MergeMultistream, Tree, SingleOutputTree, BranchNode, SkipNode,
                                Recurrent, LSTM, Multicost, GeneralizedCost, Sequential)
from neon_compat.models import Model
from neon_compat.transforms import Tanh, Rectlin, Logistic, SumSquared
from neon_compat.util.gradcheck import gradcheck

from helpers import numeric_grad


def G():
    return Gaussian(scale=0.5)


def test_mergebroadcast_stack(backend64):
    gradcheck([Affine(4, G(), activation=Tanh()),
               MergeBroadcast([[Affine(3, G(), activation=Tanh())],
                               [Affine(2, G()), Affine(2, G(), activation=Tanh())]], 'stack'),
               Affine(2, G())], 3)


def test_mergebroadcast_depth(backend64):
    gradcheck([Conv((3, 3, 2), G(), padding=1),
               MergeBroadcast([[Conv((1, 1, 2), G())],
                               [Conv((3, 3, 3), G(), padding=1, activation=Rectlin())]],
                              'depth'),
               Affine(2, G())], (2, 4, 4))


def test_mergebroadcast_recurrent(backend64):
    gradcheck([Affine(6, G(), activation=Tanh()),
               MergeBroadcast([[Recurrent(2, G(), activation=Tanh(), reset_cells=True)],
                               [LSTM(2, G(), activation=Tanh(), gate_activation=Logistic(),
                                     reset_cells=True)]], 'recurrent')], 3)


def test_mergebroadcast_shapes_and_alphas(backend64):
    mb = MergeBroadcast([[Conv((1, 1, 2), G())], [Conv((1, 1, 3), G())]], 'depth',
                        alphas=[1.0, 0.5])
    model = Model([Conv((1, 1, 2), G()), mb])
    model.initialize((2, 3, 3))
    assert mb.out_shape == (5, 3, 3)
    # the input deltas are Σ alpha_i · (branch i's deltas); a 1x1 conv's are Wᵀ·error
    be, rng = backend64, np.random.RandomState(3)
    model.fprop(be.array(rng.normal(size=(18, be.bsz))))
    error = rng.normal(size=(45, be.bsz))
    model.bprop(be.array(error))
    per_channel = error.reshape(5, 9 * be.bsz)
    expected = sum(alpha * (branch.layers[0].W.get() @ per_channel[rows])
                   for alpha, branch, rows in zip([1.0, 0.5], mb.layers, [slice(0, 2),
                                                                          slice(2, 5)]))
    np.testing.assert_allclose(mb.deltas.get(), expected.reshape(18, be.bsz), rtol=1e-12)
    stack = MergeBroadcast([[Affine(3, G())], [Conv((1, 1, 2), G())]], 'stack')
    Model([Conv((1, 1, 2), G()), stack]).initialize((2, 3, 3))
    assert stack.out_shape == 3 + 2 * 9
    with pytest.raises(ValueError, match="merge must be"):
        MergeBroadcast([[Affine(3, G())]], 'concat')


def test_branches_share_the_input_delta_buffer(backend64):
    first = [Affine(3, G()), Affine(2, G())]
    mb = MergeBroadcast([first[:1], first[1:]], 'stack')
    model = Model([Affine(4, G()), mb])
    model.initialize(3)
    deltas = [branch.layers[0].deltas for branch in mb.layers]
    def base(t):
        return t.base if t.base is not None else t
    assert base(deltas[0]) is base(deltas[1]) is base(mb.deltas)


def test_mergesum_residual_block(backend64):
    gradcheck([Affine(4, G()), MergeSum([[Affine(4, G(), activation=Tanh()), Linear(4, G())],
                                         SkipNode()]), Activation(Tanh())], 3)
    gradcheck([Conv((3, 3, 2), G(), padding=1),
               MergeSum([[Conv((3, 3, 2), G(), padding=1, activation=Rectlin()),
                          Conv((3, 3, 2), G(), padding=1)], SkipNode()])], (2, 4, 4))


def test_mergemultistream(backend64):
    gradcheck([MergeMultistream([[Affine(3, G(), activation=Tanh())], [Affine(2, G())]],
                                'stack'), Affine(2, G())], [3, 4], check_inputs=False)


def test_tree_and_multicost(backend64):
    be = backend64
    b = BranchNode(name='test_tree_b1')
    tree = Tree([[Affine(4, G(), activation=Tanh()), b, Affine(3, G())],
                 [b, Affine(2, G(), activation=Tanh())]])
    gradcheck([tree], 3)
    model = Model(Tree([[Affine(4, G(), activation=Tanh()), BranchNode(name='test_tree_b2'),
                         Affine(3, G())],
                        [BranchNode(name='test_tree_b2'), Affine(2, G())]]))
    cost = Multicost([GeneralizedCost(SumSquared()), GeneralizedCost(SumSquared())],
                     weights=[1.0, 0.5])
    model.initialize(3, cost)
    x = be.array(np.random.RandomState(0).normal(size=(3, be.bsz)))
    out = model.fprop(x)
    assert [o.shape for o in out] == [(3, be.bsz), (2, be.bsz)]
    t = [be.zeros((3, be.bsz)), be.zeros((2, be.bsz))]
    value = cost.get_cost(out, t)
    expected = (out[0].get() ** 2).sum(0).mean() / 2 + 0.5 * (out[1].get() ** 2).sum(0).mean() / 2
    assert float(value) == pytest.approx(expected)
    deltas = cost.get_errors(out, t)
    np.testing.assert_allclose(deltas[1].get(), 0.5 * out[1].get())


def test_single_output_tree_inference(backend64):
    be = backend64
    tree = SingleOutputTree([[Affine(3, G()), BranchNode(name='sot'), Affine(2, G())],
                             [BranchNode(name='sot'), Affine(1, G())]])
    model = Model(tree)
    model.initialize(3)
    x = be.array(np.ones((3, be.bsz)))
    assert model.fprop(x, inference=True).shape == (2, be.bsz)
    assert len(model.fprop(x)) == 2


def test_model_description_round_trip_with_containers(backend64, tmp_path):
    be = backend64
    model = Model([Affine(4, G()), MergeBroadcast([[Affine(3, G())], [Affine(2, G())]],
                                                  'stack'), Affine(2, G())])
    model.initialize(3)
    path = str(tmp_path / 'm.prm')
    model.save_params(path)
    again = Model(path)
    again.initialize(3)
    x = be.array(np.random.RandomState(2).normal(size=(3, be.bsz)))
    np.testing.assert_allclose(again.fprop(x).get(), model.fprop(x).get())
    assert again.get_description()['model'] == model.get_description()['model']


# --- alphas: the weights of the branches' errors on the shared part ----------------------

def check_alpha_weighted_gradients(be, container, shared, branches, alphas, in_size, outputs):
    """The shared layers' gradients are those of L_alpha = Σ alpha_i·<p_i, y_i>, the
    branches' own those of L = Σ <p_i, y_i> (alpha weights only what flows back out of a
    branch), each against central differences.

    outputs(y) splits the container's output into the branch outputs y_i.
    """
    rng = np.random.RandomState(5)
    x = be.array(rng.normal(size=(in_size, be.bsz)))
    y = container.fprop(x)
    proj = [rng.normal(size=o.shape) for o in outputs(y)]
    if isinstance(y, list):
        container.bprop([be.array(p) for p in proj])
    else:
        container.bprop(be.array(np.concatenate(proj)))
    analytic = {layer.name: layer.dW.get() for layer in shared + branches}

    def objective(weights):
        return sum(w * np.sum(o.get() * p)
                   for w, o, p in zip(weights, outputs(container.fprop(x)), proj))

    for layers, weights in ((shared, alphas), (branches, [1.0] * len(alphas))):
        for layer in layers:
            numeric = numeric_grad(lambda w=weights: objective(w), layer.W)
            np.testing.assert_allclose(analytic[layer.name], numeric, rtol=1e-6, atol=1e-8,
                                       err_msg=layer.name)


def test_mergebroadcast_alphas_weight_the_shared_gradients(backend64):
    be = backend64
    pre = Linear(4, G(), name='mb_alpha_pre')
    heads = [Linear(3, G(), name='mb_alpha_head0'), Linear(2, G(), name='mb_alpha_head1')]
    mb = MergeBroadcast([[heads[0], Activation(Tanh())], [heads[1]]], 'stack',
                        alphas=[1.0, 0.5])
    net = Sequential([pre, Activation(Tanh()), mb])
    net.configure(3)
    net.allocate()
    net.allocate_deltas()
    check_alpha_weighted_gradients(be, net, [pre], heads, [1.0, 0.5], 3,
                                   lambda y: [y[:3], y[3:]])


def test_tree_alphas_weight_the_trunk_gradients(backend64):
    be = backend64
    trunk = Linear(4, G(), name='tree_alpha_trunk')
    heads = [Linear(3, G(), name='tree_alpha_head0'), Linear(2, G(), name='tree_alpha_head1')]
    node = BranchNode(name='tree_alpha_node')
    tree = Tree([[trunk, Activation(Tanh()), node, heads[0]], [node, heads[1]]],
                alphas=[1.0, 0.5])
    model = Model(tree)
    model.initialize(3)
    check_alpha_weighted_gradients(be, model.layers, [trunk], heads, [1.0, 0.5], 3,
                                   lambda y: y)


def test_a_first_layer_that_only_views_its_input_is_named(backend_default):
    from neon_compat.layers import Reshape
    with pytest.raises(ValueError, match=r"\(Reshape 'first' does not\): put a layer"):
        Model([Reshape((5, 3), name='first'), Affine(nout=2, init=Gaussian())])


def test_branch_node_names_are_per_backend():
    from neon_compat.backends import gen_backend, cleanup_backend
    gen_backend('cpu', batch_size=2)
    first = BranchNode(name='test_branch_per_backend')
    assert BranchNode(name='test_branch_per_backend') is first
    gen_backend('cpu', batch_size=3)
    second = BranchNode(name='test_branch_per_backend')
    assert second is not first, 'a node from the old backend would keep its old buffers'
    assert BranchNode(name='test_branch_per_backend') is second
    cleanup_backend()


def test_mergesum_output_is_exactly_the_sum_of_its_branches(backend_default):
    """neon's MergeSum test: each branch after the first adds into the shared output
    (batch norm with accumbeta included), and the result equals, to the bit, the sum
    of the branches run as separate networks with the same weights."""
    be, rng = backend_default, np.random.RandomState(5)

    def branches():
        bn = dict(init=Gaussian(scale=0.1), batch_norm=True)
        main = [Conv((3, 3, 4), strides=2, padding=1, activation=Rectlin(), **bn),
                Conv((3, 3, 4), padding=1, **bn)]
        return [Conv((3, 3, 3), padding=1, **bn)], main, [Conv((1, 1, 4), strides=2, **bn)]

    def primitives(layers):
        return [p for layer in layers for p in (layer if isinstance(layer, list) else [layer])]

    stem, main, side = branches()
    merged = Sequential(stem + [MergeSum([main, side])])
    merged.configure((3, 8, 8))
    merged.allocate()
    merged.allocate_deltas()
    x = be.array(rng.uniform(size=(3 * 8 * 8, be.bsz)))
    out = merged.fprop(x).get()
    apart = []
    for branch in (main, side):
        stem2, main2, side2 = branches()
        copy = main2 if branch is main else side2
        for mine, theirs in zip(primitives(stem2 + copy), primitives(stem + branch)):
            if mine.has_params:
                mine.set_params(theirs.get_params_serialize())
        path = Sequential(stem2 + copy)
        path.configure((3, 8, 8))
        path.allocate()
        path.allocate_deltas()
        apart.append(path.fprop(x).get())
    np.testing.assert_array_equal(out, apart[0] + apart[1])
    assert np.abs(out).max() > 0
