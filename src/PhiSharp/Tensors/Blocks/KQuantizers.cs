using System.Buffers.Binary;

namespace PhiSharp.Tensors.Blocks;

// ggml's reference K-quantizers (quantize_row_q4_K_ref, quantize_row_q6_K_ref: what llama.cpp's quantize writes when
// no importance matrix is given). They search for sub-block scales that minimise a weighted squared error, then
// quantize those scales to 6 or 8 bits against one fp16 factor per super-block. Every float operation is done in the
// order ggml does it (float32 throughout, no fused multiply-add), so the bytes come out the same.

/// <summary>Q4_K encoder: per 32-weight sub-block an affine fit x ≈ scale·q − min with q in 0..15.</summary>
internal static class Q4_KQuantizer
{
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> levels = stackalloc byte[256];
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        for (int b = 0; b < src.Length / 256; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * 256, 256);
            Span<byte> block = dst.Slice(b * Q4_KBlock.BlockBytes, Q4_KBlock.BlockBytes);
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++)
            {
                ReadOnlySpan<float> xs = x.Slice(32 * j, 32);
                // Weights favour large values, offset by the sub-block's RMS so small values still count.
                float sumSquares = 0;
                foreach (float v in xs) sumSquares += v * v;
                float rms = MathF.Sqrt(sumSquares / 32);
                for (int l = 0; l < 32; l++) weights[l] = rms + MathF.Abs(xs[l]);
                scales[j] = KQuantSearch.AffineFit(15, xs, weights, levels.Slice(32 * j, 32), out mins[j], scratch,
                    rmin: -1f, rdelta: 0.1f, steps: 20);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            // Scales and minimums become 6-bit multiples of d = maxScale/63 and dmin = maxMin/63.
            Span<byte> packed = block.Slice(4, 12);
            packed.Clear();
            float inverseScale = maxScale > 0 ? 63f / maxScale : 0f;
            float inverseMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++)
            {
                // ggml stores the rounded value in a byte before clamping, so keep only its low 8 bits first.
                int ls = Math.Min(63, (int)(byte)KQuantSearch.NearestInt(inverseScale * scales[j]));
                int lm = Math.Min(63, (int)(byte)KQuantSearch.NearestInt(inverseMin * mins[j]));
                if (j < 4)
                {
                    packed[j] = (byte)ls;
                    packed[j + 4] = (byte)lm;
                }
                else
                {
                    packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                    packed[j - 4] |= (byte)((ls >> 4) << 6);
                    packed[j] |= (byte)((lm >> 4) << 6);
                }
            }
            ushort dBits = Fp16.FromSingle(maxScale / 63f), dminBits = Fp16.FromSingle(maxMin / 63f);
            BinaryPrimitives.WriteUInt16LittleEndian(block, dBits);
            BinaryPrimitives.WriteUInt16LittleEndian(block[2..], dminBits);

            // Re-quantize every weight against the scales as stored (after their rounding).
            float d = Fp16.ToSingle(dBits), dmin = Fp16.ToSingle(dminBits);
            for (int j = 0; j < 8; j++)
            {
                KScales.Get(packed, j, out int sc, out int m);
                float dl = d * sc;
                if (dl == 0) continue; // keep the levels the fit chose
                float ml = dmin * m;
                for (int l = 0; l < 32; l++)
                    levels[32 * j + l] = (byte)Math.Clamp(KQuantSearch.NearestInt((x[32 * j + l] + ml) / dl), 0, 15);
            }

            Span<byte> qs = block.Slice(16, 128);
            for (int pair = 0; pair < 4; pair++)
                for (int l = 0; l < 32; l++)
                    qs[32 * pair + l] = (byte)(levels[64 * pair + l] | (levels[64 * pair + 32 + l] << 4));
        }
    }
}

/// <summary>Q6_K encoder: per 16-weight sub-block a symmetric fit x ≈ scale·q with q in −32..31.</summary>
internal static class Q6_KQuantizer
{
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<sbyte> levels = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        for (int b = 0; b < src.Length / 256; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * 256, 256);
            Span<byte> block = dst.Slice(b * Q6_KBlock.BlockBytes, Q6_KBlock.BlockBytes);
            float maxScale = 0, maxAbsScale = 0;
            for (int s = 0; s < 16; s++)
            {
                scales[s] = KQuantSearch.SymmetricFit(32, x.Slice(16 * s, 16), levels.Slice(16 * s, 16));
                if (MathF.Abs(scales[s]) > maxAbsScale)
                {
                    maxAbsScale = MathF.Abs(scales[s]);
                    maxScale = scales[s];
                }
            }

            block.Clear();
            if (maxAbsScale < KQuantSearch.GroupMaxEpsilon) continue; // an all-zero block: every byte zero

            // Sub-block scales become signed 8-bit multiples of d, the largest one mapping to −128.
            float inverse = -128f / maxScale;
            ushort dBits = Fp16.FromSingle(1 / inverse);
            BinaryPrimitives.WriteUInt16LittleEndian(block[208..], dBits);
            Span<byte> packedScales = block.Slice(192, 16);
            for (int s = 0; s < 16; s++)
                packedScales[s] = (byte)(sbyte)Math.Min(127, KQuantSearch.NearestInt(inverse * scales[s]));

            float d = Fp16.ToSingle(dBits);
            for (int s = 0; s < 16; s++)
            {
                float dl = d * (sbyte)packedScales[s];
                if (dl == 0) continue;
                for (int l = 0; l < 16; l++)
                    levels[16 * s + l] = (sbyte)(Math.Clamp(KQuantSearch.NearestInt(x[16 * s + l] / dl), -32, 31) + 32);
            }

            for (int half = 0; half < 2; half++)
            {
                Span<byte> ql = block.Slice(64 * half, 64);
                Span<byte> qh = block.Slice(128 + 32 * half, 32);
                ReadOnlySpan<sbyte> q = levels.Slice(128 * half, 128);
                for (int l = 0; l < 32; l++)
                {
                    int q1 = q[l], q2 = q[l + 32], q3 = q[l + 64], q4 = q[l + 96];
                    ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                    ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                    qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
        }
    }
}
