#!/usr/bin/env python
"""Practice 5: gender classification with a convolutional + SpatialRNN network.

The course's main_classify.py, assembled from the Practice 5 document (section 3.2);
fixes of print errors are marked "FIX".

    python main_classify.py -b cpu -e 10 -z 32 --data_root data_wiki \\
        --serialize 5 --save_path model.prm
"""
import os
import sys

from neon.callbacks.callbacks import Callbacks
from neon.data import HDF5IteratorOneHot
from neon.optimizers import GradientDescentMomentum
from neon.transforms import Accuracy
from neon.util.argparser import NeonArgparser

import rnn_models
# save_inference is printed in the Practice 5 document as in Practice 3's: use that one
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'practice3_transfer'))
from transfer_utils import save_inference  # noqa: E402


parser = NeonArgparser(__doc__, default_overrides={'eval_freq': 1})  # FIX: see Callbacks
parser.add_argument('--data_root', default='./data_wiki')
# FIX (addition): the image side, fixed at 128 in the document's model function
parser.add_argument('--image_size', type=int, default=128,
                    help='side of the square input images (multiple of 32)')
args = parser.parse_args()

data_root = args.data_root
train_set = HDF5IteratorOneHot(data_root + '/train.h5')
test_set = HDF5IteratorOneHot(data_root + '/test.h5')

# FIX (addition): images of another size fail deep inside the network; say so here
if train_set.lshape[1:] != (args.image_size, args.image_size):
    parser.error('the images in %s are %dx%d, but --image_size is %d: pass --image_size %d'
                 % (data_root, train_set.lshape[1], train_set.lshape[2], args.image_size,
                    train_set.lshape[1]))

model, cost = rnn_models.generate_rnn_model(  # FIX: printed as models.generate_rnn_model
    input_shape=(3, args.image_size, args.image_size))

optimizer = GradientDescentMomentum(0.01, momentum_coef=0.9, wdecay=0.0005)

# FIX: Callbacks(model) ignored --serialize/--save_path of the printed command line
# FIX (addition): the test cost and accuracy after every epoch (-eval N to change)
callbacks = Callbacks(model, eval_set=test_set, metric=Accuracy(), **args.callback_args)
model.fit(train_set, optimizer=optimizer,
          num_epochs=args.epochs, cost=cost, callbacks=callbacks)

accuracy = model.eval(test_set, metric=Accuracy())
print('Accuracy = %.1f%%' % (accuracy * 100))

outputs = model.get_outputs(test_set)
save_inference('inference.txt', outputs, test_set)
