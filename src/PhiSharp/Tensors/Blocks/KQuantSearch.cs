namespace PhiSharp.Tensors.Blocks;

/// <summary>The scale searches behind ggml's reference K-quantizers (make_qkx2_quants and make_qx_quants without an
/// importance matrix). Sums are accumulated in the order ggml uses so that ties break the same way.</summary>
internal static class KQuantSearch
{
    /// <summary>Groups whose largest magnitude is below this are treated as all zero (ggml's GROUP_MAX_EPS).</summary>
    public const float GroupMaxEpsilon = 1e-15f;

    /// <summary>Rounds to the nearest integer, halves to even, by ggml's trick: adding 1.5·2²³ leaves the integer in
    /// the low mantissa bits. Valid for |value| ≤ 2²² − 1, the range every caller stays in.</summary>
    public static int NearestInt(float value) =>
        (BitConverter.SingleToInt32Bits(value + 12582912f) & 0x007FFFFF) - 0x00400000;

    /// <summary>Fits x ≈ scale·L − min with integer levels L in 0..<paramref name="maxLevel"/>, min ≥ 0, minimising the
    /// weighted squared error: starting from the min..max range, it tries <paramref name="steps"/> + 1 level spacings
    /// (maxLevel + rmin + rdelta·k levels across the range), solving the least-squares scale and min for each.</summary>
    /// <returns>The scale; <paramref name="min"/> receives the (non-negative) amount subtracted.</returns>
    public static float AffineFit(int maxLevel, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels,
        out float min, Span<byte> scratch, float rmin, float rdelta, int steps)
    {
        int n = x.Length;
        float lo = x[0], hi = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < lo) lo = x[i];
            if (x[i] > hi) hi = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (lo > 0) lo = 0;
        if (hi == lo)
        {
            levels[..n].Clear();
            min = -lo;
            return 0f;
        }

        float inverse = maxLevel / (hi - lo);
        float scale = 1 / inverse;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            levels[i] = (byte)Math.Clamp(NearestInt(inverse * (x[i] - lo)), 0, maxLevel);
            float diff = scale * levels[i] + lo - x[i];
            bestError += weights[i] * (diff * diff);
        }

        for (int step = 0; step <= steps; step++)
        {
            inverse = (rmin + rdelta * step + maxLevel) / (hi - lo);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(NearestInt(inverse * (x[i] - lo)), 0, maxLevel);
                scratch[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                float trialScale = (sumW * sumXL - sumX * sumL) / det;
                float trialMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (trialMin > 0)
                {
                    trialMin = 0;
                    trialScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = trialScale * scratch[i] + trialMin - x[i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError)
                {
                    scratch[..n].CopyTo(levels);
                    bestError = error;
                    scale = trialScale;
                    lo = trialMin;
                }
            }
        }
        min = -lo;
        return scale;
    }

    /// <summary>Fits x ≈ scale·(L − maxLevel) with L in 0..2·maxLevel − 1, weighting each value by its square:
    /// the value of largest magnitude first sets the scale, then 18 nearby scales are tried and the one with the best
    /// weighted least-squares fit kept.</summary>
    public static float SymmetricFit(int maxLevel, ReadOnlySpan<float> x, Span<sbyte> levels)
    {
        int n = x.Length;
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEpsilon)
        {
            levels[..n].Clear();
            return 0f;
        }

        float inverse = -maxLevel / max;
        float sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(NearestInt(inverse * x[i]), -maxLevel, maxLevel - 1);
            levels[i] = (sbyte)(l + maxLevel);
            float w = x[i] * x[i];
            sumLX += w * x[i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            inverse = -(maxLevel + 0.1f * step) / max;
            sumLX = sumL2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(NearestInt(inverse * x[i]), -maxLevel, maxLevel - 1);
                float w = x[i] * x[i];
                sumLX += w * x[i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2)
            {
                for (int i = 0; i < n; i++)
                    levels[i] = (sbyte)(Math.Clamp(NearestInt(inverse * x[i]), -maxLevel, maxLevel - 1) + maxLevel);
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
