using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PhiSharp.Kernels;

/// <summary>
/// The kernel tiers: which vector width and which integer multiply-add the quantized kernels use. One is chosen per
/// process (<see cref="SimdTiers.Active"/>); tests and benchmarks name any the CPU supports. Names are what `phi info`
/// and `phi bench --json` report (docs/PERFORMANCE.md, "Kernel tiers"):
/// <list type="bullet">
/// <item><c>scalar</c>: no vectors; the reference every other tier is tested against.</item>
/// <item><c>vector128</c>: portable 128-bit vectors (SSE on x86, NEON on ARM64).</item>
/// <item><c>arm64-neon</c>: ARM64 with AdvSimd (NEON): 128-bit kernels that read the interleaved layouts 4 rows per
/// register, byte products through SMULL + SADALP + ADDP.</item>
/// <item><c>arm64-dotprod</c>: the arm64-neon kernels with SDOT (AdvSimd and Dp, ARMv8.2 dot product).</item>
/// <item><c>x86-avx2</c>: 256-bit, products through pmaddubsw + pmaddwd.</item>
/// <item><c>x86-avxvnni</c>: 256-bit, products through vpdpbusd (AVX-VNNI).</item>
/// <item><c>x86-avx512</c>: calls of 8 tokens or more (prompts) in tiles of 4 tokens, 16 rows per 512-bit register
/// (AVX-512BW pmaddubsw); fewer tokens (decode steps of 1–7 sequences) as x86-avx2, but with GFNI's affine byte
/// transforms for bit moves and Q6_K's one-token offset sums in 512 bits.</item>
/// <item><c>x86-avx512-avxvnni</c>: 8 tokens or more as x86-avx512; fewer as x86-avxvnni, with x86-avx512's GFNI and
/// offset paths.</item>
/// </list>
/// The order is the order of preference within an architecture.
/// </summary>
internal enum SimdTier { Scalar, Vector128, Arm64Neon, Arm64DotProd, Avx2, AvxVnni, Avx512, Avx512AvxVnni }

/// <summary>Names, support and the one choice of <see cref="SimdTier"/> per process.</summary>
internal static class SimdTiers
{
    /// <summary>The environment variable that names the tier to run (benchmarks; unset: the best supported).</summary>
    public const string Variable = "PHISHARP_KERNEL_TIER";

    static readonly SimdTier[] All = Enum.GetValues<SimdTier>();

    public static string Name(this SimdTier tier) => tier switch
    {
        SimdTier.Scalar => "scalar",
        SimdTier.Vector128 => "vector128",
        SimdTier.Arm64Neon => "arm64-neon",
        SimdTier.Arm64DotProd => "arm64-dotprod",
        SimdTier.Avx2 => "x86-avx2",
        SimdTier.AvxVnni => "x86-avxvnni",
        SimdTier.Avx512 => "x86-avx512",
        _ => "x86-avx512-avxvnni",
    };

    /// <summary>Whether this CPU, as the runtime reports it (DOTNET_EnableAVX512=0 and the like narrow it), runs the tier.</summary>
    public static bool IsSupported(this SimdTier tier) => tier switch
    {
        SimdTier.Scalar => true,
        SimdTier.Vector128 => Vector128.IsHardwareAccelerated,
        SimdTier.Arm64Neon => AdvSimd.Arm64.IsSupported,
        SimdTier.Arm64DotProd => AdvSimd.Arm64.IsSupported && Dp.IsSupported,
        SimdTier.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        SimdTier.AvxVnni => Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported,
        SimdTier.Avx512 => Avx2.IsSupported && Fma.IsSupported && Avx512BW.IsSupported,
        _ => Avx2.IsSupported && Fma.IsSupported && Avx512BW.IsSupported && AvxVnni.IsSupported,
    };

    /// <summary>Every tier this CPU runs, narrowest first: the kernel tests run each of them.</summary>
    public static IReadOnlyList<SimdTier> Supported { get; } = All.Where(IsSupported).ToArray();

    /// <summary>The tier this CPU runs best: the last supported one.</summary>
    public static SimdTier Best => Supported[^1];

    static SimdTier? s_active;

    /// <summary>The tier of this process: the one <see cref="Variable"/> names, else <see cref="Best"/>. Chosen at its first
    /// use (model load); a name that is unknown or that this CPU cannot run is an <see cref="ArgumentException"/>.</summary>
    public static SimdTier Active => s_active ??= Select(Environment.GetEnvironmentVariable(Variable));

    /// <summary>The tier <paramref name="name"/> names (unset or empty: <see cref="Best"/>), if this CPU runs it.</summary>
    public static SimdTier Select(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return Best;
        string supported = string.Join(", ", Supported.Select(t => t.Name()));
        var tier = All.FirstOrDefault(t => t.Name() == name.Trim().ToLowerInvariant(), (SimdTier)(-1));
        if (tier < 0)
            throw new ArgumentException($"{Variable}={name} is not a kernel tier; the tiers are {string.Join(", ", All.Select(t => t.Name()))} (this CPU: {supported}).");
        if (!tier.IsSupported())
            throw new ArgumentException($"{Variable}={name}: this CPU cannot run that kernel tier; it runs {supported}.");
        return tier;
    }

    /// <summary>Runs <paramref name="work"/> at <paramref name="tier"/>'s type: the only switch over tiers.</summary>
    public static void Run<TWork>(this SimdTier tier, ref TWork work) where TWork : struct, ITierWork
    {
        switch (tier)
        {
            case SimdTier.Scalar: work.Run<Tier.Scalar>(); break;
            case SimdTier.Vector128: work.Run<Tier.Vector128>(); break;
            case SimdTier.Arm64Neon: work.Run<Tier.Arm64Neon>(); break;
            case SimdTier.Arm64DotProd: work.Run<Tier.Arm64DotProd>(); break;
            case SimdTier.Avx2: work.Run<Tier.Avx2>(); break;
            case SimdTier.AvxVnni: work.Run<Tier.AvxVnni>(); break;
            case SimdTier.Avx512: work.Run<Tier.Avx512>(); break;
            default: work.Run<Tier.Avx512AvxVnni>(); break;
        }
    }
}
