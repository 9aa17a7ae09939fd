namespace PhiSharp.Tensors.Blocks;

// The K-quants: super-blocks of 256 weights split into sub-blocks of 16 or 32 weights. Each sub-block has its own
// small integer scale (and for Q2_K/Q4_K/Q5_K a minimum), themselves quantized against fp16 super-block factors
// d (and dmin). Float operations below follow ggml's order exactly so results match it bit for bit.

/// <summary>Q2_K: { u8 scales[16]; u8 qs[64]; fp16 d; fp16 dmin } — 16 sub-blocks of 16 weights.
/// scales[i] holds sub-block i's scale (low nibble) and minimum (high nibble); weight = d·scale·q − dmin·min
/// with 2-bit q. Each 128-weight half reads 32 bytes of qs four times, shifting by 0, 2, 4, 6.</summary>
internal static class Q2_KBlock
{
    public const int BlockBytes = 16 + 64 + 2 + 2;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 256, 256);
            ReadOnlySpan<byte> scales = block[..16];
            float d = BlockFields.Half(block, 80);
            float dmin = BlockFields.Half(block, 82);
            int output = 0, scaleIndex = 0;
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> q = block.Slice(16 + 32 * half, 32);
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int part = 0; part < 2; part++) // bytes 0..15, then 16..31, each its own sub-block
                    {
                        byte sc = scales[scaleIndex++];
                        float dl = d * (sc & 0xF);
                        float ml = dmin * (sc >> 4);
                        for (int l = 0; l < 16; l++)
                            y[output++] = dl * ((q[16 * part + l] >> shift) & 3) - ml;
                    }
                }
            }
        }
    }
}

/// <summary>Q3_K: { u8 hmask[32]; u8 qs[64]; u8 scales[12]; fp16 d } — 16 sub-blocks of 16 weights.
/// Weight = d·(scale − 32)·(q − 4·(1 − h)): q is 2 bits from qs (read as in Q2_K), h the matching hmask bit
/// (bit k of hmask[l] for the k-th pass over the 32 hmask bytes). The sixteen 6-bit scales are packed in 12 bytes:
/// low 4 bits in bytes 0..7 (low nibbles for scales 0..7, high nibbles for 8..15), high 2 bits in bytes 8..11.</summary>
internal static class Q3_KBlock
{
    public const int BlockBytes = 32 + 64 + 12 + 2;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        Span<int> scales = stackalloc int[16];
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 256, 256);
            ReadOnlySpan<byte> hmask = block[..32];
            UnpackScales(block.Slice(96, 12), scales);
            float d = BlockFields.Half(block, 108);
            int output = 0, scaleIndex = 0, hmaskBit = 1;
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> q = block.Slice(32 + 32 * half, 32);
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int part = 0; part < 2; part++)
                    {
                        float dl = d * (scales[scaleIndex++] - 32);
                        for (int l = 16 * part; l < 16 * part + 16; l++)
                            y[output++] = dl * (((q[l] >> shift) & 3) - ((hmask[l] & hmaskBit) != 0 ? 0 : 4));
                    }
                    hmaskBit <<= 1;
                }
            }
        }
    }

    private static void UnpackScales(ReadOnlySpan<byte> packed, Span<int> scales)
    {
        for (int i = 0; i < 16; i++)
        {
            int low = (i < 8 ? packed[i] : packed[i - 8] >> 4) & 0xF;
            int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
            scales[i] = low | (high << 4);
        }
    }
}

/// <summary>Q4_K: { fp16 d; fp16 dmin; u8 scales[12]; u8 qs[128] } — 8 sub-blocks of 32 weights.
/// Weight = d·scale·q − dmin·min with 4-bit q; each 32 bytes of qs hold two sub-blocks (low nibbles, then high).
/// The 6-bit scales and minimums are packed as in <see cref="KScales"/>.</summary>
internal static class Q4_KBlock
{
    public const int BlockBytes = 2 + 2 + 12 + 128;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 256, 256);
            float d = BlockFields.Half(block, 0);
            float dmin = BlockFields.Half(block, 2);
            ReadOnlySpan<byte> packedScales = block.Slice(4, 12);
            for (int pair = 0; pair < 4; pair++)
            {
                ReadOnlySpan<byte> q = block.Slice(16 + 32 * pair, 32);
                KScales.Get(packedScales, 2 * pair, out int sc1, out int m1);
                KScales.Get(packedScales, 2 * pair + 1, out int sc2, out int m2);
                float d1 = d * sc1, min1 = dmin * m1;
                float d2 = d * sc2, min2 = dmin * m2;
                Span<float> out1 = y.Slice(64 * pair, 32), out2 = y.Slice(64 * pair + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    out1[l] = d1 * (q[l] & 0xF) - min1;
                    out2[l] = d2 * (q[l] >> 4) - min2;
                }
            }
        }
    }
}

