using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Kernels;

namespace PhiSharp;

/// <summary>
/// Which kernel tier this process runs, and the CPU features it was chosen from, so that `phi info`, `phi bench
/// --json` and their readers know what was measured. The tier is the best this CPU runs unless PHISHARP_KERNEL_TIER
/// names another; the features are those the runtime reports, which DOTNET_EnableAVX512=0, DOTNET_EnableAVXVNNI=0
/// or DOTNET_EnableAVX2=0 narrow. The tiers: docs/PERFORMANCE.md, "Kernel tiers".
/// </summary>
public static class KernelTier
{
    /// <summary>The tier in use: scalar, vector128, arm64-neon, arm64-dotprod, x86-avx2, x86-avxvnni, x86-avx512 or x86-avx512-avxvnni.</summary>
    public static string Name => SimdTiers.Active.Name();

    /// <summary>The features the choice looks at that this CPU (as the runtime reports it) has.</summary>
    public static IReadOnlyList<string> CpuFeatures { get; } = new (string Name, bool Supported)[]
    {
        ("sse4.2", Sse42.IsSupported), ("avx2", Avx2.IsSupported), ("fma", Fma.IsSupported),
        ("avx512f", Avx512F.IsSupported), ("avx512bw", Avx512BW.IsSupported), ("avx-vnni", AvxVnni.IsSupported),
        ("advsimd", AdvSimd.IsSupported), ("dotprod", Dp.IsSupported), ("vector128", Vector128.IsHardwareAccelerated),
    }.Where(f => f.Supported).Select(f => f.Name).ToArray();
}
