using PhiSharp.Kernels;

namespace PhiSharp.Tests.Kernels;

/// <summary>
/// The kernel tiers this CPU runs (scalar and vector128 everywhere; the x86 tiers, or arm64-neon and arm64-dotprod,
/// where the runtime reports their features), by name: kernel tests take a tier as theory data and select it explicitly, so one test run covers every
/// tier the machine has instead of one run per DOTNET_Enable* setting.
/// </summary>
internal static class SupportedTiers
{
    public static IEnumerable<string> Names => SimdTiers.Supported.Select(t => t.Name());

    public static SimdTier Parse(string name) => SimdTiers.Select(name);
}
