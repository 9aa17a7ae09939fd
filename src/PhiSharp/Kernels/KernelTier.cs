using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Kernels.Quantized;

namespace PhiSharp;

/// <summary>
/// Which kernel tier this process runs, and the CPU features it was chosen from, so that `phi info`, `phi bench
/// --json` and their readers know what was measured. The choice follows the features the runtime reports, which
/// DOTNET_EnableAVX512=0, DOTNET_EnableAVXVNNI=0 or DOTNET_EnableAVX2=0 narrow.
/// </summary>
public static class KernelTier
{
    /// <summary>
    /// <list type="bullet">
    /// <item><c>x86-avx512</c>: prompts through 16 rows per 512-bit register (pmaddubsw); one-token steps through
    /// 256-bit kernels, with vpdpbusd where there is AVX-VNNI.</item>
    /// <item><c>x86-avxvnni</c>: 256-bit vpdpbusd.</item>
    /// <item><c>x86-avx2</c>: 256-bit pmaddubsw + pmaddwd.</item>
    /// <item><c>vector128</c>: 128-bit vectors (SSE, or NEON on ARM64).</item>
    /// <item><c>scalar</c>: no vectors.</item>
    /// </list>
    /// </summary>
    public static string Name { get; } = Q8Row.BestTier switch
    {
        SimdTier.Vector256 when Q4_0x8.TwoGroupsAtOnce => "x86-avx512",
        SimdTier.Vector256 when AvxVnni.IsSupported => "x86-avxvnni",
        SimdTier.Vector256 => "x86-avx2",
        SimdTier.Vector128 => "vector128",
        _ => "scalar",
    };

    /// <summary>The features the choice looks at that this CPU (as the runtime reports it) has.</summary>
    public static IReadOnlyList<string> CpuFeatures { get; } = new (string Name, bool Supported)[]
    {
        ("sse4.2", Sse42.IsSupported), ("avx2", Avx2.IsSupported), ("fma", Fma.IsSupported),
        ("avx512f", Avx512F.IsSupported), ("avx512bw", Avx512BW.IsSupported), ("avx-vnni", AvxVnni.IsSupported),
        ("advsimd", AdvSimd.IsSupported), ("dotprod", Dp.IsSupported), ("vector128", Vector128.IsHardwareAccelerated),
    }.Where(f => f.Supported).Select(f => f.Name).ToArray();
}
