"""The asymmetric distiller with a learned-mask mixer: which losses reach what, per-sample lam, frozen masks."""
import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.algorithms.asymmetric_distiller import confusing_samples
from openmixosr.models.paired_mixers import learned_mask_mixer
from openmixosr.models.utils import mask_mix

# The tiny teacher (ResNet-50, width 4) has 64 channels at layer3.
LEARNED_MIXER = dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlock', in_channels=64, reduction=2,
                                                             upsample='nearest', lam_margin=0.1))


def _grads(module):
    return [param.grad for param in module.parameters() if param.requires_grad]


@pytest.mark.parametrize('draw', ['same', 'independent'])
@pytest.mark.parametrize('cmi', [True, False], ids=['cmi', 'no_cmi'])
def test_generation_loss_reaches_only_the_mix_block_and_the_student_loss_only_the_student(
        build_tiny_distiller, labelled_images, draw, cmi):
    overrides = dict(mixer=LEARNED_MIXER, p_mix=1.0, learned_student_draw=draw)
    if not cmi:
        overrides['cmi_loss'] = None
    model = build_tiny_distiller(**overrides)
    model.train()
    assert model.required_hooks == ('MaskLossScheduleHook', )
    inputs, labels = labelled_images()
    losses = model.mixed_loss(inputs, labels)
    assert {'loss_generation', 'loss_mask', 'mask_std', 'loss_kd', 'loss_relabel'} <= set(losses)
    assert ('loss_cmi' in losses) == cmi
    generation = losses['loss_generation'] + losses['loss_mask']
    generation.backward(retain_graph=True)
    assert all(grad is not None and bool(grad.abs().sum() > 0) for grad in _grads(model.mixer.mix_block))
    assert all(grad is None for grad in _grads(model.student))
    assert all(param.grad is None for param in model.teacher.parameters())
    model.zero_grad(set_to_none=True)
    student_terms = [value for name, value in losses.items() if name in ('loss_kd', 'loss_cmi', 'loss_relabel')]
    sum(student_terms).backward()
    assert all(grad is None for grad in _grads(model.mixer.mix_block))
    assert any(grad is not None for grad in _grads(model.student))
    assert all(param.grad is None for param in model.teacher.parameters())


def test_step_passes_count_the_generation_pass_and_the_independent_draw(build_tiny_distiller):
    same = build_tiny_distiller(mixer=LEARNED_MIXER).step_passes()['mixed'].networks
    assert same['teacher'].forwards == 1 and same['teacher'].input_backwards == 1
    assert same['teacher'].forwards_no_graph == 1 and same['teacher'].partial_forwards_no_graph == 0  # T(x) gives z
    assert same['mix_block'].forwards == 1 and same['mix_block'].backwards == 1
    independent = build_tiny_distiller(mixer=LEARNED_MIXER, learned_student_draw='independent', cmi_loss=None)
    passes = independent.step_passes()['mixed'].networks
    assert passes['teacher'].forwards_no_graph == 1 and passes['teacher'].partial_forwards_no_graph == 1
    assert passes['mix_block'].forwards_no_graph == 1
    assert build_tiny_distiller().required_hooks == ()  # CutMix trains nothing


def test_relabel_and_kd_use_each_samples_own_share_of_a_known_mask(build_tiny_distiller, labelled_images,
                                                                    monkeypatch):
    # A known mask: sample n keeps the first w_n of 16 columns of x_n, so lam_n = w_n / 16.
    model = build_tiny_distiller(mixer=LEARNED_MIXER, p_mix=1.0, cmi_loss=None)
    model.train()
    inputs, labels = labelled_images()
    widths = torch.tensor([16, 12, 8, 4, 2, 10, 6, 14])
    s = (torch.arange(16)[None, :] < widths[:, None]).float()[:, None, None, :].expand(8, 1, 16, 16)
    known = torch.cat([s, 1 - s], dim=1)
    index = torch.tensor([1, 2, 3, 0, 5, 6, 7, 4])

    def known_mask(features, lam, pairing, out_size):
        anchor = sum(param.sum() for param in model.mixer.mix_block.parameters()) * 0  # keeps a graph
        return dict(mask=known + anchor, raw_mask=known + anchor, attention=None)

    monkeypatch.setattr(model.mixer.mix_block, 'forward', known_mask)
    monkeypatch.setattr(learned_mask_mixer, 'random_pairing', lambda n, device=None: index)
    losses = model.mixed_loss(inputs, labels)

    lam = widths.float() / 16
    mixed = mask_mix(inputs, known, index)
    with torch.no_grad():
        student = model.student.head(model.student.extract_feat(mixed))
        teacher = model.teacher.head(model.teacher.extract_feat(mixed))
    confusing = confusing_samples(teacher, labels, index)
    assert bool(confusing.any()) and bool((~confusing).sum() >= 2), 'the seed must give both kinds of samples'
    onehot = F.one_hot(labels, 4).float()
    target = 0.5 / 4 + 0.5 * (lam[:, None] * onehot + (1 - lam[:, None]) * onehot[index])  # relabel target, per lam_n
    expected_relabel = -(target * F.log_softmax(student, dim=1)).sum(dim=1)[confusing].mean()
    assert losses['loss_relabel'].item() == pytest.approx(expected_relabel.item(), rel=1e-5)
    assert losses['loss_kd'].item() == pytest.approx(model.kd_loss(student[~confusing], teacher[~confusing]).item(),
                                                     rel=1e-5)
    assert losses['relabel_fraction'].item() == pytest.approx(confusing.float().mean().item())


def test_frozen_mixer_from_an_automix_checkpoint_trains_nothing_of_its_own(build_tiny_distiller, build_tiny_automix,
                                                                          tiny_resnet_cfg, labelled_images, tmp_path):
    automix = build_tiny_automix()
    torch.save({'state_dict': automix.state_dict(), 'meta': {}}, tmp_path / 'automix.pth')
    frozen = dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlock', in_channels=32),
                  checkpoint=str(tmp_path / 'automix.pth'), encoder=tiny_resnet_cfg(), mix_layer='layer3')
    model = build_tiny_distiller(mixer=frozen, p_mix=1.0)
    assert model.required_hooks == () and not model.mixer_needs_teacher_features
    model.train()
    inputs, labels = labelled_images()
    before = {name: value.clone() for name, value in model.mixer.state_dict().items()}
    losses = model.mixed_loss(inputs, labels)
    assert 'loss_generation' not in losses
    sum(value for name, value in losses.items() if name.startswith('loss')).backward()
    assert all(param.grad is None for param in model.mixer.parameters())
    assert all(torch.equal(before[name], value) for name, value in model.mixer.state_dict().items())
    # init_weights leaves the loaded Mix Block alone
    model.init_weights()
    assert all(torch.equal(before[name], value) for name, value in model.mixer.state_dict().items())


def test_an_independent_draw_needs_a_trained_learned_mixer(build_tiny_distiller):
    with pytest.raises(ValueError, match="learned_student_draw='independent' needs a trained learned mixer"):
        build_tiny_distiller(learned_student_draw='independent')  # CutMix
