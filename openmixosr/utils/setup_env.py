"""Import every OpenMixOSR module so its registry decorators run, and set the default scope."""
import warnings

from mmengine.registry import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register OpenMixOSR's (and mmpretrain's) components in the registries.

    Args:
        init_default_scope (bool): Also make ``openmixosr`` the default scope, so that building ``type='X'``
            searches OpenMixOSR first, then mmpretrain and mmengine. Defaults to True.
    """
    import mmpretrain.utils

    mmpretrain.utils.register_all_modules(init_default_scope=False)
    import openmixosr.datasets  # noqa: F401
    import openmixosr.engine  # noqa: F401
    import openmixosr.evaluation  # noqa: F401
    import openmixosr.models  # noqa: F401

    if not init_default_scope:
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope is None:
        DefaultScope.get_instance('openmixosr', scope_name='openmixosr')
    elif current_scope.scope_name != 'openmixosr':
        warnings.warn(f'The current default scope "{current_scope.scope_name}" is not "openmixosr"; '
                      '`register_all_modules` creates a new default scope named "openmixosr".')
        DefaultScope.get_instance(f'openmixosr-{id(object())}', scope_name='openmixosr')
