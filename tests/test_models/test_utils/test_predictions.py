"""attach_predictions: logits into data samples (raw logits, softmax scores, top label)."""
import torch

from openmixosr.models import attach_predictions


def test_attach_predictions_values():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 1.0]])
    samples = attach_predictions(logits)
    assert torch.equal(samples[0].pred_logits, logits[0])
    assert samples[1].pred_label.item() == 1
    expected = torch.exp(logits[0]) / torch.exp(logits[0]).sum()
    torch.testing.assert_close(samples[0].pred_score, expected)
