#!/usr/bin/env python
"""Practice 3: transfer learning from VGG-16 to gender classification on IMDB-WIKI.

The course's main_transfer.py, assembled from the Practice 3 document (sections
3.2-3.3); fixes of print errors are marked "FIX". The three experiments of section
3.3.4 are chosen with --experiment (added):

  structure   the VGG-16 structure trained from random weights (no --source_model)
  finetune    imported layers trained with base_lr * 0.001 (the default with a source)
  features    imported layers frozen (learning rate 0): a feature extractor

    python main_transfer.py -b cpu -e 10 -z 32 --data_root data_wiki \\
        --serialize 5 --save_path model.prm --source_model VGG_D.p
"""
from neon.callbacks.callbacks import Callbacks
from neon.data import HDF5IteratorOneHot
from neon.optimizers import GradientDescentMomentum, MultiOptimizer
from neon.transforms import Accuracy
from neon.util.argparser import NeonArgparser
from neon.util.persist import load_obj

import tl_models as models  # FIX: the document's file is models/tl_models.py
from transfer_utils import import_matching_layers, save_inference

IMPORTED_LR_SCALE = {'structure': 1.0, 'finetune': 0.001, 'features': 0.0}

parser = NeonArgparser(__doc__, default_overrides={'eval_freq': 1})  # FIX: see Callbacks
parser.add_argument('--data_root', default='./data_wiki')
parser.add_argument('--source_model', default=None)
parser.add_argument('--experiment', choices=sorted(IMPORTED_LR_SCALE), default=None,
                    help='structure, finetune or features (default: finetune with '
                         '--source_model, structure without)')
args = parser.parse_args()
experiment = args.experiment or ('finetune' if args.source_model else 'structure')
if experiment != 'structure' and args.source_model is None:
    parser.error('--experiment %s needs --source_model' % experiment)

data_root = args.data_root
train_set = HDF5IteratorOneHot(data_root + '/train.h5')
test_set = HDF5IteratorOneHot(data_root + '/test.h5')

model, cost = models.generate_vgg_16_transfer_model()

imported_layers = []  # FIX: printed as "Imported_layers"
if (args.source_model is not None) and experiment != 'structure':
    pretrained_model = load_obj(args.source_model)
    # FIX: configure first, so that a layer of another shape fails before it is reported
    # as copied
    model.layers.configure(train_set)
    imported_layers = import_matching_layers(pretrained_model, model)

base_lr = 0.001
default_optimizer = GradientDescentMomentum(
    base_lr, momentum_coef=0.9, wdecay=0.0005)
optimizers_mapping = {'default': default_optimizer}
imported_layers_optimizer_params = \
    default_optimizer.get_description().copy()['config']
imported_layers_optimizer_params['learning_rate'] = base_lr * IMPORTED_LR_SCALE[experiment]
imported_layers_optimizer = \
    GradientDescentMomentum(**imported_layers_optimizer_params)
optimizers_mapping.update(
    {l: imported_layers_optimizer for l in imported_layers})
optimizer = MultiOptimizer(optimizers_mapping)
print('Experiment: %s, %d imported layers' % (experiment, len(imported_layers)))

# FIX: the document's Callbacks(model) ignores --serialize/--save_path of its command line
# FIX (addition): the test cost and accuracy after every epoch (-eval N to change)
callbacks = Callbacks(model, eval_set=test_set, metric=Accuracy(), **args.callback_args)
model.fit(train_set, optimizer=optimizer,
          num_epochs=args.epochs, cost=cost, callbacks=callbacks)

accuracy = model.eval(test_set, metric=Accuracy())
print('Accuracy = %.1f%%' % (accuracy * 100))

outputs = model.get_outputs(test_set)
save_inference('inference.txt', outputs, test_set)
