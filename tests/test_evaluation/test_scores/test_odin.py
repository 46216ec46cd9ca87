"""ODIN: the perturbation's sign against finite differences of the loss, and the score by hand."""
import numpy as np
import torch

from openmixosr.evaluation.scores import odin_perturb, odin_scores


def tiny_network():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double().eval()


def test_perturbation_steps_against_the_finite_difference_gradient_of_the_prediction_loss():
    network = tiny_network()
    inputs = torch.randn(2, 4, dtype=torch.float64)
    temperature, epsilon, step = 10.0, 0.01, 1e-6
    perturbed = odin_perturb(network, inputs, temperature, epsilon)
    with torch.no_grad():
        predicted = network(inputs).argmax(dim=1)

        def loss(x, row):  # -log S_yhat(x; T) of one sample, the prediction held fixed
            return -torch.log_softmax(network(x[None]) / temperature, dim=1)[0, predicted[row]].item()

        for row in range(2):
            for unit in range(4):
                offset = torch.zeros(4, dtype=torch.float64)
                offset[unit] = step
                slope = (loss(inputs[row] + offset, row) - loss(inputs[row] - offset, row)) / (2 * step)
                change = (perturbed[row, unit] - inputs[row, unit]).item()
                assert abs(abs(change) - epsilon) < 1e-12
                assert np.sign(change) == -np.sign(slope), (row, unit, slope, change)


def test_scores_are_the_max_scaled_softmax_of_the_perturbed_inputs_and_the_step_raises_them():
    network = tiny_network()
    inputs = torch.randn(5, 4, dtype=torch.float64)
    scores = odin_scores(network, inputs, temperature=1000.0, epsilon=0.0014)
    with torch.no_grad():
        perturbed_logits = network(odin_perturb(network, inputs, 1000.0, 0.0014)).numpy() / 1000.0
        plain_logits = network(inputs).numpy() / 1000.0
    probabilities = np.exp(perturbed_logits) / np.exp(perturbed_logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(scores, probabilities.max(axis=1), rtol=1e-12)
    plain = (np.exp(plain_logits) / np.exp(plain_logits).sum(axis=1, keepdims=True)).max(axis=1)
    assert (scores > plain).all()


def test_odin_works_inside_no_grad_and_leaves_the_inputs_alone():
    network = tiny_network()
    inputs = torch.randn(3, 4, dtype=torch.float64)
    copy = inputs.clone()
    with torch.no_grad():
        scores = odin_scores(network, inputs)
    assert scores.shape == (3, ) and np.isfinite(scores).all()
    assert torch.equal(inputs, copy)
