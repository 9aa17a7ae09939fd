namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// One quantized type's block math over a group of 8 interleaved rows (<see cref="InterleavedRows"/>), per width: the
/// operator of the generic driver (<see cref="InterleavedRows.DotGroups{TTier}"/>), which owns the tiles, the
/// remainders, the two-groups-at-once path and the split over threads. Implemented by <see cref="Q4_0x8"/>,
/// <see cref="Q8_0x8"/>, <see cref="Q4_Kx8"/> and <see cref="Q6_Kx8"/> (their ARM64 paths in the .Neon.cs parts); each
/// keeps its scalar reference (the row-major
/// kernel's scalar tier, through <see cref="NarrowRow{TTier}"/>) beside its vector paths.
/// </summary>
internal unsafe interface IGroupKernel
{
    /// <summary>Weights per block (32) or super-block (256).</summary>
    static abstract int BlockWeights { get; }

    /// <summary>Bytes of one row's block in the type's own (row-major) form.</summary>
    static abstract int RowBlockBytes { get; }

    /// <summary>Bytes of one block of a group (8 rows' blocks).</summary>
    static abstract int GroupStride { get; }

    /// <summary>Row j's block b of a group, rebuilt in the type's own form (codes as the type stores them).</summary>
    static abstract void Extract(byte* group, int b, int j, byte* block, bool unsignedCodes);

    /// <summary>The row-major kernel's product of one rebuilt block with block b of a token.</summary>
    static abstract float BlockDot<TTier>(byte* block, Q8Row a, int b) where TTier : struct, ISimdTier;

    /// <summary>Row j of a group · one token, for the tiers narrower than 256 bits (scalar and vector128).</summary>
    static abstract float NarrowRow<TTier>(byte* group, int blocks, int j, Q8Row a) where TTier : struct, ISimdTier;

    /// <summary>The group's 8 rows · one token, into y[0..8) (the ARM64 tiers): rows 0–3 and 4–7 in two 128-bit
    /// registers, one row per 32-bit lane, each chunk's 4 codes per row against 4 activations (SDOT by element).</summary>
    static abstract void OneTokenNeon<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier;

    /// <summary>The group's 8 rows · one token, into y[0..8) (256-bit tiers). Each kernel marks it
    /// AggressiveOptimization: a process generates its first tokens long before tiered compilation replaces the
    /// unoptimized first code of a method called once per matrix, and the first token took 170–260 ms against 42–60
    /// (Phi-3-mini Q4_0 and Q4_K_M, AMD Zen 5); optimized from the start it takes 50–70, and later tokens are as fast
    /// as before.</summary>
    static abstract void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier;

    /// <summary>The group's 8 rows · tokens first..first+TTile.Count−1 (2 to 4), into y[t·yStride + j]: each block's codes
    /// unpacked once and used for every token of the tile (256-bit tiers). Each token's sums are the ones
    /// <see cref="OneToken"/> computes, in the same order, so a row's result does not depend on the tile it is in.</summary>
    static abstract void Tile<TTier, TTile>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier where TTile : struct, ITokenTile;

    /// <summary>Whether <see cref="FourTokensTwoGroups"/> reads the 16 rows' block scales widened once per call
    /// (<see cref="InterleavedRows.WidenScales"/>, at the start of every group block).</summary>
    static abstract bool WidensScales { get; }

    /// <summary>16 rows (groups A and B) · tokens first..first+3, into y[t·yStride + j], j in 0..15: in 512-bit
    /// registers (the AVX-512 tiers), or as two four-token <see cref="Tile"/>s where the type has no such path.</summary>
    static abstract void FourTokensTwoGroups<TTier>(byte* groupA, byte* groupB, float* rowScales, int blocks, in Q8Batch batch,
        int first, float* y, long yStride) where TTier : struct, ISimdTier;
}

/// <summary>
/// The number of tokens of a tile (<see cref="IGroupKernel.Tile"/>), as a type: the JIT compiles each width on its own,
/// with the accumulators of the tokens a narrower tile lacks removed. Four tokens fill the registers; two and three
/// are the remainders of a batch, and the whole of a decode step of 2 or 3 server slots, which would otherwise unpack
/// every block once per token.
/// </summary>
internal interface ITokenTile
{
    static abstract int Count { get; }
}

internal static class TokenTile
{
    public readonly struct Two : ITokenTile { public static int Count => 2; }
    public readonly struct Three : ITokenTile { public static int Count => 3; }
    public readonly struct Four : ITokenTile { public static int Count => 4; }
}
