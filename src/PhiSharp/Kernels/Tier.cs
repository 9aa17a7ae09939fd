namespace PhiSharp.Kernels;

/// <summary>
/// A <see cref="SimdTier"/> as a type. Kernels are generic methods over <c>TTier</c> (the TensorPrimitives pattern):
/// the JIT compiles each for each tier with the tier's properties as constants, so a kernel's width and VNNI checks
/// cost nothing, and a test can run any tier on any CPU that supports it. <see cref="SimdTiers.Run{TWork}"/> is the one
/// switch from the value to the type.
/// </summary>
internal interface ISimdTier
{
    /// <summary>The widest vector of the one-group kernels: 0 (scalar), 128 or 256 bits.</summary>
    static abstract int Width { get; }

    /// <summary>256-bit byte products through vpdpbusd (AVX-VNNI) instead of pmaddubsw + pmaddwd.</summary>
    static abstract bool Vnni { get; }

    /// <summary>Prompts through two interleaved groups (16 rows) at once in 512-bit registers (AVX-512BW).</summary>
    static abstract bool TwoGroups { get; }
}

/// <summary>Work run at the type of a tier: <see cref="SimdTiers.Run{TWork}"/> calls <see cref="Run"/> once.</summary>
internal interface ITierWork
{
    void Run<TTier>() where TTier : struct, ISimdTier;
}

/// <summary>The tiers as types, one per <see cref="SimdTier"/>.</summary>
internal static class Tier
{
    public readonly struct Scalar : ISimdTier
    {
        public static int Width => 0;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
    }

    public readonly struct Vector128 : ISimdTier
    {
        public static int Width => 128;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
    }

    /// <summary>ARM64 NEON: the vector128 kernels (Width 128) until ARM-specific ones exist.</summary>
    public readonly struct Arm64Neon : ISimdTier
    {
        public static int Width => 128;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
    }

    /// <summary>ARM64 NEON with SDOT/UDOT: the vector128 kernels (Width 128) until the dot-product ones exist.</summary>
    public readonly struct Arm64DotProd : ISimdTier
    {
        public static int Width => 128;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
    }

    public readonly struct Avx2 : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
    }

    public readonly struct AvxVnni : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => true;
        public static bool TwoGroups => false;
    }

    public readonly struct Avx512 : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => false;
        public static bool TwoGroups => true;
    }

    public readonly struct Avx512AvxVnni : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => true;
        public static bool TwoGroups => true;
    }
}
