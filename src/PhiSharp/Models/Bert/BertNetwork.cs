using System.Numerics.Tensors;
using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Bert;

/// <summary>
/// A BERT-family encoder on the shared decoder: its queries see the whole sentence, so a sentence is evaluated in
/// one chunk (<see cref="DecoderNetwork.SeesWholeSequence"/>), and the "head" hands out each position's final state.
/// Embeddings = token + token type 0 (+ learned position for BERT), LayerNormed; then <see cref="BertLayer"/>s.
/// </summary>
internal sealed class BertNetwork : DecoderNetwork
{
    readonly BertLayer[] _layers;

    public BertConfig Config { get; }
    public BertWeights Weights { get; }
    public override DecoderShape Shape { get; }
    public override IReadOnlyList<IDecoderLayer> Layers => _layers;
    public override bool SeesWholeSequence => true;

    public BertNetwork(BertConfig config, BertWeights weights)
    {
        Config = config;
        Weights = weights;
        var rotary = config.Architecture == BertArchitecture.NomicBert ? new RotaryEmbedding(config.HeadDim, config.RopeTheta) : null;
        _layers = weights.Layers.Select(w => new BertLayer(config, w, rotary)).ToArray();
        int hidden = config.HiddenSize, ff = config.IntermediateSize;
        bool gated = config.Architecture == BertArchitecture.NomicBert;
        Shape = new DecoderShape
        {
            HiddenSize = hidden, LayerCount = config.LayerCount, HeadCount = config.HeadCount, KeyValueHeadCount = config.HeadCount,
            HeadDim = config.HeadDim, VocabSize = config.VocabSize, MaxPositions = config.MaxPositions, OutputWidth = hidden,
            QkvWidth = 3 * hidden, FeedForwardWidth = gated ? 2 * ff : ff, ActivatedWidth = gated ? ff : 0,
            RotaryPairs = rotary?.PairCount ?? 0,
        };
    }

    public override void Embed(int token, int position, Span<float> row, Span<float> scratch)
    {
        WeightRows.AsFloat(Weights.TokenEmbedding, token, scratch).CopyTo(row);
        TensorPrimitives.Add(row, Weights.TokenType0, row);
        if (Weights.PositionEmbedding is { } positions) TensorPrimitives.Add(row, WeightRows.AsFloat(positions, position, scratch), row);
        Normalization.LayerNorm(row, Weights.EmbeddingNorm.Weight, Weights.EmbeddingNorm.Bias, Config.LayerNormEpsilon, row);
    }

    /// <summary>The final states themselves: every layer ends in a LayerNorm, and pooling is the caller's.</summary>
    public override void Head(DecoderChunk chunk, int first, int count, Span<float> output)
    {
        int hidden = Config.HiddenSize;
        chunk.Residual.AsSpan(first * hidden, count * hidden).CopyTo(output);
    }
}
