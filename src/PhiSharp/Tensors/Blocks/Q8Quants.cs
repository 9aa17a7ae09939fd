using System.Buffers.Binary;

namespace PhiSharp.Tensors.Blocks;

// 8-bit quantizations: signed 8-bit codes times one scale per block, weight = code·d.

/// <summary>Q8_0: { fp16 d; i8 qs[32] }.</summary>
internal static class Q8_0Block
{
    public const int BlockBytes = 2 + 32;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            float d = BlockFields.Half(block, 0);
            for (int j = 0; j < 32; j++)
                dst[b * 32 + j] = (sbyte)block[2 + j] * d;
        }
    }

    /// <summary>ggml's reference quantizer: d = max|x| / 127, code = round(x / d) with halves away from zero.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int b = 0; b < src.Length / 32; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * 32, 32);
            Span<byte> block = dst.Slice(b * BlockBytes, BlockBytes);
            float amax = 0;
            foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(block, Fp16.FromSingle(d));
            for (int j = 0; j < 32; j++)
                block[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }
}

/// <summary>Q8_1: { fp16 d; fp16 s; i8 qs[32] } — s = d·Σqs, kept for dot products; dequantizing ignores it.</summary>
internal static class Q8_1Block
{
    public const int BlockBytes = 2 + 2 + 32;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            float d = BlockFields.Half(block, 0);
            for (int j = 0; j < 32; j++)
                dst[b * 32 + j] = (sbyte)block[4 + j] * d;
        }
    }
}

/// <summary>Q8_K: { f32 d; i8 qs[256]; i16 bsums[16] } — the activation format of K-quant dot products;
/// bsums (sums of each 16 codes) serve the dot products only.</summary>
internal static class Q8_KBlock
{
    public const int BlockBytes = 4 + 256 + 2 * 16;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * BlockBytes, BlockBytes);
            float d = BinaryPrimitives.ReadSingleLittleEndian(block);
            for (int j = 0; j < 256; j++)
                dst[b * 256 + j] = (sbyte)block[4 + j] * d;
        }
    }
}
