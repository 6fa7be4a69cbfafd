"""Synthetic sequence tasks of the Neural Turing Machine paper (neon.data.ticker): copy,
repeat copy and priority sort, and the Ticker iterator that makes fresh minibatches.

Each minibatch has its own sequence length (at most seq_len_max); buffers have room for
the longest, and a mask marks the time steps (columns t·bsz + n) the cost should see.
Bits are drawn from the backend's generator (`be.rng`, seeded by `-r`).
"""
import numpy as np

from neon_compat import NervanaObject


class Task(NervanaObject):
    """Base of the tasks: `synthesize(inputs, targets, mask)` fills one minibatch."""

    def shapes(self, nin, nout, time_steps_func, *longest):
        """Set the channel counts, the step-count rule and the longest sequence's size
        (time_steps_func of the longest lengths)."""
        self.nin, self.nout = nin, nout
        self.time_steps_func = time_steps_func
        self.time_steps_max = time_steps_func(*longest)
        self.max_columns = self.time_steps_max * self.be.bsz

    def fetch_io(self, time_steps):
        """Zeroed host (inputs, outputs) of time_steps steps: views of buffers of the
        longest sequence (made once, zeroed per minibatch), zero past the end."""
        columns = time_steps * self.be.bsz
        if getattr(self, '_host_in', None) is None:
            self._host_in = np.zeros((self.nin, self.max_columns))
            self._host_out = np.zeros((self.nout, self.max_columns))
        else:
            self._host_in.fill(0)
            self._host_out.fill(0)
        return self._host_in[:, :columns], self._host_out[:, :columns]

    def fill_buffers(self, time_steps, inputs, outputs, in_tensor, out_tensor, mask):
        """Copy the minibatch of fetch_io to the device buffers and set the mask to its
        time steps."""
        columns = time_steps * self.be.bsz
        in_tensor.set(self._host_in)
        out_tensor.set(self._host_out)
        mask[:, :columns] = 1
        mask[:, columns:] = 0

    def frame(self, inputs, seq, seq_len, start_row, stop_value=1):
        """The reading phase: a start flag in row start_row at step 0, the sequence in
        steps 1..seq_len (its rows from the top), then stop_value in row start_row + 1."""
        bsz = self.be.bsz
        stop = bsz * (seq_len + 1)
        inputs[start_row, :bsz] = 1
        inputs[start_row + 1, stop:stop + bsz] = stop_value
        inputs[:len(seq), bsz:stop] = seq

    def _bits(self, rows, columns):
        return self.be.rng.randint(2, size=(rows, columns)).astype(float)


class CopyTask(Task):
    """Read a sequence of random bit vectors between a start and a stop flag, then write
    it back: 2·len + 2 steps.

    Arguments:
        seq_len_max (int): longest sequence.
        vec_size (int): bits per vector (inputs have 2 more channels: start, stop).
    """

    def __init__(self, seq_len_max, vec_size):
        self.seq_len_max = seq_len_max
        self.vec_size = vec_size
        self.shapes(vec_size + 2, vec_size, lambda length: 2 * length + 2, seq_len_max)

    def synthesize(self, in_tensor, out_tensor, mask):
        bsz = self.be.bsz
        seq_len = self.be.rng.randint(1, self.seq_len_max + 1)
        time_steps = self.time_steps_func(seq_len)
        inputs, outputs = self.fetch_io(time_steps)
        seq = self._bits(self.vec_size, seq_len * bsz)
        self.frame(inputs, seq, seq_len, start_row=-2)
        outputs[:, bsz * (seq_len + 2):] = seq
        self.fill_buffers(time_steps, inputs, outputs, in_tensor, out_tensor, mask)


