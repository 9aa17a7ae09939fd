using System.Buffers.Binary;

namespace PhiSharp.Tensors.Blocks;

// The "legacy" quantizations: blocks of 32 weights with one fp16 scale d (and for the _1 kinds an fp16 minimum m).
// A weight is q·d (symmetric kinds, q centred on zero) or q·d + m (the _1 kinds, q ≥ 0).
// Within a block the 4-bit codes are split in halves: byte j holds weight j in its low nibble and weight j+16
// in its high nibble.

/// <summary>Q4_0: { fp16 d; u8 qs[16] } — 4-bit codes 0..15, weight = (code − 8)·d.</summary>
internal static class Q4_0Block
{
    public const int BlockBytes = 2 + 16;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 32, 32);
            float d = BlockFields.Half(block, 0);
            ReadOnlySpan<byte> qs = block.Slice(2, 16);
            for (int j = 0; j < 16; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + 16] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>ggml's reference quantizer: the weight of largest magnitude (with its sign) maps to code 0,
    /// i.e. d = max / −8, and codes are rounded by truncating x/d + 8.5.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / 32; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * 32, 32);
            Span<byte> block = dst.Slice(b * BlockBytes, BlockBytes);
            float amax = 0, max = 0;
            foreach (float v in x)
            {
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, Fp16.FromSingle(d));
            for (int j = 0; j < 16; j++)
            {
                int lo = Math.Min(15, (int)(x[j] * id + 8.5f));
                int hi = Math.Min(15, (int)(x[j + 16] * id + 8.5f));
                block[2 + j] = (byte)(lo | (hi << 4));
            }
        }
    }
}

/// <summary>Q4_1: { fp16 d; fp16 m; u8 qs[16] } — 4-bit codes, weight = code·d + m.</summary>
internal static class Q4_1Block
{
    public const int BlockBytes = 2 + 2 + 16;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 32, 32);
            float d = BlockFields.Half(block, 0);
            float m = BlockFields.Half(block, 2);
            ReadOnlySpan<byte> qs = block.Slice(4, 16);
            for (int j = 0; j < 16; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + 16] = (qs[j] >> 4) * d + m;
            }
        }
    }
}

/// <summary>Q5_0: { fp16 d; u8 qh[4]; u8 qs[16] } — 5-bit codes 0..31, weight = (code − 16)·d.
/// The low 4 bits are nibbles as in Q4_0; bit j of the little-endian u32 qh is the fifth bit of weight j.</summary>
internal static class Q5_0Block
{
    public const int BlockBytes = 2 + 4 + 16;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 32, 32);
            float d = BlockFields.Half(block, 0);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(2, 4));
            ReadOnlySpan<byte> qs = block.Slice(6, 16);
            for (int j = 0; j < 16; j++)
            {
                int high0 = (int)((qh >> j) & 1) << 4;
                int high1 = (int)((qh >> (j + 16)) & 1) << 4;
                y[j] = (((qs[j] & 0x0F) | high0) - 16) * d;
                y[j + 16] = (((qs[j] >> 4) | high1) - 16) * d;
            }
        }
    }

    /// <summary>ggml's reference quantizer, as Q4_0 with 5 bits: d = max / −16, code = min(31, trunc(x/d + 16.5)).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / 32; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * 32, 32);
            Span<byte> block = dst.Slice(b * BlockBytes, BlockBytes);
            float amax = 0, max = 0;
            foreach (float v in x)
            {
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, Fp16.FromSingle(d));
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                int lo = Math.Min(31, (int)(x[j] * id + 16.5f));
                int hi = Math.Min(31, (int)(x[j + 16] * id + 16.5f));
                block[6 + j] = (byte)((lo & 0xF) | ((hi & 0xF) << 4));
                qh |= (uint)(lo >> 4) << j;
                qh |= (uint)(hi >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(block.Slice(2, 4), qh);
        }
    }
}

/// <summary>Q5_1: { fp16 d; fp16 m; u8 qh[4]; u8 qs[16] } — 5-bit codes laid out as Q5_0, weight = code·d + m.</summary>
internal static class Q5_1Block
{
    public const int BlockBytes = 2 + 2 + 4 + 16;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 32, 32);
            float d = BlockFields.Half(block, 0);
            float m = BlockFields.Half(block, 2);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(4, 4));
            ReadOnlySpan<byte> qs = block.Slice(8, 16);
            for (int j = 0; j < 16; j++)
            {
                int high0 = (int)((qh >> j) & 1) << 4;
                int high1 = (int)((qh >> (j + 16)) & 1) << 4;
                y[j] = ((qs[j] & 0x0F) | high0) * d + m;
                y[j + 16] = ((qs[j] >> 4) | high1) * d + m;
            }
        }
    }
}

/// <summary>Field readers shared by the block layouts (all little-endian).</summary>
internal static class BlockFields
{
    public static float Half(ReadOnlySpan<byte> block, int offset) =>
        Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(offset, 2)));
}
