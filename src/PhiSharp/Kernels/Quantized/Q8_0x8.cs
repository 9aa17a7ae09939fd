using System.Runtime.Intrinsics;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Q8_0 weights with their rows interleaved eight at a time, like <see cref="Q4_0x8"/>. A group of 8 rows keeps the
/// size of 8 Q8_0 rows; block b of the group (272 bytes) is
/// <code>
///   fp16 d[8]                       the 8 rows' scales
///   u8 q[8][8][4]                   chunk c, row j: codes 4c..4c+3 of row j, plus 128
/// </code>
/// The codes are stored unsigned (q + 128) because the integer multiply-add takes one unsigned operand; the sum starts
/// at −128·Σa to take the 128 back. Unsigned codes up to 255 would saturate the 16-bit pair sums of the AVX2
/// fallback (pmaddubsw), so this layout is used only where AVX-VNNI sums straight into 32 bits.
/// </summary>
internal static unsafe class Q8_0x8
{
    const int RowsPerGroup = InterleavedRows.Group;
    const int BlockBytes = 34, GroupBlockBytes = RowsPerGroup * BlockBytes, CodesOffset = 16;

    /// <summary>Rewrites 8 row-major Q8_0 rows at <paramref name="rows"/> into one interleaved group, in place;
    /// <paramref name="scratch"/> holds exactly 8 rows' bytes.</summary>
    public static void Interleave(byte* rows, int blocks, byte[] scratch)
    {
        int rowBytes = blocks * BlockBytes;
        new ReadOnlySpan<byte>(rows, scratch.Length).CopyTo(scratch);
        fixed (byte* source = scratch)
            for (int b = 0; b < blocks; b++)
            {
                byte* group = rows + b * GroupBlockBytes;
                for (int j = 0; j < RowsPerGroup; j++)
                {
                    byte* block = source + j * rowBytes + b * BlockBytes;
                    ((ushort*)group)[j] = *(ushort*)block;
                    for (int i = 0; i < 32; i++) group[CodesOffset + 32 * (i >> 2) + 4 * j + (i & 3)] = (byte)(block[2 + i] ^ 0x80);
                }
            }
    }

    /// <summary>Row j's block b of a group, back in Q8_0's own 34-byte form.</summary>
    public static void Extract(byte* group, int b, int j, byte* block)
    {
        byte* p = group + b * GroupBlockBytes;
        *(ushort*)block = ((ushort*)p)[j];
        for (int i = 0; i < 32; i++) block[2 + i] = (byte)(p[CodesOffset + 32 * (i >> 2) + 4 * j + (i & 3)] ^ 0x80);
    }

    /// <summary>y[t·yStride + j] = row j · token t for the group's 8 rows and each of <paramref name="tokens"/> tokens
    /// (the 256-bit tier; <see cref="InterleavedRows"/> runs the narrower ones through <see cref="BlockDot"/>).</summary>
    public static void DotTokens(byte* group, int blocks, in Q8Batch batch, int tokens, float* y, long yStride)
    {
        int done = 0;
        for (; done + 4 <= tokens; done += 4)
            FourTokens(group, blocks, batch, done, y + done * yStride, yStride);
        for (; done < tokens; done++)
            OneToken(group, blocks, batch.Row(done), y + done * yStride);
    }

    /// <summary>The row-major kernel's product of one rebuilt block with block b of a token.</summary>
    public static float BlockDot(SimdTier tier, byte* block, Q8Row a, int b) =>
        Q8_0Dot.Dot(tier, block, 1, new Q8Row(a.Values + 32 * b, a.Scales + b, a.Sums + b, null));

    static Vector256<byte> Chunk(byte* block, int c) => Vector256.Load(block + CodesOffset + 32 * c);

    static void OneToken(byte* group, int blocks, Q8Row a, float* y)
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            acc = Q4_0x8.Block(Chunk(block, 0), Chunk(block, 1), Chunk(block, 2), Chunk(block, 3), Chunk(block, 4),
                Chunk(block, 5), Chunk(block, 6), Chunk(block, 7), Q4_0x8.RowScales(block), a, b, acc, zero: 128);
        }
        acc.Store(y);
    }

    /// <summary>Four tokens at once: each block's codes are loaded once and used four times.</summary>
    static void FourTokens(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride)
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            Vector256<byte> w0 = Chunk(block, 0), w1 = Chunk(block, 1), w2 = Chunk(block, 2), w3 = Chunk(block, 3);
            Vector256<byte> w4 = Chunk(block, 4), w5 = Chunk(block, 5), w6 = Chunk(block, 6), w7 = Chunk(block, 7);
            var scales = Q4_0x8.RowScales(block);
            acc0 = Q4_0x8.Block(w0, w1, w2, w3, w4, w5, w6, w7, scales, a0, b, acc0, zero: 128);
            acc1 = Q4_0x8.Block(w0, w1, w2, w3, w4, w5, w6, w7, scales, a1, b, acc1, zero: 128);
            acc2 = Q4_0x8.Block(w0, w1, w2, w3, w4, w5, w6, w7, scales, a2, b, acc2, zero: 128);
            acc3 = Q4_0x8.Block(w0, w1, w2, w3, w4, w5, w6, w7, scales, a3, b, acc3, zero: 128);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }
}
