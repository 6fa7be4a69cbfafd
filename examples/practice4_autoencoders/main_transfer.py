#!/usr/bin/env python
"""Practice 4, section 3.3.4: train the target network from the stack of autoencoders.

The transfer-learning script of Practice 3 (main_transfer.py) with the Practice 4
target network; fixes of print errors are marked "FIX".

    python main_transfer.py -b cpu -e 10 -z 32 --data_root data_wiki \\
        --serialize 5 --save_path model.prm --source_model mlp_stack_final.prm
"""
from neon.callbacks.callbacks import Callbacks
from neon.data import HDF5IteratorOneHot
from neon.optimizers import GradientDescentMomentum, MultiOptimizer
from neon.transforms import Accuracy
from neon.util.argparser import NeonArgparser
from neon.util.persist import load_obj

import ae_models
import os
import sys
# the transfer helpers are Practice 3's
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'practice3_transfer'))
from transfer_utils import import_matching_layers, save_inference  # noqa: E402

parser = NeonArgparser(__doc__, default_overrides={'eval_freq': 1})  # FIX: see Callbacks
parser.add_argument('--data_root', default='./data_wiki')
parser.add_argument('--source_model', default=None)
# FIX (addition): the learning rate of the imported layers relative to base_lr; the
# document's fine-tuning value is 0.001
parser.add_argument('--imported_lr_scale', type=float, default=0.001)
# FIX (addition): as in the other course scripts; the network takes the data's size, so
# the flag only checks the data
parser.add_argument('--image_size', type=int, default=None,
                    help='side of the square input images (default: the data\'s)')
args = parser.parse_args()

data_root = args.data_root
train_set = HDF5IteratorOneHot(data_root + '/train.h5')
test_set = HDF5IteratorOneHot(data_root + '/test.h5')

# FIX (addition): say so when the images are not of the given size
if args.image_size is not None and \
        train_set.lshape[1:] != (args.image_size, args.image_size):
    parser.error('the images in %s are %dx%d, but --image_size is %d: pass --image_size %d'
                 % (data_root, train_set.lshape[1], train_set.lshape[2], args.image_size,
                    train_set.lshape[1]))

model, cost = ae_models.generate_mlp_target_model()

imported_layers = []  # FIX: printed as "Imported_layers"
if (args.source_model is not None):
    pretrained_model = load_obj(args.source_model)
    # FIX: configure first, so that a layer of another shape fails before it is reported
    # as copied
    model.layers.configure(train_set)
    imported_layers = import_matching_layers(pretrained_model, model)

base_lr = 0.01
default_optimizer = GradientDescentMomentum(
    base_lr, momentum_coef=0.9, wdecay=0.0005)
optimizers_mapping = {'default': default_optimizer}
imported_layers_optimizer_params = \
    default_optimizer.get_description().copy()['config']
imported_layers_optimizer_params['learning_rate'] = base_lr * args.imported_lr_scale
imported_layers_optimizer = \
    GradientDescentMomentum(**imported_layers_optimizer_params)
optimizers_mapping.update(
    {l: imported_layers_optimizer for l in imported_layers})
optimizer = MultiOptimizer(optimizers_mapping)

# FIX (addition): the test cost and accuracy after every epoch (-eval N to change)
callbacks = Callbacks(model, eval_set=test_set, metric=Accuracy(), **args.callback_args)
model.fit(train_set, optimizer=optimizer,
          num_epochs=args.epochs, cost=cost, callbacks=callbacks)

accuracy = model.eval(test_set, metric=Accuracy())
print('Accuracy = %.1f%%' % (accuracy * 100))

outputs = model.get_outputs(test_set)
save_inference('inference.txt', outputs, test_set)
