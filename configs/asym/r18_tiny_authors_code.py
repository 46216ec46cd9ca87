# The two places where the authors' released code differs from the paper (asymmetric distillation Eq. 7-8; see
# docs/asymmetric_distillation.md, "Where we differ"): the non-confusing mixed samples are distilled toward the
# teacher's output on the raw primary sample T(x_i), and relabelling uses the plain mixed label (the smoothing is
# computed but unused).
_base_ = ['./r18_tiny.py']
model = dict(kd_target='raw', relabel_loss=dict(smoothing=False))
