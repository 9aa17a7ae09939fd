namespace PhiSharp.Models;

/// <summary>
/// The angles of rotary position embedding, computed in float32 exactly as HF transformers does:
/// invFreq[i] = 1 / (factor[i] · θ^(2i/d)), angle = position · invFreq[i], and cos/sin multiplied by the attention
/// factor. With LongRoPE there are two sets of factors: short (sequence within the original context) and long.
/// </summary>
public sealed class RotaryEmbedding
{
    readonly float[] _shortInverseFrequencies;
    readonly float[]? _longInverseFrequencies;
    readonly float _attentionFactor;

    /// <summary>Number of rotated pairs per head (rotary dimension / 2).</summary>
    public int PairCount => _shortInverseFrequencies.Length;

    /// <summary>Sequences longer than this use the long factors; int.MaxValue without LongRoPE.</summary>
    public int OriginalMaxPositions { get; }

    public RotaryEmbedding(int rotaryDim, float theta, float[]? shortFactor = null, float[]? longFactor = null,
        int originalMaxPositions = int.MaxValue, float attentionFactor = 1f)
    {
        _shortInverseFrequencies = InverseFrequencies(rotaryDim, theta, shortFactor);
        _longInverseFrequencies = longFactor is null ? null : InverseFrequencies(rotaryDim, theta, longFactor);
        OriginalMaxPositions = longFactor is null ? int.MaxValue : originalMaxPositions;
        _attentionFactor = attentionFactor;
    }

    /// <summary>HF's rule: the long factors apply to a whole sequence once its length exceeds the original context.</summary>
    public bool UsesLongFactors(int sequenceLength) => _longInverseFrequencies is not null && sequenceLength > OriginalMaxPositions;

    public void Angles(int position, bool longFactors, Span<float> cos, Span<float> sin)
    {
        var inv = longFactors ? _longInverseFrequencies! : _shortInverseFrequencies;
        for (int i = 0; i < inv.Length; i++)
        {
            float angle = position * inv[i];
            cos[i] = MathF.Cos(angle) * _attentionFactor;
            sin[i] = MathF.Sin(angle) * _attentionFactor;
        }
    }

    static float[] InverseFrequencies(int rotaryDim, float theta, float[]? factors)
    {
        var inv = new float[rotaryDim / 2];
        for (int i = 0; i < inv.Length; i++)
        {
            float power = MathF.Pow(theta, 2 * i / (float)rotaryDim);
            inv[i] = 1f / ((factors?[i] ?? 1f) * power);
        }
        return inv;
    }
}
