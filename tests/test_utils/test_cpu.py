"""CPU detection for the bfloat16 fast path (--amp on CPU)."""
from openmixosr.utils.cpu import describe_cpu, has_native_bf16, read_cpuinfo

AVX2_ONLY = 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2690 v4\nflags\t\t: fpu sse2 avx avx2 fma\n\n'
SAPPHIRE_RAPIDS = ('processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n'
                   'flags\t\t: avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n\n')
GRAVITON3 = 'processor\t: 0\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd sve bf16 i8mm\nCPU implementer\t: 0x41\n\n'


def _info(tmp_path, text):
    path = tmp_path / 'cpuinfo'
    path.write_text(text)
    return read_cpuinfo(str(path))


def test_native_bf16_from_cpuinfo_flags(tmp_path):
    assert has_native_bf16(_info(tmp_path, AVX2_ONLY)) is False
    assert has_native_bf16(_info(tmp_path, SAPPHIRE_RAPIDS)) is True
    assert has_native_bf16(_info(tmp_path, GRAVITON3)) is True


def test_description_names_the_cpu_and_its_bf16_support(tmp_path):
    assert describe_cpu(_info(tmp_path, AVX2_ONLY)) == (
        'Intel(R) Xeon(R) CPU E5-2690 v4 (no native bfloat16: no avx512_bf16 / amx_bf16)')
    assert describe_cpu(_info(tmp_path, SAPPHIRE_RAPIDS)).endswith('(native bfloat16: amx_bf16, avx512_bf16)')


def test_no_cpuinfo_is_unknown(tmp_path):
    assert read_cpuinfo(str(tmp_path / 'missing')) is None
