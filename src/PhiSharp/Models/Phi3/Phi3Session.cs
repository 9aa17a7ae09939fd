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
    readonly float[][] _keys;   // [layer][kvHead · context · headDim]
    readonly float[][] _values;
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
    internal AttentionWork Attention { get; }

    public Phi3Session(Phi3Model model, int contextLength)
    {
        var c = model.Config;
        _model = model;
        ContextLength = contextLength;
        _tokens = new int[contextLength];
        int cacheFloats = checked(c.KeyValueHeadCount * contextLength * c.HeadDim);
        _keys = new float[c.LayerCount][];
        _values = new float[c.LayerCount][];
        for (int l = 0; l < c.LayerCount; l++)
        {
            _keys[l] = new float[cacheFloats];
            _values[l] = new float[cacheFloats];
        }
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
        Attention = new AttentionWork(this, c, model.SlidingWindow);
    }

    internal Span<float> KeyCache(int layer, int kvHead, int position) =>
        _keys[layer].AsSpan((kvHead * ContextLength + position) * _model.Config.HeadDim, _model.Config.HeadDim);

    internal Span<float> ValueCache(int layer, int kvHead, int position) =>
        _values[layer].AsSpan((kvHead * ContextLength + position) * _model.Config.HeadDim, _model.Config.HeadDim);

    public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
    {
        if (tokens.IsEmpty) throw new ArgumentException("No tokens to evaluate.", nameof(tokens));
        int newLength = Length + tokens.Length;
        if (newLength > ContextLength)
            throw new InvalidOperationException($"The sequence would hold {newLength} tokens; the context holds {ContextLength}.");
        int vocab = _model.VocabSize;
        if (logits.Length < (allPositions ? tokens.Length * vocab : vocab))
            throw new ArgumentException("The logits buffer is too small.", nameof(logits));
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {t} is outside the vocabulary (0..{vocab - 1}).");

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

    /// <summary>Attention for every (token, head) pair of a chunk; the pairs are independent.</summary>
    internal sealed class AttentionWork(Phi3Session session, Phi3Config config, int? slidingWindow) : IParallelWork
    {
        readonly float _scale = 1f / MathF.Sqrt(config.HeadDim);
        [ThreadStatic] static float[]? t_scores;
        int _layer, _position;

        public void Prepare(int layer, int position, int tokens)
        {
            _layer = layer;
            _position = position;
        }

        public void Execute(int start, int end)
        {
            int headDim = config.HeadDim, heads = config.HeadCount, context = session.ContextLength;
            int groupSize = heads / config.KeyValueHeadCount;
            var scores = t_scores is { } s && s.Length >= context ? s : (t_scores = new float[context]);
            for (int item = start; item < end; item++)
            {
                int b = item / heads, h = item % heads, g = h / groupSize;
                int last = _position + b;
                int first = slidingWindow is int w ? Math.Max(0, last - w + 1) : 0;
                int groupOffset = g * context * headDim;
                int span = context * headDim;
                Kernels.Attention.Head(
                    session.Qkv.AsSpan(b * config.QkvDim + h * headDim, headDim),
                    session._keys[_layer].AsSpan(groupOffset, span),
                    session._values[_layer].AsSpan(groupOffset, span),
                    first, last, _scale, scores,
                    session.AttentionOutput.AsSpan((b * heads + h) * headDim, headDim));
            }
        }
    }
}
