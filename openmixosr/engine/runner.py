"""OpenMixOSR's runner: strict, explained checkpoint loading and checks that fail before the first epoch."""
import os
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from openmixosr.models.contracts import BuiltFromCheckpoints, EvaluatedWeights
from openmixosr.registry import RUNNERS
from .checkpoint_loading import DEFAULT_REVISE_KEYS, check_checkpoint_classes, load_checked_checkpoint, load_settings
from .hooks.runner_model import runner_model
from .run_config import RunConfig
from .start_checks import (check_required_hooks, model_contract_problem, open_set_data_problem, schedule_problems,
                           sync_bn_problem)


@RUNNERS.register_module()
class OpenMixOSRRunner(Runner):
    """MMEngine's ``Runner`` that loads checkpoints strictly and checks the run before its first epoch.

    ``tools/train.py`` and ``tools/test.py`` build it (unless the config names another ``runner_type``).

    **Loading** (``load_from``, ``--resume``, ``tools/test.py``; MMEngine routes all three through
    :meth:`load_checkpoint`, which calls :func:`~openmixosr.engine.checkpoint_loading.load_checked_checkpoint`) reads
    a local file with ``torch.load(weights_only=True)``
    (:func:`~openmixosr.utils.checkpoint_io.load_checkpoint_file`: tensors, numpy data and builtin containers only; the
    message hub history of a plain MMEngine checkpoint is left out), and loads it as the top-level ``load_cfg`` says
    (:data:`~openmixosr.engine.checkpoint_loading.LOAD_CFG_DEFAULTS`):

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
      classes is legitimate). A checkpoint that records no classes (a plain ``state_dict``) cannot be checked: when
      testing, validating or resuming, a warning says so, and the evaluator of the stage gets it as a caveat
      (:class:`~openmixosr.evaluation.metrics.open_set.TakesResultCaveats`: ``OpenSetEvaluator`` prints it, marked
      ``!!``, in its results table).

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
        problem = model_contract_problem(self.model, loop.evaluator, name)
        if problem:
            raise TypeError(problem)
        problem = open_set_data_problem(loop.dataloader.dataset, loop.evaluator, name, f'{key}_dataloader.dataset')
        if problem:
            raise ValueError(problem)

    def _check_source_classes(self) -> None:
        """The checkpoints the model was built from (``model.source_dataset_metas``) against the training set."""
        model = self._unwrapped_model()
        sources = model.source_dataset_metas if isinstance(model, BuiltFromCheckpoints) else {}
        metainfo = getattr(self.train_dataloader.dataset, 'metainfo', None)
        for what, dataset_meta in sources.items():
            note = check_checkpoint_classes(dataset_meta, metainfo, what, 'the training set of this config',
                                            allow_other_classes=self.load_cfg['allow_other_classes'],
                                            logger=self.logger)
            if note:
                self.logger.warning(note)

    def _loop_of_stage(self):
        name = {'train': 'train_loop', 'val': 'val_loop', 'test': 'test_loop'}.get(self.stage)
        return getattr(self, name) if name else None

    def _check_checkpoint_classes(self, dataset_meta: Optional[dict], filename: str) -> None:
        """The known classes of a loaded checkpoint against those of the data of the stage (see the class docstring):
        an error, a warning, or, when the checkpoint records none, a warning and a caveat for the stage's
        evaluator."""
        loop = self._loop_of_stage()
        metainfo = None if loop is None else getattr(loop.dataloader.dataset, 'metainfo', None)
        where = {'train': 'the training set', 'val': 'the validation set', 'test': 'the test set'}.get(self.stage)
        fine_tuning = self.stage == 'train' and not self.resuming
        note = check_checkpoint_classes(dataset_meta, metainfo, f'Checkpoint {filename}', f'{where} of this config',
                                        allow_other_classes=self.load_cfg['allow_other_classes'],
                                        fine_tuning=fine_tuning, logger=self.logger)
        if note is None or fine_tuning:
            return
        self.logger.warning(note)
        if self.stage in ('val', 'test'):
            from openmixosr.evaluation import TakesResultCaveats
            for metric in loop.evaluator.metrics:
                if isinstance(metric, TakesResultCaveats):
                    metric.add_caveat(note)

    # ---------------------------------------------------------------------------------------------------- loading
    def load_checkpoint(self, filename: str, map_location='cpu', strict: Optional[bool] = None,
                        revise_keys=DEFAULT_REVISE_KEYS):
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
        checkpoint = load_checked_checkpoint(
            self._unwrapped_model(),
            filename,
            check_classes=lambda dataset_meta: self._check_checkpoint_classes(dataset_meta, filename),
            strict=settings['strict'] if strict is None else strict,
            prefix=settings['prefix'],
            map_location=map_location,
            revise_keys=revise_keys,
            after_read=lambda read: self.call_hook('after_load_checkpoint', checkpoint=read),
            logger=self.logger)
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def save_checkpoint(self, out_dir: str, filename: str, *args, meta: Optional[dict] = None, **kwargs) -> None:
        """MMEngine's ``save_checkpoint``, with what the model states about itself in ``meta``: ``model_type`` and
        ``evaluated_weights`` (:class:`~openmixosr.models.contracts.EvaluatedWeights`; None for a model without a
        classifier), so that loading never guesses from key names."""
        model = self._unwrapped_model()
        meta = dict(meta or {}, model_type=type(model).__name__,
                    evaluated_weights=model.evaluated_weights() if isinstance(model, EvaluatedWeights) else None)
        super().save_checkpoint(out_dir, filename, *args, meta=meta, **kwargs)

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
    """The runner of a config: ``runner_type`` when the config names one, :class:`OpenMixOSRRunner` otherwise (holding
    the config as a :class:`~openmixosr.engine.run_config.RunConfig`)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return OpenMixOSRRunner.from_cfg(RunConfig.of(cfg))
