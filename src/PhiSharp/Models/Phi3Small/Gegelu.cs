namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// Phi-3-small's gated activation (remote code's <c>gegelu</c>). up_proj's output interleaves the two halves:
/// even entries are the gate g, odd entries the linear part l. With limit L (<c>gegelu_limit</c>),
/// y[i] = quick_gelu(min(g, L)) · (clamp(l, −L, L) + 1), where quick_gelu(x) = x · sigmoid(1.702 · x).
/// Infinite inputs pass the clamps unchanged, as in the reference (torch.where(isinf(a), a, clamp(a))).
/// </summary>
internal static class Gegelu
{
    /// <param name="interleaved">up_proj's output, 2 · n entries (g₀, l₀, g₁, l₁, …).</param>
    /// <param name="y">n outputs; may not overlap <paramref name="interleaved"/>.</param>
    public static void Apply(ReadOnlySpan<float> interleaved, float limit, Span<float> y)
    {
        int n = y.Length;
        if (interleaved.Length != 2 * n)
            throw new ArgumentException($"GEGLU takes {2 * n} interleaved inputs for {n} outputs, not {interleaved.Length}");
        for (int i = 0; i < n; i++)
        {
            float g = interleaved[2 * i], l = interleaved[2 * i + 1];
            if (!float.IsInfinity(g)) g = MathF.Min(g, limit);
            if (!float.IsInfinity(l)) l = Math.Clamp(l, -limit, limit);
            y[i] = g * Sigmoid(1.702f * g) * (l + 1f);
        }
    }

    static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
