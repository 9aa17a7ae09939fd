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

    /// <summary>ARM64 AdvSimd (NEON) paths: 128-bit integer products summed per 32-bit lane of 4 bytes, which the
    /// interleaved layouts read as one row per lane (Width is 128).</summary>
    static abstract bool Neon { get; }

    /// <summary>With <see cref="Neon"/>: those products through SDOT (ARMv8.2 dot product, .NET's Dp) instead of
    /// SMULL + SADALP + ADDP.</summary>
    static abstract bool DotProd { get; }
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
        public static bool Neon => false;
        public static bool DotProd => false;
    }

    public readonly struct Vector128 : ISimdTier
    {
        public static int Width => 128;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
        public static bool Neon => false;
        public static bool DotProd => false;
    }

    /// <summary>ARM64 NEON: 128-bit AdvSimd kernels, byte products through SMULL + SADALP.</summary>
    public readonly struct Arm64Neon : ISimdTier
    {
        public static int Width => 128;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
        public static bool Neon => true;
        public static bool DotProd => false;
    }

    /// <summary>ARM64 NEON with the dot-product extension: the <see cref="Arm64Neon"/> kernels with SDOT.</summary>
    public readonly struct Arm64DotProd : ISimdTier
    {
        public static int Width => 128;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
        public static bool Neon => true;
        public static bool DotProd => true;
    }

    public readonly struct Avx2 : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => false;
        public static bool TwoGroups => false;
        public static bool Neon => false;
        public static bool DotProd => false;
    }

    public readonly struct AvxVnni : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => true;
        public static bool TwoGroups => false;
        public static bool Neon => false;
        public static bool DotProd => false;
    }

    public readonly struct Avx512 : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => false;
        public static bool TwoGroups => true;
        public static bool Neon => false;
        public static bool DotProd => false;
    }

    public readonly struct Avx512AvxVnni : ISimdTier
    {
        public static int Width => 256;
        public static bool Vnni => true;
        public static bool TwoGroups => true;
        public static bool Neon => false;
        public static bool DotProd => false;
    }
}
