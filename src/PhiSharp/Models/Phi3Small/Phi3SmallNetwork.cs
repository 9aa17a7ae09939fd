using System.Numerics.Tensors;
using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// The Phi-3-small decoder (Phi3SmallForCausalLM, model_type "phi3small"; GGUF arch "phi3small", PhiSharp's own) on
/// the shared decoder: embeddings times mup_embedding_multiplier, <see cref="Phi3SmallLayer"/>s (block-sparse except
/// every dense_attention_every_n_layers-th), a final LayerNorm, the tied output head, logits divided by
/// mup_width_multiplier and the dummy ids set to float32's minimum.
/// </summary>
internal sealed class Phi3SmallNetwork : DecoderNetwork
{
    readonly Phi3SmallLayer[] _layers;
    readonly Phi3SmallRotary _rotary;

    public Phi3SmallConfig Config { get; }
    public Phi3SmallWeights Weights { get; }
    public override DecoderShape Shape { get; }
    public override IReadOnlyList<IDecoderLayer> Layers => _layers;

    public Phi3SmallNetwork(ITensorSource source, Phi3SmallConfig config, Phi3SmallTensorNames names)
    {
        config.Validate(source.Path);
        Config = config;
        Weights = Phi3SmallWeights.Bind(source, config, names);
        _rotary = new Phi3SmallRotary(config);
        var sparse = new BlockSparseVisibility(config.SparsePattern);
        _layers = Weights.Layers.Select((w, i) =>
            new Phi3SmallLayer(config, w, _rotary, config.IsDenseLayer(i) ? AttentionVisibility.Causal : sparse)).ToArray();
        Shape = new DecoderShape
        {
            HiddenSize = config.HiddenSize, LayerCount = config.LayerCount, HeadCount = config.HeadCount,
            KeyValueHeadCount = config.KeyValueHeadCount, HeadDim = config.HeadDim, VocabSize = config.VocabSize,
            MaxPositions = config.MaxPositions, OutputWidth = config.VocabSize, QkvWidth = config.QkvDim,
            FeedForwardWidth = 2 * config.IntermediateSize, ActivatedWidth = config.IntermediateSize,
            RotaryPairs = config.HeadDim / 2,
        };
    }

    public override bool UsesLongFactors(int sequenceLength) => _rotary.UsesLongFactors(sequenceLength);

    public override void Embed(int token, int position, Span<float> row, Span<float> scratch)
    {
        WeightRows.AsFloat(Weights.Embedding, token, scratch).CopyTo(row);
        // The reference skips the multiplier when it is missing or not positive.
        if (Config.MupEmbeddingMultiplier > 0) TensorPrimitives.Multiply(row, Config.MupEmbeddingMultiplier, row);
    }

    public override void Head(DecoderChunk chunk, int first, int count, Span<float> output)
    {
        int hidden = Config.HiddenSize, vocab = Config.VocabSize;
        var norm = Weights.FinalNorm;
        for (int b = 0; b < count; b++)
            Normalization.LayerNorm(chunk.Residual.AsSpan((first + b) * hidden, hidden), norm.Weight, norm.Bias, Config.LayerNormEpsilon,
                chunk.Normed.AsSpan(b * hidden, hidden));
        chunk.MatMul.Multiply(Weights.Output, chunk.Normed.AsSpan(0, count * hidden), output[..(count * vocab)], count);
        for (int b = 0; b < count; b++)
        {
            var row = output.Slice(b * vocab, vocab);
            if (Config.MupWidthMultiplier != 0) TensorPrimitives.Divide(row, Config.MupWidthMultiplier, row);
            foreach (int id in Config.DummyTokenIds) row[id] = float.MinValue;
        }
    }
}
