"""The base callback (published as neon.callbacks.callbacks.Callback)."""
from neon_compat import NervanaObject


class Callback(NervanaObject):
    """Base callback: override the on_* hooks you need.

    Arguments:
        epoch_freq (int or list): fire epoch hooks every N epochs (or at listed epochs).
        minibatch_freq (int or list): likewise for minibatch hooks.
    """

    def __init__(self, epoch_freq=1, minibatch_freq=1):
        self.epoch_freq = epoch_freq
        self.minibatch_freq = minibatch_freq
        self.costnm = None

    def on_train_begin(self, callback_data, model, epochs):
        pass

    def on_train_end(self, callback_data, model):
        pass

    def on_epoch_begin(self, callback_data, model, epoch):
        pass

    def on_epoch_end(self, callback_data, model, epoch):
        pass

    def on_minibatch_begin(self, callback_data, model, epoch, minibatch):
        pass

    def on_minibatch_end(self, callback_data, model, epoch, minibatch):
        pass

    def should_fire(self, callback_data, model, time, freq):
        """True at index `time` when (time + 1) % freq == 0, or time in freq (a list)."""
        if isinstance(freq, int) and not isinstance(freq, bool):
            return (time + 1) % freq == 0
        return isinstance(freq, list) and time in freq

    def _get_cached_epoch_loss(self, callback_data, model, epoch, label):
        if self.costnm is None:
            self.costnm = "Loss"
            if model.cost is not None and hasattr(model.cost, 'costfunc'):
                self.costnm = model.cost.costfunc.__class__.__name__ + " " + self.costnm
        cost_key, time_key = 'cost/' + label, 'time/' + label
        if cost_key not in callback_data:
            return None
        eval_freq = callback_data[cost_key].attrs['epoch_freq']
        if (epoch + 1) % eval_freq == 0:
            return dict(cost=callback_data[cost_key][epoch // eval_freq],
                        time=callback_data[time_key][epoch // eval_freq], costnm=self.costnm)
        return None
