"""OpenMixOSR's runner: strict, explained checkpoint loading and checks that fail before the first epoch."""
import difflib
import os
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner, load_state_dict

from openmixosr.registry import RUNNERS
from openmixosr.utils.checkpoint_io import load_checkpoint_file, strip_revise_keys
from .checkpoint_compat import (KnownClassesMismatchError, automix_to_classifier, check_state_dict, checkpoint_kind,
                                known_classes_mismatch, select_prefix)
from .hooks.runner_model import runner_model
from .start_checks import check_required_hooks, open_set_data_problem, schedule_problems, sync_bn_problem

#: ``load_cfg`` (a top-level config key): how checkpoints are loaded into the model (``load_from``, ``--resume``,
#: ``tools/test.py``).
LOAD_CFG_DEFAULTS = dict(strict=True, prefix=None, allow_other_classes=False)


def load_settings(cfg: Optional[dict]) -> dict:
    """``LOAD_CFG_DEFAULTS`` updated with the config's ``load_cfg``.

    Raises:
        ValueError: For a key ``load_cfg`` does not have.
    """
    settings = dict(LOAD_CFG_DEFAULTS)
    for key, value in dict(cfg or {}).items():
        if key not in settings:
            close = difflib.get_close_matches(key, settings, n=1)
            raise ValueError(f'load_cfg has no key {key!r}' + (f' (did you mean {close[0]!r}?)' if close else '') +
                           f'; its keys are {sorted(settings)}.')
        settings[key] = value
    return settings


