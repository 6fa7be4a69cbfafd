"""Pictures of a GAN's progress (neon.callbacks.plotting_callbacks.GANPlotCallback),
drawn with Pillow (neon needed matplotlib too)."""
import numpy as np
from scipy.signal import medfilt

from neon_compat.callbacks.callbacks import Callback


class GANPlotCallback(Callback):
    """After each epoch, a grid of data samples and one of generated samples
    (<filename>_data_<epoch>.png, <filename>_noise_<epoch>.png); for a Wasserstein GAN
    also the distance estimate over generator iterations (<filename>_training.png).

    Arguments:
        filename (str): the files' common start.
        hw (int): image side, default 28.
        nchan (int): channels, default 1 (grey, drawn dark on light).
        num_samples (int): images per grid, default 16.
        sym_range (bool): the images are in [-1, 1] (else [0, 1]).
        padding (int): pixels between images, default 2.
        plot_width, plot_height, dpi, font_size: accepted (neon's matplotlib sizes).
        epoch_freq (int): default 1.
    """

    def __init__(self, filename, hw=28, nchan=1, num_samples=16, sym_range=False, padding=2,
                 plot_width=1200, plot_height=600, dpi=60., font_size=10, epoch_freq=1):
        super(GANPlotCallback, self).__init__(epoch_freq=epoch_freq)
        self.filename = filename
        self.hw = hw
        self.nchan = nchan
        self.num_samples = num_samples
        self.padding = padding
        self.sym_range = sym_range
        self.plot_width = plot_width
        self.plot_height = plot_height
        self.dpi = dpi
        self.font_size = font_size

    def _value_transform(self, batch):
        if self.nchan == 1:
            return 1. - batch
        return (batch + 1.) / 2. if self.sym_range else batch

    def _shape_transform(self, batch):
        """A (height, width[, channels]) canvas of the first num_samples images,
        column by column."""
        if self.nchan * self.hw * self.hw != batch.shape[0]:
            raise ValueError('GANPlotCallback: the samples have {} values, not nchan·hw² = '
                             '{}'.format(batch.shape[0], self.nchan * self.hw * self.hw))
        if self.num_samples > batch.shape[1]:
            raise ValueError('GANPlotCallback: num_samples {} is more than the batch size '
                             '{}'.format(self.num_samples, batch.shape[1]))
        nrow = int(np.ceil(np.sqrt(self.num_samples)))
        ncol = int(np.ceil(1. * self.num_samples / nrow))
        step = self.hw + self.padding
        canvas = np.ones([nrow * step - self.padding, ncol * step - self.padding, self.nchan])
        images = batch[:, :self.num_samples].reshape(self.nchan, self.hw, self.hw, -1)
        images = np.swapaxes(np.swapaxes(images, 0, 2), 0, 1)  # (hw, hw, nchan, n)
        for i in range(self.num_samples):
            row, col = i % nrow, i // nrow
            canvas[row * step:row * step + self.hw, col * step:col * step + self.hw] = \
                images[:, :, ::-1, i]
        return canvas[:, :, 0] if self.nchan == 1 else canvas

    def _save(self, canvas, name):
        from PIL import Image
        pixels = np.uint8(np.clip(canvas, 0, 1) * 255)
        Image.fromarray(pixels).convert('RGB').save(name)

    def on_epoch_end(self, callback_data, model, epoch):
        for batch, kind in ((model.data_batch, 'data'), (model.noise_batch, 'noise')):
            canvas = self._shape_transform(self._value_transform(batch.get()))
            self._save(canvas, '{}_{}_{:03d}.png'.format(self.filename, kind, epoch))
        if model.cost.costfunc.func == 'wasserstein' and model.gen_iter > 0:
            from neon_compat.visualize import draw_png
            giter = callback_data['gan/gen_iter'][:]
            done = np.nonzero(giter)
            estimate = -np.asarray(callback_data['gan/cost_dis'][:][done], dtype='float64')
            smooth = medfilt(estimate, kernel_size=min(101, 2 * (len(estimate) // 2) + 1))
            draw_png({'cost': [('Wasserstein estimate', giter[done], estimate),
                               ('median of 101', giter[done], smooth)], 'metrics': []},
                     self.filename + '_training.png', xlabel='generator iterations')
