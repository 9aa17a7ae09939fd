namespace PhiSharp.Kernels;

/// <summary>
/// Rotary position embedding in the "rotate half" (NeoX) layout used by Phi-3: within the first
/// <c>rotaryDim</c> entries of a head, element i is paired with element i + rotaryDim/2 and the pair is
/// rotated by angle θᵢ. Entries past <c>rotaryDim</c> (partial rotary) are left as they are.
/// </summary>
internal static class Rope
{
    /// <param name="head">One head's vector, rotated in place.</param>
    /// <param name="cos">cos θᵢ for i in [0, rotaryDim/2), already multiplied by any attention factor.</param>
    /// <param name="sin">sin θᵢ likewise.</param>
    public static void RotateHalf(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = cos.Length;
        var first = head[..half];
        var second = head.Slice(half, half);
        for (int i = 0; i < half; i++)
        {
            float a = first[i], b = second[i];
            first[i] = a * cos[i] - b * sin[i];
            second[i] = b * cos[i] + a * sin[i];
        }
    }
}