/// <summary>Q5_K: { fp16 d; fp16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] } — as Q4_K with a fifth bit:
/// for sub-block s, bit s of qh[l] adds 16 to the 4-bit code of weight l.</summary>
internal static class Q5_KBlock
{
    public const int BlockBytes = 2 + 2 + 12 + 32 + 128;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            Span<float> y = dst.Slice(b * 256, 256);
            float d = BlockFields.Half(block, 0);
            float dmin = BlockFields.Half(block, 2);
            ReadOnlySpan<byte> packedScales = block.Slice(4, 12);
            ReadOnlySpan<byte> qh = block.Slice(16, 32);
            for (int pair = 0; pair < 4; pair++)
            {
                ReadOnlySpan<byte> q = block.Slice(48 + 32 * pair, 32);
                KScales.Get(packedScales, 2 * pair, out int sc1, out int m1);
                KScales.Get(packedScales, 2 * pair + 1, out int sc2, out int m2);
                float d1 = d * sc1, min1 = dmin * m1;
                float d2 = d * sc2, min2 = dmin * m2;
                int bit1 = 1 << (2 * pair), bit2 = 2 << (2 * pair);
                Span<float> out1 = y.Slice(64 * pair, 32), out2 = y.Slice(64 * pair + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    out1[l] = d1 * ((q[l] & 0xF) + ((qh[l] & bit1) != 0 ? 16 : 0)) - min1;
                    out2[l] = d2 * ((q[l] >> 4) + ((qh[l] & bit2) != 0 ? 16 : 0)) - min2;
                }
            }
        }
    }
}

/// <summary>Q6_K: { u8 ql[128]; u8 qh[64]; i8 scales[16]; fp16 d } — 16 sub-blocks of 16 weights,
/// weight = d·scale·(q − 32) with 6-bit q: low 4 bits from ql, high 2 bits from qh. Each 128-weight half uses
/// 64 bytes of ql and 32 of qh: weights l, l+32, l+64, l+96 take ql[l] low, ql[l+32] low, ql[l] high,
/// ql[l+32] high, and bits 0-1, 2-3, 4-5, 6-7 of qh[l].</summary>
internal static class Q6_KBlock
{
    public const int BlockBytes = 128 + 64 + 16 + 2;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            float d = BlockFields.Half(block, 208);
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> ql = block.Slice(64 * half, 64);
                ReadOnlySpan<byte> qh = block.Slice(128 + 32 * half, 32);
                ReadOnlySpan<byte> scales = block.Slice(192 + 8 * half, 8);
                Span<float> y = dst.Slice(b * 256 + 128 * half, 128);
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * (sbyte)scales[s] * q1;
                    y[l + 32] = d * (sbyte)scales[s + 2] * q2;
                    y[l + 64] = d * (sbyte)scales[s + 4] * q3;
                    y[l + 96] = d * (sbyte)scales[s + 6] * q4;
                }
            }
        }
    }
}

/// <summary>The 12-byte packing of eight 6-bit scales and eight 6-bit minimums used by Q4_K and Q5_K.
/// For j &lt; 4: scale = bytes[j] &amp; 63, min = bytes[j+4] &amp; 63. For j ≥ 4 the low 4 bits come from the
/// nibbles of bytes[j+4] (scale low, min high) and the high 2 bits from the top bits of bytes[j−4] (scale)
/// and bytes[j] (min).</summary>
internal static class KScales
{
    public static void Get(ReadOnlySpan<byte> packed, int j, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = packed[j] & 63;
            min = packed[j + 4] & 63;
        }
        else
        {
            scale = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4);
            min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
        }
    }
}
