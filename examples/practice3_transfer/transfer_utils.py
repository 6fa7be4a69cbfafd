"""The course's transfer-learning helpers, as printed in the Practice 3 document
(sections 3.2.5 and 3.2.8); Practice 4 uses them again."""
import numpy as np


def import_matching_layers(source_model, target_model):
    source_model_layers = {l['config']['name']: l
                           for l in source_model['model']['config']['layers']}
    print("Source model has layers:", source_model_layers.keys())
    imported_layers = []
    target_model_layers = target_model.layers.layers
    for i, target_layer in enumerate(target_model_layers):
        if not target_layer.has_params:  # FIX: nothing to copy (not an error to report)
            continue
        target_layer_desc = target_layer.get_description()
        source_layer = \
            source_model_layers.get(target_layer_desc['config']['name'])
        if (source_layer is not None):
            target_layer.load_weights(source_layer)
            imported_layers.append(target_layer.name)
            print("Successfully copied layer # %d '%s'"
                  % (i, target_layer.name))
        else:
            print("Unable to copy layer # %d '%s'"
                  % (i, target_layer.name))
    if not imported_layers:  # FIX: say loudly that training starts from scratch
        print("WARNING: no layer of the network has the name of a layer of the source "
              "model: nothing was imported, the network trains from its random initial "
              "weights")
    return imported_layers


def save_inference(output_file_name, outputs, subset):
    with open(output_file_name, 'w') as output_file:
        output_file.write('inference, target\n')
        outputs_iter = iter(outputs)
        subset.reset()  # FIX: get_outputs left the iterator mid-set (wrap-around); start over
        try:
            for dataset_batch in subset:
                targets = np.transpose(dataset_batch[1].get())
                for target in targets:
                    output = next(outputs_iter)
                    target_class = np.argmax(target, axis=0)
                    output_file.write('%s, %s\n' % (output, target_class))
        except StopIteration as e:  # the last batch might be incomplete
            pass
        output_file.close()
