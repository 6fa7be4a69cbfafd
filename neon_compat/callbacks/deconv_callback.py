"""Guided-backpropagation pictures at the end of training (published as
neon.callbacks.callbacks.DeconvCallback)."""
import numpy as np

from neon_compat.callbacks.callback import Callback


def scale_to_rgb(img):
    """Values stretched to [0, 255] (min -> 0, max -> 255; a constant image stays 0)."""
    img = img - np.min(img)
    top = np.max(img)
    return img * (255. / top) if top > 0 else img


class DeconvCallback(Callback):
    """At the end of training, what each convolution's strongest activations respond
    to, by guided backpropagation (Springenberg et al. 2014), for nvis.

    Arguments:
        train_set (NervanaDataIterator): the training data (unused, as in neon).
        valid_set (NervanaDataIterator): searched for the strongest activations.
        max_fm (int): feature maps shown per convolution layer, default 16.
        dataset_pct (float): the first dataset_pct percent of valid_set's minibatches
            are searched, default 25.

    Written to callback_data, for layer index L (of model.layers.layers) and minibatch
    b: `deconv/max_act/<L:04>/` with `activation` (fm, 1) float32, `batch_img` (fm, 2)
    uint16 (minibatch, column), `fm_loc` (fm, 1) int16 (position in the map) and `vis`
    (fm, H, W, C) uint8; `deconv/img/batch_<b>/HWC_uint8` (H, W, C, n) uint8, whose
    attributes map a column of the minibatch to its position there.

    For networks of convolutions one after another (layers between them must keep the
    shape: activations, bias; all-CNN), as neon's; others get an error naming the layer.
    """

    def __init__(self, train_set, valid_set, max_fm=16, dataset_pct=25):
        super(DeconvCallback, self).__init__(epoch_freq=1)
        self.train_set, self.valid_set = train_set, valid_set
        self.max_fm, self.dataset_pct = max_fm, dataset_pct
        self.name = 'Guided Bprop'

    @staticmethod
    def _convolutions(model):
        from neon_compat.layers.convolutional import Convolution
        return [i for i, layer in enumerate(model.layers.layers)
                if isinstance(layer, Convolution)]

    def on_train_begin(self, callback_data, model, epochs):
        """Say before training, not after, when the network cannot be projected."""
        self._check_chain(model.layers.layers, self._convolutions(model),
                          model.layers.layers[0].in_shape)

    def on_train_end(self, callback_data, model):
        layers = model.layers.layers
        convs = self._convolutions(model)
        image_shape = layers[0].in_shape
        # per convolution, the strongest activation of each shown map so far: its value,
        # (minibatch, column) and position in the map (written out once, at the end)
        best = {}
        for i in convs:
            n = min(layers[i].out_shape[0], self.max_fm)
            best[i] = dict(activation=np.full((n, 1), -np.inf, dtype=np.float32),
                           batch_img=np.zeros((n, 2), dtype=np.uint16),
                           fm_loc=np.zeros((n, 1), dtype=np.int16))
        self.images = {}  # minibatch -> (its stored columns on the host, column -> position)
        searched = int(self.dataset_pct / 100. * self.valid_set.nbatches + 0.5)
        self.valid_set.reset()
        for b, (x, _) in enumerate(self.valid_set):
            if b > searched:
                break
            columns = self._strongest(best, layers, x, b)
            if columns:
                self._store_images(callback_data, b, x, sorted(columns), image_shape)
        C, H, W = image_shape
        for i in convs:
            group = callback_data.create_group('deconv/max_act/{:04}'.format(i))
            for name, values in best[i].items():
                group.create_dataset(name, data=values)
            group.create_dataset('vis', (len(best[i]['activation']), H, W, C), dtype='uint8')
        for i in reversed(convs):
            self._visualize(callback_data, model, layers, convs, i, best[i], image_shape)

    @staticmethod
    def _check_chain(layers, convs, image_shape):
        expected = image_shape
        for i in convs:
            if tuple(layers[i].in_shape) != tuple(expected):
                raise ValueError(
                    "DeconvCallback projects through convolutions that follow each other: "
                    "layer '{}' takes {} but the convolution before it gives {}; use it on "
                    "an all-convolutional network".format(layers[i].name, layers[i].in_shape,
                                                          expected))
            expected = layers[i].out_shape

    def _strongest(self, best, layers, x, b):
        """Record each shown map's activations in minibatch b that beat the strongest so
        far; returns the columns (examples) that hold one."""
        N = self.be.bsz
        columns = set()
        for i, layer in enumerate(layers):
            x = layer.fprop(x, inference=True)
            if i not in best:
                continue
            record = best[i]
            n = len(record['activation'])
            acts = layer.outputs.get().reshape(layer.out_shape[0], -1)[:n]  # (n, positions·N)
            where = np.argmax(acts, axis=1)
            values = acts[np.arange(n), where]
            better = values > record['activation'][:, 0]
            record['activation'][better, 0] = values[better]
            record['batch_img'][better] = np.stack([np.full(n, b), where % N], axis=1)[better]
            record['fm_loc'][better, 0] = where[better] // N
            columns.update(int(c) for c in where[better] % N)
        return columns

    def _store_images(self, callback_data, b, x, columns, image_shape):
        host = x.get()[:, columns]
        C, H, W = image_shape
        group = callback_data.create_group('deconv/img/batch_' + str(b))
        hwc = host.reshape(C, H, W, len(columns)).transpose(1, 2, 0, 3)
        group.create_dataset('HWC_uint8', data=scale_to_rgb(hwc).astype(np.uint8),
                             compression='gzip')
        for position, column in enumerate(columns):
            group.attrs[str(column)] = position
        self.images[b] = (host, {column: p for p, column in enumerate(columns)})

    def _visualize(self, callback_data, model, layers, convs, i, record, image_shape):
        """For each shown map of layer i: its stored image alone through the network,
        then only the strongest activation back to the pixels, through each convolution
        (keeping positive signals, where that convolution's input was positive)."""
        be, N = self.be, self.be.bsz
        vis = callback_data['deconv/max_act/{:04}'.format(i)]['vis']
        K = layers[i].out_shape[0]
        positions = int(np.prod(layers[i].out_shape[1:]))
        chain = [layers[j] for j in reversed(convs) if j <= i]
        below = {id(conv): be.iobuf(conv.in_shape) for conv in chain}
        for fm in range(len(record['activation'])):
            b, column = (int(v) for v in record['batch_img'][fm])
            host, where = self.images[b]
            batch = np.zeros((host.shape[0], N), dtype=host.dtype)
            batch[:, 0] = host[:, where[column]]
            model.fprop(be.array(batch), inference=True)
            back = np.zeros((K, positions, N), dtype=np.float32)
            back[fm, int(record['fm_loc'][fm, 0]), :] = record['activation'][fm, 0]
            back = be.array(back.reshape(K * positions, N))
            for conv in chain:
                back[:] = be.maximum(back, 0)
                grad = below[id(conv)]
                be.bprop_conv(layer=conv.nglayer, F=conv.W, E=back, grad_I=grad)
                grad[:] = grad * be.greater(conv.inputs, 0)
                back = grad
            C, H, W = image_shape
            image = back.get().reshape(C, H, W, N)[:, :, :, 0].transpose(1, 2, 0)
            vis[fm] = scale_to_rgb(image).astype(np.uint8)
