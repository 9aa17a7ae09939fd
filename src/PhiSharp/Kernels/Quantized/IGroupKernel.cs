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

    /// <summary>The group's 8 rows · one token, into y[0..8) (256-bit tiers).</summary>
    static abstract void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier;

    /// <summary>The group's 8 rows · tokens first..first+3, into y[t·yStride + j]: each block's codes unpacked once and used
    /// four times (256-bit tiers).</summary>
    static abstract void FourTokens<TTier>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier;

    /// <summary>Whether <see cref="FourTokensTwoGroups"/> reads the 16 rows' block scales widened once per call
    /// (<see cref="InterleavedRows.WidenScales"/>, at the start of every group block).</summary>
    static abstract bool WidensScales { get; }

    /// <summary>16 rows (groups A and B) · tokens first..first+3, into y[t·yStride + j], j in 0..15: in 512-bit
    /// registers (the AVX-512 tiers), or as two <see cref="FourTokens"/> where the type has no such path.</summary>
    static abstract void FourTokensTwoGroups<TTier>(byte* groupA, byte* groupB, float* rowScales, int blocks, in Q8Batch batch,
        int first, float* y, long yStride) where TTier : struct, ISimdTier;
}
