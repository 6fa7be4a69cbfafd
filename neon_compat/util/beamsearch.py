"""Beam search over a trained Seq2Seq (neon.util.beamsearch)."""
import numpy as np

from neon_compat import NervanaObject


class BeamSearch(NervanaObject):
    """Keeps the `num_beams` most likely output sequences of a Seq2Seq decoder.

    Arguments:
        seq2seq (Seq2Seq): the configured and allocated network; its decoder is switched
            to one step at a time.

    After `beamsearch(inputs, num_beams)`: `candidates[b]` (steps, bsz) holds beam b's
    token indices (b = num_beams − 1 the best), `scores[b]` their log probabilities.
    """

    def __init__(self, seq2seq):
        super(BeamSearch, self).__init__(name=None)
        self.layers = seq2seq
        self.hasLUT = seq2seq.hasLUT
        seq2seq.decoder.switch_mode(inference=True)
        self.z_shape = 1 if self.hasLUT else (seq2seq.out_shape[0], 1)

    def beamsearch(self, inputs, num_beams=5, steps=None):
        """Encode `inputs` and grow the beams for `steps` steps (default the network's
        sequence length); returns the best beam as a (steps, bsz) tensor."""
        be, net = self.be, self.layers
        decoder = net.decoder
        self.num_beams, self.num_live, self.num_dead = num_beams, 1, 0
        steps = net.in_shape[1] if steps is None else steps
        self.z_list = [be.iobuf(self.z_shape) for _ in range(num_beams)]
        if getattr(decoder, 'start_index', None) is not None:
            for z in self.z_list:
                z[decoder.start_index] = 1
        self.candidates = [np.zeros((steps, be.bsz)) for _ in range(num_beams)]
        self.scores = [np.zeros(be.bsz) for _ in range(num_beams)]
        net.encoder.fprop(inputs, inference=True, beta=0.0)
        final_states = net.encoder.get_final_states(net.decoder_connections)
        if len(final_states) != len(decoder._recurrent):
            raise ValueError('the decoder has {} recurrent layers but {} decoder connections'
                             .format(len(decoder._recurrent), len(final_states)))
        self.init_state_lists = [[be.zeros_like(layer.h[-1]) for layer in decoder._recurrent]
                                 for _ in range(num_beams)]
        for dst, src in zip(self.init_state_lists[0], final_states):
            if src is not None:  # a copy: the beams never overwrite the encoder's state
                dst[:] = src
        out_shape = decoder.out_shape if self.hasLUT else self.z_shape
        z_beams = [be.iobuf(out_shape) for _ in range(num_beams)]
        hidden = [[be.zeros_like(layer.final_state()) for layer in decoder._recurrent]
                  for _ in range(num_beams)]
        for t in range(steps):
            for b in range(self.num_live):
                z_beams[b][:] = decoder.fprop(self.z_list[b], inference=True,
                                              init_state_list=self.init_state_lists[b])
                for i, layer in enumerate(decoder._recurrent):
                    hidden[b][i][:] = layer.final_state()
            self._beamsearch_step(t, z_beams, hidden)
        return be.array(self.candidates[-1])

    def _beamsearch_step(self, t, z_list_t, init_state_lists):
        """Extend every live beam by every token, keep the best num_beams per example, and
        carry the chosen beams' hidden states and last tokens on."""
        be = self.be
        num_out = self.layers.out_shape[0]
        states_in = [[state.get() for state in beam] for beam in init_state_lists]
        states_out = [[np.zeros(state.shape) for state in init_state_lists[0]]
                      for _ in states_in]
        scores_list = [np.log(z_list_t[b].get()) + score
                       for b, score in zip(range(self.num_live), self.scores)]
        self.scores_list = scores_list
        self.num_live = num_live = self.num_beams - self.num_dead
        # (beams, bsz), worst first; ties keep their order (the earlier beam ranks lower)
        best = np.vstack(scores_list).argsort(axis=0, kind='stable')[-num_live:]
        hyp_num, word_num = (best // num_out).astype(np.int32), best % num_out
        old_candidates = [c.copy() for c in self.candidates]
        for b in range(num_live):
            for hyp in range(len(scores_list)):
                examples = np.where(hyp_num[b] == hyp)[0]
                self.candidates[b][:, examples] = old_candidates[hyp][:, examples]
                self.scores[b][examples] = scores_list[hyp][word_num[b, examples], examples]
                for i in range(len(states_out[b])):
                    states_out[b][i][:, examples] = states_in[hyp][i][:, examples]
            self.candidates[b][t, :] = word_num[b]
        for b in range(num_live):
            if self.hasLUT:
                self.z_list[b][:] = be.array(self.candidates[b][t].reshape(1, -1))
            else:
                tokens = be.array(self.candidates[b][t], dtype=np.int32)
                self.z_list[b][:] = be.onehot(tokens, axis=0)
        for beam, states in zip(self.init_state_lists, states_out):
            for dst, src in zip(beam, states):
                dst[:] = src
