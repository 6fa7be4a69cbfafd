"""Sequence-to-sequence containers (published as neon.layers.container): Seq2Seq and its
Encoder and Decoder halves.

The encoder reads the source sequence; the final hidden state of each of its recurrent
layers starts a decoder recurrent layer (`decoder_connections[i]` is the encoder
recurrent layer feeding decoder recurrent layer i). Training feeds the decoder the
target sequence shifted by one step (teacher forcing); inference runs the decoder one
step at a time on its own previous output.
"""
from neon_compat import load_class
from neon_compat.layers.base import BranchNode
from neon_compat.layers.embedding import LookupTable
from neon_compat.layers.recurrent import Recurrent, get_steps
from neon_compat.layers.sequential import LayerContainer, Sequential


class Encoder(Sequential):
    """A Seq2Seq's encoder: a Sequential whose recurrent layers hand their final states to
    the decoder and take the gradients of those states back in bprop.

    Arguments:
        layers (list): the layers.
        name (str, optional)
    """

    def __init__(self, layers, name=None):
        super(Encoder, self).__init__(layers, name)
        self._recurrent = [layer for layer in self.layers if isinstance(layer, Recurrent)]
        self.connections = None
        self.error_buf = None
        self.error_slices = None

    def allocate_deltas(self, global_deltas=None):
        super(Encoder, self).allocate_deltas(global_deltas)
        self.error_buf = self.be.iobuf(self.out_shape)
        self.error_slices = get_steps(self.error_buf, self.out_shape)

    def set_connections(self, decoder_cons):
        """For each encoder recurrent layer, the decoder recurrent layers it starts."""
        self.connections = [[i_dec for i_dec, i_enc in enumerate(decoder_cons) if i_enc == i]
                            for i in range(len(self._recurrent))]

    def get_final_states(self, decoder_cons):
        """The initial state of each decoder recurrent layer (None: not connected)."""
        return [None if i is None else self._recurrent[i].final_state() for i in decoder_cons]

    def bprop(self, hidden_error_list, inference=False, alpha=1.0, beta=0.0):
        """Backprop the decoder's gradients of its initial states, each added to the last
        step of the error reaching the encoder layer that gave that state."""
        error = self.error_buf
        error[:] = 0
        i_enc = len(self._recurrent) - 1
        for layer in reversed(self._layers):
            if isinstance(layer, Recurrent):
                last_step = get_steps(error, layer.out_shape)[-1]
                for i_dec in self.connections[i_enc]:
                    last_step[:] = last_step + hidden_error_list[i_dec]
                i_enc -= 1
            if type(layer.prev_layer) is BranchNode or layer is self._layers[0]:
                error = layer.bprop(error, alpha, beta)
            else:
                error = layer.bprop(error)
        return error


class Decoder(Sequential):
    """A Seq2Seq's decoder: a Sequential whose recurrent layers start from given states.

    Arguments:
        layers (list): the layers.
        name (str, optional)
        start_index (int, optional): the token index that starts a generated sequence.
    """

    def __init__(self, layers, name=None, start_index=None):
        super(Decoder, self).__init__(layers, name)
        self._recurrent = [layer for layer in self.layers if isinstance(layer, Recurrent)]
        self.connections = None
        self.full_steps = None
        self.start_index = start_index

    def fprop(self, x, inference=False, init_state_list=None):
        if init_state_list is None:
            init_state_list = [None] * len(self._recurrent)
        elif len(init_state_list) < len(self._recurrent):
            raise ValueError('the decoder has {} recurrent layers but {} initial states were '
                             'given'.format(len(self._recurrent), len(init_state_list)))
        states = iter(init_state_list)
        for layer in self.layers:
            if isinstance(layer, Recurrent):
                x = layer.fprop(x, inference=inference, init_state=next(states))
            else:
                x = layer.fprop(x, inference=inference)
        return x

    def set_connections(self, decoder_cons):
        self.connections = decoder_cons

    def bprop(self, error, inference=False, alpha=1.0, beta=0.0):
        """Backprop the error; returns the gradients of the recurrent layers' initial
        states, in decoder order."""
        hidden_errors = []
        for layer in reversed(self.layers):
            error = layer.bprop(error)
            if isinstance(layer, Recurrent):
                hidden_errors.append(layer.get_final_hidden_error())
        return hidden_errors[::-1]

    def switch_mode(self, inference):
        """Rebuild the buffers for one step at a time (inference) or the full sequence
        (training); the weights stay."""
        has_lut = isinstance(self.layers[0], LookupTable)
        current = self.in_shape[0] if has_lut else self.in_shape[1]
        wanted = 1 if inference else self.full_steps
        if current == wanted:
            return
        if has_lut:
            in_obj = (wanted, 1)
            self.layers[0].inputs = None
            self.layers[0].outputs_t = None
        else:
            in_obj = (self.out_shape[0], wanted)
        self.configure(in_obj)
        for layer in self.layers:
            if layer.owns_output:
                layer.outputs = None
        self.allocate(shared_outputs=None)
        for layer in self.layers:
            layer.name += "'"  # (neon's marking of the rebuilt layers)


