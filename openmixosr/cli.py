"""``openmixosr COMMAND [ARGS...]``: the tools of ``tools/`` as one console command, from any folder.

Each command runs the tool's own script (the same file as ``python tools/<script>``, with the same arguments), from
the checkout that holds the package or, in an installed package, from the copy the wheel ships in
``openmixosr/.mim/tools`` (as OpenMMLab packages ship theirs). ``openmixosr --help`` lists the commands; ``openmixosr
COMMAND --help`` the options of one. Config arguments may be ``openmixosr::asym/r18_digits.py`` (a config shipped
with the package, :func:`~openmixosr.utils.config.resolve_config`) or a path.
"""
import os
import os.path as osp
import runpy
import sys
from typing import Dict, List, Optional, Tuple

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))

#: Command -> (script under tools/, what it does).
COMMANDS: Dict[str, Tuple[str, str]] = {
    'train': ('train.py', 'train a config (tools/train.py)'),
    'test': ('test.py', 'evaluate a checkpoint on the open-set test set (tools/test.py)'),
    'dist-train': ('dist_train.sh', 'train on N processes with torchrun: CONFIG N [ARGS] (tools/dist_train.sh)'),
    'dist-test': ('dist_test.sh', 'test on N processes: CONFIG CHECKPOINT N [ARGS] (tools/dist_test.sh)'),
    'slurm-train': ('slurm_train.sh', 'train through Slurm: PARTITION JOB CONFIG WORK_DIR (tools/slurm_train.sh)'),
    'table': ('benchmark_table.py', 'train configs on every split and print the paper\'s results table '
              '(tools/benchmark_table.py)'),
    'ablation': ('reproduce_ablation.py', 'train a teacher and the ablation rows, print one table '
                 '(tools/reproduce_ablation.py)'),
    'linear-eval': ('linear_eval_table.py', 'pre-train, linear-evaluate, print one table '
                    '(tools/linear_eval_table.py)'),
    'infer': ('infer.py', 'predict the known class, open-set scores and known / unknown of images, to a CSV '
              '(tools/infer.py)'),
    'plot-curves': ('analysis/plot_osr_curves.py', 'draw ROC / OSCR curves from tools/test.py --out files '
                    '(tools/analysis/plot_osr_curves.py)'),
    'visualize-mix': ('analysis/visualize_mix.py', 'draw the learned mixup masks of a checkpoint '
                      '(tools/analysis/visualize_mix.py)'),
    'paper-rows': ('analysis/paper_rows.py', 'list the paper rows and their configs (tools/analysis/paper_rows.py)'),
    'gpu-check': ('gpu_check.py', 'check every model family on a GPU and write a report (tools/gpu_check.py)'),
}


def tools_dir() -> str:
    """``tools/`` of the checkout holding the package, else the copy shipped in the package (``.mim/tools``).

    Raises:
        FileNotFoundError: When neither exists (a broken installation).
    """
    for candidate in (osp.join(osp.dirname(PACKAGE_DIR), 'tools'), osp.join(PACKAGE_DIR, '.mim', 'tools')):
        if osp.isfile(osp.join(candidate, 'train.py')):
            return candidate
    raise FileNotFoundError(f'No tools next to the package {PACKAGE_DIR} (neither ../tools nor .mim/tools): '
                            'reinstall OpenMixOSR (`pip install openmixosr`).')


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ['usage: openmixosr COMMAND [ARGS...]   (openmixosr COMMAND --help: its options)', '', 'commands:']
    lines += [f'  {name.ljust(width)}  {text}' for name, (_, text) in COMMANDS.items()]
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(usage())
        sys.exit(0 if argv else 2)
    name, arguments = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.exit(f'openmixosr: no command {name!r}\n\n{usage()}')
    script = osp.join(tools_dir(), COMMANDS[name][0])
    if script.endswith('.sh'):
        env = dict(os.environ, PYTHON=os.environ.get('PYTHON', sys.executable))
        os.execvpe('bash', ['bash', script, *arguments], env)
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()
