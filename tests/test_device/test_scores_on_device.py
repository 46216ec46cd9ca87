"""Every registered open-set score (and ODIN) fitted and evaluated with the network on a simulated GPU
(tests/helpers/device_rules.py): the training set's feature bank, the final linear layer, the evaluator's reading of
the predictions, all from device tensors."""
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from openmixosr.evaluation import collect_feature_bank
from openmixosr.evaluation.metrics.open_set import OpenSetEvaluator
from openmixosr.evaluation.scores import all_one_pass_scores, build_score, odin_scores
from openmixosr.registry import MODELS
from tests.helpers.device_rules import SimulatedDevice

NUM_CLASSES, PER_CLASS = 4, 16


def _classifier_and_data(tiny_classifier_cfg, open_set_preprocessor_cfg):
    """A tiny classifier and random images labelled with its own predictions, every class ``PER_CLASS`` times (the
    class-pattern scores need correctly classified training samples of every class); the head's bias is centred on
    the images so that every class is predicted."""
    torch.manual_seed(0)
    model = MODELS.build(dict(tiny_classifier_cfg(num_classes=NUM_CLASSES),
                              data_preprocessor=open_set_preprocessor_cfg(NUM_CLASSES)))
    model.init_weights()
    model.eval()
    images = torch.randn(400, 3, 16, 16)
    with torch.no_grad():
        model.head.fc.bias -= model(images, mode='tensor').mean(dim=0)
        predicted = model(images, mode='tensor').argmax(dim=1)
    chosen = torch.cat([torch.nonzero(predicted == c).flatten()[:PER_CLASS] for c in range(NUM_CLASSES)])
    assert len(chosen) == NUM_CLASSES * PER_CLASS
    train = [(images[i], int(predicted[i])) for i in chosen]
    unused = [i for i in range(len(images)) if i not in set(chosen.tolist())]
    test = [(images[i], int(predicted[i]) if n % 2 else -1) for n, i in enumerate(unused[:24])]  # half unknown
    return model, train, test


def _loader(pairs):
    samples = [dict(inputs=image, data_samples=DataSample().set_gt_label(label)) for image, label in pairs]
    return DataLoader(samples, batch_size=16, collate_fn=pseudo_collate)


def test_every_score_fits_and_evaluates_on_a_simulated_gpu(tiny_classifier_cfg, open_set_preprocessor_cfg):
    model, train, test = _classifier_and_data(tiny_classifier_cfg, open_set_preprocessor_cfg)
    simulation = SimulatedDevice()
    simulation.place(model)
    metric = OpenSetEvaluator(scores='all')
    assert set(metric.scores) == {build_score(cfg).name for cfg in all_one_pass_scores()}
    evaluator = Evaluator(metric)
    with simulation:
        metric.fit_scores(model.final_linear(), lambda: collect_feature_bank(model, _loader(train)))
        for batch in _loader(test):
            evaluator.process(data_samples=model.test_step(batch), data_batch=batch)
        results = evaluator.evaluate(len(test))
        images = simulation.to_device(torch.stack([image for image, _ in test]))
        odin = odin_scores(lambda x: model(x, mode='tensor'), images)
    for name in metric.scores:
        assert 0 <= results[f'osr/{name}/auroc'] <= 100, name
    assert results['osr/accuracy'] == 100.0  # the known test samples are labelled with the predictions
    assert odin.shape == (len(test), ) and np.isfinite(odin).all()