def _as_container(layers, cls):
    if isinstance(layers, cls):
        return layers
    if isinstance(layers, (list, tuple)):
        return cls(list(layers))
    return cls([layers])


class Seq2Seq(LayerContainer):
    """Encoder-decoder network over sequences.

    Arguments:
        layers (list): [encoder layers, decoder layers] (lists, layers, or Encoder and
            Decoder containers).
        decoder_connections (list of int, optional): for each decoder recurrent layer,
            the encoder recurrent layer whose final state starts it; default one to one.
        name (str, optional)

    Training inputs are (source, shifted target) pairs (a dataset with `shape` and
    `decoder_shape`); inference takes the source and generates `in_shape[1]` steps.
    """

    def __init__(self, layers, decoder_connections=None, name=None):
        super(Seq2Seq, self).__init__(name=name)
        if len(layers) != 2:
            raise ValueError('Seq2Seq takes [encoder layers, decoder layers], got {} '
                             'items'.format(len(layers)))
        self.encoder = _as_container(layers[0], Encoder)
        self.decoder = _as_container(layers[1], Decoder)
        self.layers = self.encoder.layers + self.decoder.layers
        self.hasLUT = isinstance(self.encoder.layers[0], LookupTable)
        if decoder_connections:
            self.decoder_connections = decoder_connections
        else:
            if len(self.encoder._recurrent) != len(self.decoder._recurrent):
                raise ValueError('Seq2Seq: {} encoder and {} decoder recurrent layers; give '
                                 'decoder_connections'.format(len(self.encoder._recurrent),
                                                              len(self.decoder._recurrent)))
            self.decoder_connections = list(range(len(self.encoder._recurrent)))
        self.encoder.set_connections(self.decoder_connections)
        self.decoder.set_connections(self.decoder_connections)
        self.prev_layer = None

    @classmethod
    def gen_class(cls, pdict):
        pdict = dict(pdict)
        described = pdict.pop('layers')
        split = pdict.pop('num_encoder_layers')
        layers = [load_class(d['type']).gen_class(d.get('config', {})) for d in described]
        return cls(layers=[layers[:split], layers[split:]], **pdict)

    def get_description(self, get_weights=False, keep_states=False, **kwargs):
        desc = super(Seq2Seq, self).get_description(get_weights=get_weights,
                                                    keep_states=keep_states)
        desc['config']['num_encoder_layers'] = len(self.encoder.layers)
        desc['config']['decoder_connections'] = self.decoder_connections
        self._desc = desc
        return desc

    def configure(self, in_obj):
        if isinstance(in_obj, tuple):  # (encoder shape..., decoder shape...) from a file
            if len(in_obj) != 4:
                raise ValueError('Seq2Seq is configured with a dataset or (source shape, '
                                 'target shape) as 4 numbers, got {}'.format(in_obj))
            self.encoder.configure(in_obj[0:2])
            self.decoder.configure(in_obj[2:4])
        else:
            self.encoder.configure(in_obj.shape)
            self.decoder.configure(in_obj.decoder_shape)
        self.parallelism = self.decoder.parallelism
        self.out_shape = self.decoder.out_shape
        self.in_shape = self.decoder.layers[-1].in_shape if self.hasLUT else \
            self.decoder.in_shape
        self.decoder.full_steps = self.in_shape[1]
        return self

    def allocate(self, shared_outputs=None, accumulate_updates=False):
        self.decoder.allocate(shared_outputs)
        if any(layer.owns_output for layer in self.decoder.layers):
            self.encoder.allocate()
        else:
            self.encoder.allocate(shared_outputs)
        self.xbuf = self.be.iobuf(self.out_shape)

    def allocate_deltas(self, global_deltas=None):
        self.encoder.allocate_deltas(global_deltas)
        self.decoder.allocate_deltas(global_deltas)

    def fprop(self, inputs, inference=False, beta=0.0):
        self.decoder.switch_mode(inference)
        if not inference:
            source, target = inputs
            self.encoder.fprop(source, inference=inference, beta=0.0)
            states = self.encoder.get_final_states(self.decoder_connections)
            return self.decoder.fprop(target, inference=inference, init_state_list=states)
        # inference: the decoder generates one step at a time from its own output
        be = self.be
        z = be.iobuf(1 if self.hasLUT else (self.out_shape[0], 1))
        self.encoder.fprop(inputs, inference=True, beta=0.0)
        states = self.encoder.get_final_states(self.decoder_connections)
        z_argmax = be.zeros((1, z.shape[0] * z.shape[1])) if self.hasLUT else None
        for t in range(self.in_shape[1]):
            z = self.decoder.fprop(z, inference=True, init_state_list=states)
            states = [layer.final_state() for layer in self.decoder._recurrent]
            self.xbuf[:, t * be.bsz:(t + 1) * be.bsz] = z
            if self.hasLUT:
                z_argmax[:] = be.argmax(z, axis=0)
                z = z_argmax
        return self.xbuf

    def bprop(self, error, inference=False, alpha=1.0, beta=0.0):
        self.encoder.bprop(self.decoder.bprop(error))
        return self.encoder.layers[0].deltas

