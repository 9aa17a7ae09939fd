namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// Phi-3-small's rotary angles (positional_embedding.py), in float32 as the reference computes them: over the whole
/// head, invFreq[i] = 1 / (factor[i] · base^(2i/d)); without LongRoPE the angle is (position · rope_position_scale) ·
/// invFreq[i]; with LongRoPE the position is unscaled and cos/sin are multiplied by the regime's mscale (short: the
/// given one or 1; long: the given one or sqrt(1 + ln(max / original) / ln(original))). A sequence longer than the
/// original context takes the long factors for all of its positions.
/// </summary>
internal sealed class Phi3SmallRotary
{
    readonly float[] _short, _long;
    readonly float _positionScale, _shortMscale, _longMscale;
    readonly int _original;

    public int PairCount => _short.Length;

    public Phi3SmallRotary(Phi3SmallConfig c)
    {
        int d = c.HeadDim;
        if (c.LongRope is { } rope)
        {
            _short = InverseFrequencies(d, c.RopeBase, rope.ShortFactor);
            _long = InverseFrequencies(d, c.RopeBase, rope.LongFactor);
            _original = rope.OriginalMaxPositions;
            _positionScale = 1f;
            _shortMscale = rope.ShortMscale > 0 ? rope.ShortMscale : 1f;
            double s = (double)c.MaxPositions / rope.OriginalMaxPositions;
            _longMscale = rope.LongMscale > 0 ? rope.LongMscale
                : s <= 1 ? 1f : (float)Math.Sqrt(1 + Math.Log(s) / Math.Log(rope.OriginalMaxPositions));
        }
        else
        {
            _short = _long = InverseFrequencies(d, c.RopeBase, null);
            _original = int.MaxValue;
            _positionScale = c.RopePositionScale;
            _shortMscale = _longMscale = 1f;
        }
    }

    public bool UsesLongFactors(int sequenceLength) => sequenceLength > _original;

    public void Angles(int position, bool longFactors, Span<float> cos, Span<float> sin)
    {
        var inv = longFactors ? _long : _short;
        float mscale = longFactors ? _longMscale : _shortMscale;
        float t = position * _positionScale;
        for (int i = 0; i < inv.Length; i++)
        {
            float angle = t * inv[i];
            cos[i] = MathF.Cos(angle) * mscale;
            sin[i] = MathF.Sin(angle) * mscale;
        }
    }

    static float[] InverseFrequencies(int headDim, float ropeBase, float[]? factors)
    {
        var inv = new float[headDim / 2];
        for (int i = 0; i < inv.Length; i++)
            inv[i] = 1f / ((factors?[i] ?? 1f) * MathF.Pow(ropeBase, 2 * i / (float)headDim));
        return inv;
    }
}
