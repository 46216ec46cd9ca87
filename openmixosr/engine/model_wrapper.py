"""Distributed data parallel that also runs on CPU processes (gloo)."""
from mmengine.model import MMDistributedDataParallel

from openmixosr.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAwareDDP(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that drops ``device_ids`` when the model lives on the CPU.

    MMEngine's runner always passes ``device_ids=[LOCAL_RANK]``, which torch rejects for a CPU module. Multi-process
    CPU training (``tools/dist_train.sh`` on a machine without GPUs, gloo backend) needs ``device_ids=None``; on GPUs
    this class behaves exactly like its parent.

    Args:
        module (nn.Module): The model to wrap.
        device_ids (list[int], optional): Devices of a CUDA module; ignored for a CPU module.
        **kwargs: Other arguments of :class:`torch.nn.parallel.DistributedDataParallel`.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        on_cpu = all(param.device.type == 'cpu' for param in module.parameters())
        super().__init__(module=module, device_ids=None if on_cpu else device_ids, **kwargs)