@RUNNERS.register_module()
class OpenMixOSRRunner(Runner):
    """MMEngine's ``Runner`` that loads checkpoints strictly and checks the run before its first epoch.

    ``tools/train.py`` and ``tools/test.py`` build it (unless the config names another ``runner_type``).

    **Loading** (``load_from``, ``--resume``, ``tools/test.py``; MMEngine routes all three through
    :meth:`load_checkpoint`) reads a local file with ``torch.load(weights_only=True)``
    (:func:`~openmixosr.utils.checkpoint_io.load_checkpoint_file`: tensors, numpy data and builtin containers only; the
    message hub history of a plain MMEngine checkpoint is left out), and loads it as the top-level ``load_cfg`` says
    (:data:`LOAD_CFG_DEFAULTS`):

    - ``strict=True``: every entry of the model must come from the checkpoint and every entry of the checkpoint must
      fit the model; otherwise :class:`~openmixosr.engine.checkpoint_compat.CheckpointMismatchError` says what is
      missing, what the checkpoint is (an AsymmetricDistiller, AutoMix, self-supervised or classifier checkpoint)
      and what to do. MMEngine loads non-strictly: a distiller checkpoint evaluated with a classifier config scored
      an untrained network. ``strict=False`` (``tools/test.py --no-strict``) loads what fits, with MMEngine's log of
      the rest.
    - ``prefix='student.'``: load only the entries under the prefix (e.g. a distiller's student into a classifier).
    - An AutoMix / AMix checkpoint loaded into a classifier gives it the network the AutoMix config evaluates: the
      momentum network ``k`` (``eval_network='momentum'``, the default) or ``q``; the log says which.
    - Known classes: the checkpoint's ``meta.dataset_meta.classes`` are compared with those of the data it is used
      on. A mismatch is an error when testing, validating or resuming (``allow_other_classes=True``,
      ``--allow-other-classes``, makes it a warning) and a warning for ``load_from`` in training (fine-tuning on other
      classes is legitimate).

    **Before the first epoch** (``train``, ``val``, ``test``): every parameter scheduler must begin before
    ``max_epochs`` (:func:`~openmixosr.engine.start_checks.schedule_problems`); no SyncBatchNorm in a module that
    only some steps run (:func:`~openmixosr.engine.start_checks.sync_bn_problem`); the known classes of the checkpoints
    the model was built from (e.g. the distiller's teacher, ``model.source_dataset_metas``) must match those of the
    training set (same ``allow_other_classes`` escape); an open-set evaluator needs known and unknown samples in its
    data.
    """

    stage: Optional[str] = None  #: 'train', 'val' or 'test' while the corresponding method runs
    resuming: bool = False  #: True while :meth:`resume` loads a checkpoint

    @property
    def load_cfg(self) -> dict:
        return load_settings(self.cfg.get('load_cfg'))

    def _unwrapped_model(self):
        return runner_model(self)

    # ---------------------------------------------------------------------------------------------------- stages
    def train(self):
        self.stage = 'train'
        problems = schedule_problems(self.cfg)
        if problems:
            raise ValueError('\n'.join(problems))
        if self.train_loop is not None:
            check_required_hooks(self.model, self.hooks)
            problem = sync_bn_problem(self.model) if self.world_size > 1 else None
            if problem:
                raise ValueError(problem)
            self._check_source_classes()
            self._check_evaluation_data(self.val_loop, 'validation', 'val')
        return super().train()

    def val(self):
        self.stage = 'val'
        self._check_evaluation_data(self.val_loop, 'validation', 'val')
        return super().val()

    def test(self):
        self.stage = 'test'
        self._check_evaluation_data(self.test_loop, 'test', 'test')
        return super().test()

    def set_randomness(self, seed, diff_rank_seed: bool = False, deterministic: bool = False) -> None:
        """MMEngine's seeding; with ``randomness.deterministic=True`` also the cuBLAS setting that it needs on a GPU.

        MMEngine then sets ``cudnn.deterministic``, turns cuDNN's autotuning off and calls
        ``torch.use_deterministic_algorithms(True)``, under which cuBLAS refuses every matrix product unless the
        environment variable ``CUBLAS_WORKSPACE_CONFIG`` is ``:4096:8`` or ``:16:8`` before the first one. It is set
        here (``:4096:8``) when the environment has none, so a deterministic run starts on a GPU instead of failing at
        its first linear layer. What determinism costs, and the operations torch has no deterministic CUDA kernel for
        (they raise), are in docs/gpu.md.
        """
        if deterministic:
            os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
        super().set_randomness(seed, diff_rank_seed=diff_rank_seed, deterministic=deterministic)

    def resume(self, filename: str, *args, **kwargs) -> None:
        self.resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self.resuming = False

    # ---------------------------------------------------------------------------------------------------- checks
    def _check_evaluation_data(self, loop, name: str, key: str) -> None:
        if loop is None:
            return
        problem = open_set_data_problem(loop.dataloader.dataset, loop.evaluator, name, f'{key}_dataloader.dataset')
        if problem:
            raise ValueError(problem)

    def _classes_mismatch(self, message: str, fatal: bool) -> None:
        if fatal and not self.load_cfg['allow_other_classes']:
            raise KnownClassesMismatchError(
                f'{message} If this is on purpose, pass --allow-other-classes (`--cfg-options '
                f'load_cfg.allow_other_classes=True`).')
        self.logger.warning(message)

    def _check_source_classes(self) -> None:
        """The checkpoints the model was built from (``model.source_dataset_metas``) against the training set."""
        sources = getattr(self._unwrapped_model(), 'source_dataset_metas', None) or {}
        metainfo = getattr(self.train_dataloader.dataset, 'metainfo', None)
        for what, dataset_meta in sources.items():
            message = known_classes_mismatch(dataset_meta, metainfo, what, 'the training set of this config')
            if message:
                self._classes_mismatch(message, fatal=True)

    def _dataset_of_stage(self):
        loop = {'train': 'train_loop', 'val': 'val_loop', 'test': 'test_loop'}.get(self.stage)
        loop = getattr(self, loop) if loop else None
        return None if loop is None else loop.dataloader.dataset

    def _check_checkpoint_classes(self, meta: dict, filename: str) -> None:
        dataset = self._dataset_of_stage()
        where = {'train': 'the training set', 'val': 'the validation set', 'test': 'the test set'}.get(self.stage)
        message = known_classes_mismatch(meta.get('dataset_meta'), getattr(dataset, 'metainfo', None),
                                         f'Checkpoint {filename}', f'{where} of this config')
        if message is None:
            return
        fine_tuning = self.stage == 'train' and not self.resuming
        if fine_tuning:
            message += ' Loaded anyway (load_from in training: fine-tuning on other classes).'
        self._classes_mismatch(message, fatal=not fine_tuning)

    # ---------------------------------------------------------------------------------------------------- loading
    def load_checkpoint(self, filename: str, map_location='cpu', strict: Optional[bool] = None,
                        revise_keys=((r'^module\.', ''), )):
        """Load a checkpoint into the model as ``load_cfg`` says (see the class docstring).

        Args:
            filename (str): The checkpoint: a local path (loaded weights-only) or a URL.
            map_location: Same as :func:`torch.load`. Defaults to ``'cpu'``.
            strict (bool, optional): Overrides ``load_cfg.strict`` when given.
            revise_keys (Sequence[tuple]): ``(pattern, replacement)`` applied to the checkpoint's keys.
                Defaults to dropping a leading ``module.``.

        Returns:
            dict: The checkpoint.
        """
        settings = self.load_cfg
        strict = settings['strict'] if strict is None else strict
        checkpoint = load_checkpoint_file(filename, map_location=map_location, logger=self.logger)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
        model = self._unwrapped_model()
        state_dict = strip_revise_keys(checkpoint.get('state_dict', checkpoint), revise_keys)
        if settings['prefix']:
            state_dict = select_prefix(state_dict, settings['prefix'])
        elif checkpoint_kind(state_dict) == 'AutoMix' and checkpoint_kind(model.state_dict()) == 'classifier':
            try:
                state_dict, note = automix_to_classifier(state_dict, meta.get('cfg'))
                self.logger.info(note)
            except ValueError as error:  # parts of k and q do not match: the strict check explains the rest
                self.logger.warning(f'Could not extract the evaluated network of the AutoMix checkpoint: {error}')
        if strict:
            check_state_dict(model, state_dict, filename, meta)
        self._check_checkpoint_classes(meta, filename)
        load_state_dict(model, state_dict, strict=strict, logger=self.logger)
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


    # ---------------------------------------------------------------------------------------------------- scores
    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        """MMEngine's hooks plus :class:`~openmixosr.evaluation.FitOpenSetScoresHook` (unless the config has it),
        which fits the evaluators' open-set scores (final linear layer, training-set features with the test pipeline)
        before each validation / test epoch; it does nothing for evaluators without ``scores``."""
        super().register_hooks(default_hooks, custom_hooks)
        from openmixosr.evaluation import FitOpenSetScoresHook
        if not any(isinstance(hook, FitOpenSetScoresHook) for hook in self.hooks):
            self.register_hook(FitOpenSetScoresHook())


def build_runner(cfg: Config) -> Runner:
    """The runner of a config: ``runner_type`` when the config names one, :class:`OpenMixOSRRunner` otherwise."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return OpenMixOSRRunner.from_cfg(cfg)
