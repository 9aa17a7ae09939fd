using System.Numerics.Tensors;
using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi2;

/// <summary>
/// The Phi-2 / Phi-1.5 decoder (PhiForCausalLM; GGUF arch "phi2") on the shared decoder: token embeddings in,
/// <see cref="Phi2Layer"/>s, a final LayerNorm and a biased output head.
/// </summary>
internal sealed class Phi2Network : DecoderNetwork
{
    readonly Phi2Layer[] _layers;

    public Phi2Config Config { get; }
    public Phi2Weights Weights { get; }
    public override DecoderShape Shape { get; }
    public override IReadOnlyList<IDecoderLayer> Layers => _layers;

    /// <param name="bind">Finds the tensors under the file's names (<see cref="Phi2Weights.BindGguf"/> or
    /// <see cref="Phi2Weights.BindHuggingFace"/>), once the configuration is known to be valid.</param>
    public Phi2Network(ITensorSource source, Phi2Config config, Func<ITensorSource, Phi2Config, Phi2Weights> bind)
    {
        config.Validate(source.Path);
        Config = config;
        Weights = bind(source, config);
        var rotary = new RotaryEmbedding(config.RotaryDim, config.RopeTheta);
        _layers = Weights.Layers.Select(w => new Phi2Layer(config, w, rotary)).ToArray();
        Shape = ShapeOf(config);
    }

    /// <summary>What the decoder allocates for <paramref name="config"/> (and what `phi info` names a model by).</summary>
    public static DecoderShape ShapeOf(Phi2Config config) => new()
    {
        HiddenSize = config.HiddenSize, LayerCount = config.LayerCount, HeadCount = config.HeadCount,
        KeyValueHeadCount = config.KeyValueHeadCount, HeadDim = config.HeadDim, VocabSize = config.VocabSize,
        MaxPositions = config.MaxPositions, OutputWidth = config.VocabSize,
        QkvWidth = config.HiddenSize + 2 * config.KeyValueDim, FeedForwardWidth = config.IntermediateSize,
        RotaryPairs = config.RotaryDim / 2,
    };

    public override void Embed(int token, int position, Span<float> row, Span<float> scratch) =>
        WeightRows.AsFloat(Weights.Embedding, token, scratch).CopyTo(row);

    public override void Head(DecoderChunk chunk, int first, int count, Span<float> output)
    {
        int hidden = Config.HiddenSize, vocab = Config.VocabSize;
        var norm = Weights.FinalNorm;
        for (int b = 0; b < count; b++)
            Normalization.LayerNorm(chunk.Residual.AsSpan((first + b) * hidden, hidden), norm.Weight, norm.Bias, Config.LayerNormEpsilon,
                chunk.Normed.AsSpan(b * hidden, hidden));
        chunk.MatMul.Multiply(Weights.Head.Weight, chunk.Normed.AsSpan(0, count * hidden), output[..(count * vocab)], count);
        if (Weights.Head.Bias is not { } bias) return;
        for (int b = 0; b < count; b++)
        {
            var row = output.Slice(b * vocab, vocab);
            TensorPrimitives.Add(row, bias, row);
        }
    }
}
