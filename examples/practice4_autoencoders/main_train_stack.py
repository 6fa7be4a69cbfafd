#!/usr/bin/env python
"""Practice 4: pre-train a stack of autoencoders for the gender classifier.

The course's main_train_stack.py, assembled from the Practice 4 document
(sections 3.2.3-3.3.3); fixes of print errors are marked "FIX".

    python main_train_stack.py -b cpu -e 10 -z 32 --data_root data_wiki \\
        --serialize 5 --save_path model.prm

The model of the last step is saved to --stack_file (default mlp_stack_final.prm),
the source model of the final step (main_transfer.py --source_model ...).
"""
from contextlib import closing

import h5py as h5
import numpy as np

from neon.callbacks.callbacks import Callbacks
from neon.data import HDF5Iterator, HDF5IteratorAutoencoder
from neon.optimizers import GradientDescentMomentum, MultiOptimizer
from neon.util.argparser import NeonArgparser

import ae_models as models  # FIX: the document imports the model file as "models"
import os
import sys
# the transfer helpers are Practice 3's
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'practice3_transfer'))
from transfer_utils import import_matching_layers  # noqa: E402


def generate_dataset(subset_name, subset, outputs, save_path):
    inputs = iter(subset)
    sample_input = next(iter(subset))[0].get().transpose()[0]
    lshape = sample_input.shape
    input_size = int(np.prod(lshape))
    output_size = int(np.prod(outputs[0].shape))
    with closing(h5.File(save_path, 'w')) as dataset_file:
        # FIX: the listing stores both datasets as int8, which wraps the (mean-subtracted)
        # pixel values and truncates the encoder's tanh outputs to 0; both are float32.
        dataset_inputs = dataset_file.create_dataset('input',
                                                     (len(outputs), input_size),
                                                     dtype=np.float32)
        dataset_inputs.attrs['lshape'] = lshape
        dataset_outputs = dataset_file.create_dataset('output',
                                                      (len(outputs), output_size),
                                                      dtype=np.float32)
        i = 0
        for batch in inputs:
            for inp in batch[0].get().transpose():
                if (len(outputs) <= i):
                    break
                output = outputs[i]
                dataset_inputs[i] = inp.reshape((-1)).astype(np.float32)
                dataset_outputs[i] = output.reshape((-1)).astype(np.float32)
                i += 1


def generate_next_dataset(encoder, train_set, val_set, save_path, step):
    lshape = next(iter(train_set))[0].get()[:, 0].shape
    save_path_base = save_path[:save_path.rfind(".")] + \
        "_outputs_step" + str(step)

    def make_subset(subset_name, subset):
        outputs = encoder.get_outputs(subset)
        subset_path = save_path_base + "_" + subset_name + ".h5"
        generate_dataset(subset_name, subset, outputs, subset_path)
        return HDF5Iterator(subset_path), outputs[0].shape

    next_train_set, lshape = make_subset('train', train_set)
    next_val_set, _ = make_subset('val', val_set)
    return next_train_set, next_val_set, lshape


parser = NeonArgparser(__doc__)
parser.add_argument('--data_root', default='./data_wiki')
# FIX (additions): the image side and the output file of the stack, fixed in the document
parser.add_argument('--image_size', type=int, default=128,
                    help='side of the square input images (the document uses 128)')
parser.add_argument('--stack_file', default='mlp_stack_final.prm',
                    help='where to save the model of the last step of the stack')
args = parser.parse_args()

data_root = args.data_root
train_set = HDF5IteratorAutoencoder(data_root + '/train.h5')
val_set = HDF5IteratorAutoencoder(data_root + '/test.h5')

# FIX (addition): images of another size fail deep inside the network; say so here
if train_set.lshape[1:] != (args.image_size, args.image_size):
    parser.error('the images in %s are %dx%d, but --image_size is %d: pass --image_size %d'
                 % (data_root, train_set.lshape[1], train_set.lshape[2], args.image_size,
                    train_set.lshape[1]))

step_model_generators = [
    models.generate_mlp_ae_stacked_step1_model,  # the first autoencoder
    models.generate_mlp_ae_stacked_step2_model   # the second autoencoder
]
step_encoder_generators = [
    models.generate_mlp_ae_stacked_step1_encoder_model,
    models.generate_mlp_ae_stacked_step2_encoder_model
]  # FIX: the closing bracket is missing in print

input_shape = (3, args.image_size, args.image_size)
save_path = args.save_path or './model.prm'  # FIX: './model' made rfind('.') cut at './'

prev_model = None
for step, step_model_generator in enumerate(step_model_generators):  # FIX: was model_steps
    step_model, cost = step_model_generators[step](input_shape)
    optimizer = None
    if prev_model is not None:
        imported_layers = import_matching_layers(
            prev_model.get_description(get_weights=True), step_model)
        default_optimizer = GradientDescentMomentum(
            0.1, momentum_coef=0.9, wdecay=0.0005)
        optimizers_mapping = {'default': default_optimizer}
        imported_layers_optimizer_params = \
            default_optimizer.get_description().copy()['config']
        imported_layers_optimizer_params['learning_rate'] = 0
        imported_layers_optimizer = \
            GradientDescentMomentum(**imported_layers_optimizer_params)
        optimizers_mapping.update(
            {l: imported_layers_optimizer for l in imported_layers})
        optimizer = MultiOptimizer(optimizers_mapping)
    else:
        optimizer = GradientDescentMomentum(
            0.1, momentum_coef=0.9, wdecay=0.0005)
    # FIX: "model" is step_model here; epochs come from -e as on the printed command line
    callbacks = Callbacks(step_model, eval_set=val_set)
    step_model.fit(train_set, optimizer=optimizer,
                   num_epochs=args.epochs, cost=cost, callbacks=callbacks)
    step_model.save_params(save_path[:save_path.rfind(".")] + ".step_" + str(step) + ".prm")
    # FIX: the listing unpacks (model, cost) into one name and never gives the encoder
    # the weights just trained; section 3.2.5 says they are transferred
    step_encoder, _ = step_encoder_generators[step]()
    import_matching_layers(step_model.get_description(get_weights=True), step_encoder)
    if step + 1 < len(step_model_generators):
        train_set, val_set, input_shape = generate_next_dataset(
            step_encoder, train_set, val_set, save_path, step)
    prev_model = step_model

prev_model.save_params(args.stack_file)
print('Stack of autoencoders saved to %s' % args.stack_file)
