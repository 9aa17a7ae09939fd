using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3;

/// <summary>
/// The Phi-3 decoder (Phi3ForCausalLM; GGUF arch "phi3": Phi-3 mini/medium, Phi-3.5-mini, Phi-4, Phi-4-mini) on the
/// shared decoder: token embeddings in, <see cref="Phi3Layer"/>s, a final RMSNorm and the output head (tied to the
/// embedding in Phi-4-mini).
/// </summary>
internal sealed class Phi3Network : DecoderNetwork
{
    readonly Phi3Layer[] _layers;

    public Phi3Config Config { get; }
    public Phi3Weights Weights { get; }
    public RotaryEmbedding Rotary { get; }
    public override DecoderShape Shape { get; }
    public override IReadOnlyList<IDecoderLayer> Layers => _layers;

    /// <param name="ignoreSlidingWindow">Attend to every earlier key, as llama.cpp does, instead of HF's window.</param>
    public Phi3Network(ITensorSource source, Phi3Config config, Phi3TensorNames names, bool ignoreSlidingWindow = false)
    {
        config.Validate(source.Path);
        Config = config;
        Weights = Phi3Weights.Bind(source, config, names);
        Rotary = config.LongRope is { } rope
            ? new RotaryEmbedding(config.RotaryDim, config.RopeTheta, rope.ShortFactor, rope.LongFactor, rope.OriginalMaxPositions, rope.AttentionFactor)
            : new RotaryEmbedding(config.RotaryDim, config.RopeTheta);
        var visibility = !ignoreSlidingWindow && config.SlidingWindow is int window
            ? AttentionVisibility.SlidingWindow(window)
            : AttentionVisibility.Causal;
        _layers = Weights.Layers.Select(w => new Phi3Layer(config, w, Rotary, visibility)).ToArray();
        Shape = ShapeOf(config);
    }

    /// <summary>What the decoder allocates for <paramref name="config"/> (and what `phi info` names a model by).</summary>
    public static DecoderShape ShapeOf(Phi3Config config) => new()
    {
        HiddenSize = config.HiddenSize, LayerCount = config.LayerCount, HeadCount = config.HeadCount,
        KeyValueHeadCount = config.KeyValueHeadCount, HeadDim = config.HeadDim, VocabSize = config.VocabSize,
        MaxPositions = config.MaxPositions, OutputWidth = config.VocabSize, QkvWidth = config.QkvDim,
        FeedForwardWidth = 2 * config.IntermediateSize, ActivatedWidth = config.IntermediateSize,
        RotaryPairs = config.RotaryDim / 2,
    };

    public override bool UsesLongFactors(int sequenceLength) => Rotary.UsesLongFactors(sequenceLength);

    public override void Embed(int token, int position, Span<float> row, Span<float> scratch) =>
        WeightRows.AsFloat(Weights.Embedding, token, scratch).CopyTo(row);

    public override void Head(DecoderChunk chunk, int first, int count, Span<float> output)
    {
        int hidden = Config.HiddenSize;
        for (int b = 0; b < count; b++)
            Normalization.RmsNorm(chunk.Residual.AsSpan((first + b) * hidden, hidden), Weights.OutputNorm, Config.RmsNormEpsilon,
                chunk.Normed.AsSpan(b * hidden, hidden));
        chunk.MatMul.Multiply(Weights.Output, chunk.Normed.AsSpan(0, count * hidden), output[..(count * Config.VocabSize)], count);
    }
}
