using PhiSharp.Kernels;

namespace PhiSharp.Tests.Kernels;

/// <summary>
/// Each tier name runs the kernels of its own type (<see cref="SimdTiers.Run{TWork}"/>, the one switch from value to
/// type): the properties the JIT specializes on are those the tier promises, on any CPU (reading them executes no
/// vector instruction). The ARM64 tiers in particular are distinct types, not vector128 under another name.
/// </summary>
public class TierTypeTests
{
    [Theory]
    [InlineData("scalar", 0, false, false, false, false)]
    [InlineData("vector128", 128, false, false, false, false)]
    [InlineData("arm64-neon", 128, true, false, false, false)]
    [InlineData("arm64-dotprod", 128, true, true, false, false)]
    [InlineData("x86-avx2", 256, false, false, false, false)]
    [InlineData("x86-avxvnni", 256, false, false, true, false)]
    [InlineData("x86-avx512", 256, false, false, false, true)]
    [InlineData("x86-avx512-avxvnni", 256, false, false, true, true)]
    public void A_tier_name_runs_its_own_type(string name, int width, bool neon, bool dotProd, bool vnni, bool twoGroups)
    {
        var tier = Enum.GetValues<SimdTier>().Single(t => t.Name() == name);
        var probe = new Probe();
        tier.Run(ref probe);
        Assert.Equal((width, neon, dotProd, vnni, twoGroups), (probe.Width, probe.Neon, probe.DotProd, probe.Vnni, probe.TwoGroups));
    }

    [Fact]
    public void The_arm64_tiers_are_offered_exactly_where_the_runtime_reports_their_features()
    {
        // Under qemu-aarch64 this guards the ARM64 test run itself: without it the kernel tests would quietly cover
        // only scalar and vector128.
        bool neon = System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported;
        bool dotProd = neon && System.Runtime.Intrinsics.Arm.Dp.IsSupported;
        Assert.Equal(neon, SimdTiers.Supported.Contains(SimdTier.Arm64Neon));
        Assert.Equal(dotProd, SimdTiers.Supported.Contains(SimdTier.Arm64DotProd));
        if (neon) Assert.Equal(dotProd ? SimdTier.Arm64DotProd : SimdTier.Arm64Neon, SimdTiers.Best);
    }

    struct Probe : ITierWork
    {
        public int Width;
        public bool Neon, DotProd, Vnni, TwoGroups;

        public void Run<TTier>() where TTier : struct, ISimdTier
        {
            Width = TTier.Width;
            Neon = TTier.Neon;
            DotProd = TTier.DotProd;
            Vnni = TTier.Vnni;
            TwoGroups = TTier.TwoGroups;
        }
    }
}
