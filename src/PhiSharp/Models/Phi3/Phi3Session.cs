using PhiSharp.Compute;
using PhiSharp.Kernels;

namespace PhiSharp.Models.Phi3;

/// <summary>
/// One sequence on a <see cref="Phi3Model"/>: its tokens, its KV cache (per layer and KV head, positions
/// contiguous so attention reads keys as one run), and the scratch buffers of a forward chunk.
/// </summary>
internal sealed class Phi3Session : IInferenceSession
{
    readonly Phi3Model _model;
    readonly int[] _tokens;
    bool _cacheUsesLongRope;

    public int ContextLength { get; }
    public int Length { get; private set; }
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);

    internal float[] Residual { get; }
    internal float[] Normed { get; }
    internal float[] Qkv { get; }
    internal float[] AttentionOutput { get; }
    internal float[] Projected { get; }
    internal float[] GateUp { get; }
    internal float[] Activated { get; }
    internal float[] Cos { get; }
    internal float[] Sin { get; }
    internal KvCache Cache { get; }
    internal CausalAttention Attention { get; }

    public Phi3Session(Phi3Model model, int contextLength)
    {
        var c = model.Config;
        _model = model;
        ContextLength = contextLength;
        _tokens = new int[contextLength];
        Cache = new KvCache(c.LayerCount, c.KeyValueHeadCount, c.HeadDim, contextLength, model.KvCache);
        int batch = Phi3Model.MaxBatch;
        Residual = new float[batch * c.HiddenSize];
        Normed = new float[batch * c.HiddenSize];
        Qkv = new float[batch * c.QkvDim];
        AttentionOutput = new float[batch * c.HeadCount * c.HeadDim];
        Projected = new float[batch * c.HiddenSize];
        GateUp = new float[batch * 2 * c.IntermediateSize];
        Activated = new float[batch * c.IntermediateSize];
        Cos = new float[c.RotaryDim / 2];
        Sin = new float[c.RotaryDim / 2];
        Attention = new CausalAttention(Cache, c.HeadCount, c.KeyValueHeadCount, model.SlidingWindow);
    }

    public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
    {
        SessionArguments.CheckAppend(tokens, logits, allPositions, Length, ContextLength, _model.VocabSize);
        int newLength = Length + tokens.Length;

        // HF applies LongRoPE's long factors to the whole sequence once it outgrows the original context, and
        // recomputes the cached prefix when that first happens (and short factors again after a truncation below it).
        bool longRope = _model.Rotary.UsesLongFactors(newLength);
        int start = Length;
        if (start > 0 && longRope != _cacheUsesLongRope && !allPositions)
        {
            tokens.CopyTo(_tokens.AsSpan(start));
            _cacheUsesLongRope = longRope;
            _model.Forward(this, _tokens.AsSpan(0, newLength), 0, longRope, logits, allPositions: false);
        }
        else
        {
            if (start > 0 && longRope != _cacheUsesLongRope)
                throw new InvalidOperationException("All-position logits across the LongRoPE switch need a fresh session.");
            tokens.CopyTo(_tokens.AsSpan(start));
            _cacheUsesLongRope = longRope;
            _model.Forward(this, tokens, start, longRope, logits, allPositions);
        }
        Length = newLength;
    }

    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    public void Dispose() { }
}
