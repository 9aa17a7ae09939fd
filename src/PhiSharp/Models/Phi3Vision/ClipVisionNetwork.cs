using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// CLIP's vision transformer on the shared decoder, as an encoder (<see cref="DecoderNetwork.SeesWholeSequence"/>):
/// the 577 rows of a crop (class token, 24 × 24 patches; embedded and pre-LayerNormed by
/// <see cref="Phi3VisionEncoder"/>) go in as spliced rows, the layers up to the one Phi-3-vision takes its features
/// from run, and the "head" hands out the residual rows. Later layers are never evaluated.
/// </summary>
internal sealed class ClipVisionNetwork : DecoderNetwork
{
    public const int Positions = ClipVisionWeights.Patches * ClipVisionWeights.Patches + 1;
    const float LayerNormEpsilon = 1e-5f;

    readonly ClipLayer[] _layers;

    public override DecoderShape Shape { get; }
    public override IReadOnlyList<IDecoderLayer> Layers => _layers;
    public override bool SeesWholeSequence => true;

    /// <param name="layersEvaluated">How many layers feed the features: hidden_states[layer_idx] is the output of
    /// layer count + layer_idx (layer_idx −2: all but the last).</param>
    public ClipVisionNetwork(ClipVisionWeights weights, int layersEvaluated)
    {
        int width = weights.Width;
        _layers = weights.Layers.Take(layersEvaluated).Select(w => new ClipLayer(width, weights.IntermediateSize, w)).ToArray();
        Shape = new DecoderShape
        {
            HiddenSize = width, LayerCount = _layers.Length, HeadCount = width / ClipVisionWeights.HeadDim,
            KeyValueHeadCount = width / ClipVisionWeights.HeadDim, HeadDim = ClipVisionWeights.HeadDim, VocabSize = 1,
            MaxPositions = Positions, OutputWidth = width, QkvWidth = 3 * width, FeedForwardWidth = weights.IntermediateSize,
        };
    }

    public override void Embed(int token, int position, Span<float> row, Span<float> scratch) =>
        throw new InvalidOperationException("The CLIP tower takes embedded patches, not token ids.");

    public override void Head(DecoderChunk chunk, int first, int count, Span<float> output) =>
        chunk.Residual.AsSpan(first * Shape.HiddenSize, count * Shape.HiddenSize).CopyTo(output);

    /// <summary>One pre-LayerNorm encoder layer: x += attention(LN1(x)); x += fc2(quick_gelu(fc1(LN2(x)))).
    /// Attention is bidirectional over the crop's 577 rows, heads of 64, scale 1/8.</summary>
    sealed class ClipLayer(int width, int intermediate, ClipLayerWeights w) : IDecoderLayer
    {
        readonly float _scale = 1f / MathF.Sqrt(ClipVisionWeights.HeadDim);

        public void Forward(DecoderChunk chunk)
        {
            int capacity = chunk.Capacity, headDim = ClipVisionWeights.HeadDim;
            var query = chunk.Qkv.AsSpan(0, capacity * width);
            var key = chunk.Qkv.AsSpan(capacity * width, capacity * width);
            var value = chunk.Qkv.AsSpan(2 * capacity * width, capacity * width);
            chunk.LayerNormRows(chunk.Residual, w.AttentionNorm, LayerNormEpsilon, chunk.Normed);
            chunk.Linear(w.Query, chunk.Normed, query);
            chunk.Linear(w.Key, chunk.Normed, key);
            chunk.Linear(w.Value, chunk.Normed, value);
            for (int b = 0; b < chunk.Rows; b++)
                for (int h = 0; h < width / headDim; h++)
                    chunk.Store(b, h, key.Slice(b * width + h * headDim, headDim), value.Slice(b * width + h * headDim, headDim));
            chunk.Attend(AttentionVisibility.Bidirectional, _scale, chunk.Qkv, width);
            chunk.Linear(w.Output, chunk.Attended, chunk.Projected);
            chunk.AddToResidual(chunk.Projected);

            chunk.LayerNormRows(chunk.Residual, w.FeedForwardNorm, LayerNormEpsilon, chunk.Normed);
            var up = chunk.FeedForward.AsSpan(0, chunk.Rows * intermediate);
            chunk.Linear(w.Up, chunk.Normed, up);
            Activations.QuickGelu(up, up);
            chunk.Linear(w.Down, up, chunk.Projected);
            chunk.AddToResidual(chunk.Projected);
        }
    }
}
