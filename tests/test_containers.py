"""Branching containers: gradient checks and the delta-buffer rules the Practice 5 custom
layers rely on."""
import numpy as np
import pytest

from neon_compat.initializers import Gaussian
from neon_compat.layers import (Affine, Linear, Activation, Conv, MergeBroadcast, MergeSum,
                                MergeMultistream, Tree, SingleOutputTree, BranchNode, SkipNode,
                                Recurrent, LSTM, Multicost, GeneralizedCost)
from neon_compat.models import Model
from neon_compat.transforms import Tanh, Rectlin, Logistic, SumSquared
from neon_compat.util.gradcheck import gradcheck


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