class RepeatCopyTask(Task):
    """Read a sequence and a repeat count, then write the sequence that many times and
    a stop bit: len·(repeats + 1) + 3 steps.

    Arguments:
        seq_len_max (int): longest sequence.
        repeat_count_max (int): most repeats (neon used seq_len_max instead).
        vec_size (int): bits per vector.
    """

    def __init__(self, seq_len_max, repeat_count_max, vec_size):
        self.seq_len_max = seq_len_max
        self.repeat_count_max = repeat_count_max
        self.vec_size = vec_size
        self.shapes(vec_size + 2, vec_size + 1,  # outputs: and the stop channel
                    lambda length, repeats: length * (repeats + 1) + 3, seq_len_max,
                    repeat_count_max)

    def synthesize(self, in_tensor, out_tensor, mask):
        bsz = self.be.bsz
        seq_len = self.be.rng.randint(1, self.seq_len_max + 1)
        repeats = self.be.rng.randint(1, self.repeat_count_max + 1)
        time_steps = self.time_steps_func(seq_len, repeats)
        inputs, outputs = self.fetch_io(time_steps)
        seq = self._bits(self.vec_size, seq_len * bsz)
        # the stop channel carries the count
        self.frame(inputs, seq, seq_len, start_row=-2, stop_value=repeats)
        for i in range(repeats):
            start = bsz * ((i + 1) * seq_len + 2)
            outputs[:-1, start:start + seq_len * bsz] = seq
        outputs[-1, -bsz:] = 1
        self.fill_buffers(time_steps, inputs, outputs, in_tensor, out_tensor, mask)


class PrioritySortTask(Task):
    """Read bit vectors each with a priority in [-1, 1], then write them sorted by
    priority (ascending): 2·len + 2 steps.

    Arguments:
        seq_len_max (int): longest sequence.
        vec_size (int): bits per vector (inputs have 3 more channels: start, stop,
            priority).
    """

    def __init__(self, seq_len_max, vec_size):
        self.seq_len_max = seq_len_max
        self.vec_size = vec_size
        self.shapes(vec_size + 3, vec_size, lambda length: 2 * length + 2, seq_len_max)

    def synthesize(self, in_tensor, out_tensor, mask):
        bsz = self.be.bsz
        seq_len = self.be.rng.randint(1, self.seq_len_max + 1)
        time_steps = self.time_steps_func(seq_len)
        inputs, outputs = self.fetch_io(time_steps)
        seq = self._bits(self.nin, seq_len * bsz)
        seq[-3:] = 0
        seq[-1] = self.be.rng.uniform(-1, 1, size=seq_len * bsz)  # priorities
        self.frame(inputs, seq, seq_len, start_row=-3)
        # each sample's vectors in priority order: columns t·bsz + n -> (rows, t, n)
        steps = seq.reshape(self.nin, seq_len, bsz)
        order = steps[-1].argsort(axis=0)
        steps = np.take_along_axis(steps, order[np.newaxis], axis=1)
        outputs[:, bsz * (seq_len + 2):] = steps.reshape(self.nin, -1)[:self.nout]
        self.fill_buffers(time_steps, inputs, outputs, in_tensor, out_tensor, mask)


class Ticker(NervanaObject):
    """An iterator of freshly synthesized minibatches of a task: 100 per epoch, each
    (inputs, (targets, mask)) with buffers of the task's longest sequence.

    Arguments:
        task (Task): CopyTask, RepeatCopyTask or PrioritySortTask.
    """

    def __init__(self, task):
        self.task = task
        self.batch_index = 0
        self.nbatches = 100
        self.ndata = self.nbatches * self.be.bsz
        self.nout = task.nout
        self.nin = task.nin
        self.shape = (self.nin, task.time_steps_max)
        self.dev_X = self.be.iobuf((self.nin, task.time_steps_max))
        self.dev_y = self.be.iobuf((self.nout, task.time_steps_max))
        self.mask = self.be.iobuf((self.nout, task.time_steps_max))

    def reset(self):
        """Nothing to rewind: every minibatch is new."""

    def __iter__(self):
        self.batch_index = 0
        while self.batch_index < self.nbatches:
            self.task.synthesize(self.dev_X, self.dev_y, self.mask)
            self.batch_index += 1
            yield self.dev_X, (self.dev_y, self.mask)
