namespace PhiSharp.Models.Phi2;

/// <summary>One sequence on a <see cref="Phi2Model"/>: its tokens, KV cache and the scratch of a forward chunk.</summary>
internal sealed class Phi2Session : IInferenceSession
{
    readonly Phi2Model _model;
    readonly int[] _tokens;

    public int ContextLength { get; }
    public int Length { get; private set; }
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);

    internal KvCache Cache { get; }
    internal CausalAttention Attention { get; }
    internal float[] Residual { get; }
    internal float[] Normed { get; }
    internal float[] Query { get; }
    internal float[] Key { get; }
    internal float[] Value { get; }
    internal float[] Attended { get; }
    internal float[] AttentionOut { get; }
    internal float[] Up { get; }
    internal float[] MlpOut { get; }
    internal float[] Cos { get; }
    internal float[] Sin { get; }

    public Phi2Session(Phi2Model model, int contextLength)
    {
        var c = model.Config;
        _model = model;
        ContextLength = contextLength;
        _tokens = new int[contextLength];
        Cache = new KvCache(c.LayerCount, c.KeyValueHeadCount, c.HeadDim, contextLength, model.KvCache);
        Attention = new CausalAttention(Cache, c.HeadCount, c.KeyValueHeadCount, slidingWindow: null);
        int batch = Phi2Model.MaxBatch;
        Residual = new float[batch * c.HiddenSize];
        Normed = new float[batch * c.HiddenSize];
        Query = new float[batch * c.HiddenSize];
        Key = new float[batch * c.KeyValueDim];
        Value = new float[batch * c.KeyValueDim];
        Attended = new float[batch * c.HiddenSize];
        AttentionOut = new float[batch * c.HiddenSize];
        Up = new float[batch * c.IntermediateSize];
        MlpOut = new float[batch * c.HiddenSize];
        Cos = new float[c.RotaryDim / 2];
        Sin = new float[c.RotaryDim / 2];
    }

    public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
    {
        SessionArguments.CheckAppend(tokens, logits, allPositions, Length, ContextLength, _model.VocabSize);
        int newLength = Length + tokens.Length;
        tokens.CopyTo(_tokens.AsSpan(Length));
        _model.Forward(this, tokens, Length, logits, allPositions);
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
