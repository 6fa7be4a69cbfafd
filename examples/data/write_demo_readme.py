"""Write README.txt into the folder of a `make demo` run: what each file is, and which
accuracy the run reached on which set (recomputed from inference.txt).

    python write_demo_readme.py out/demo
"""
import argparse
import os
import sys

import h5py
import numpy as np

FILES = [
    ('wiki_synthetic/', 'the synthetic IMDB-WIKI release the run starts from (wiki.mat and '
                        'the face images; made by make_synthetic_imdb_wiki.py)'),
    ('data_wiki/', 'train.h5 and test.h5: the faces cropped, resized and split by '
                   'prepare_imdb_wiki.py, as the course scripts read them'),
    ('mlp_stack_final.prm', 'the trained stack of autoencoders (main_train_stack.py); '
                            'the transfer imports its encoder layers'),
    ('model.prm', 'the gender classifier (main_transfer.py), weights and optimizer '
                  'states; load it with Model("model.prm")'),
    ('inference.txt', 'one line per test image: the network\'s two class probabilities '
                      'and the true class (0 female, 1 male)'),
    ('transfer_curves.h5', 'the transfer\'s callback data (-o): train cost per minibatch, '
                           'test cost and accuracy per epoch'),
    ('curves.png', 'the picture of transfer_curves.h5 (python -m neon_compat.visualize)'),
    ('README.txt', 'this file'),
]


def inference_accuracy(path):
    """(correct, total) of the argmax of each line of inference.txt against its target."""
    correct = total = 0
    with open(path) as f:
        next(f)  # the header
        for line in f:
            probabilities, target = line.rsplit(',', 1)
            predicted = int(np.argmax(np.array(probabilities.strip(' []').split(), float)))
            correct += predicted == int(target)
            total += 1
    return correct, total


def split_size(path):
    """(images, side of the square images) of a prepared train.h5 / test.h5."""
    with h5py.File(path, 'r') as f:
        return len(f['input']), int(f['input'].attrs['lshape'][-1])


def human_size(nbytes):
    if nbytes >= 1e6:
        return '%.1f MB' % (nbytes / 1e6)
    return '%.1f KB' % (nbytes / 1e3)


def folder_size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='write_demo_readme.py', description=__doc__)
    parser.add_argument('folder', help='the output folder of make demo')
    args = parser.parse_args(argv)
    folder = args.folder
    inference = os.path.join(folder, 'inference.txt')
    if not os.path.isfile(inference):
        parser.error('%s not found: run the demo first (make demo)' % inference)
    correct, total = inference_accuracy(inference)
    n_train, _ = split_size(os.path.join(folder, 'data_wiki', 'train.h5'))
    n_test, side = split_size(os.path.join(folder, 'data_wiki', 'test.h5'))
    with h5py.File(os.path.join(folder, 'transfer_curves.h5'), 'r') as f:
        epochs = len(f['metrics/Accuracy'])
    lines = [
        'make demo: Practice 4 of the course (stacked autoencoders, then transfer to '
        'gender classification)',
        'on a synthetic IMDB-WIKI release (%d train and %d test faces), cpu backend.'
        % (n_train, n_test),
        '',
        'Result: %.1f%% accuracy on the test set (%d of %d test faces) after %d epochs of '
        'transfer training;' % (100.0 * correct / total, correct, total, epochs),
        'the same figure the run printed as "Accuracy = ...".',
        '',
        'Files:',
    ]
    for name, what in FILES:
        path = os.path.join(folder, name.rstrip('/'))
        size = folder_size(path) if os.path.exists(path) else 0
        lines.append('  %-20s %9s  %s' % (name, human_size(size), what))
    lines += [
        '',
        'Removed after the stack was trained (intermediate): model.step_N.prm (the '
        'checkpoint of each step)',
        'and model_outputs_step0_*.h5 (the encoded faces the second step trains on). '
        'Run the script of',
        'examples/practice4_autoencoders by hand to keep them. The images are %dx%d '
        'to keep this folder' % (side, side),
        'small; the document\'s 128x128: make demo DEMO_SIZE=128.',
        '',
        'The lines "Unable to copy layer # N \'NAME\'" in the output are expected: the '
        'course\'s import_matching_layers',
        'says so for each layer that is new in the network being trained (the second '
        'autoencoder, the',
        'classifier "cls"); those layers start from their initial weights, the others '
        'from the source model.',
    ]
    with open(os.path.join(folder, 'README.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('What each file is: %s' % os.path.join(folder, 'README.txt'))


if __name__ == '__main__':
    sys.exit(main())
