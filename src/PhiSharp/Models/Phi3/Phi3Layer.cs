using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3;

/// <summary>
/// One Phi-3 layer: RMSNorm → fused QKV → rotary → grouped-query attention (causal, optionally windowed) → output
/// projection → residual, then RMSNorm → fused gate/up → SiLU gate → down → residual.
/// </summary>
internal sealed class Phi3Layer(Phi3Config config, Phi3LayerWeights weights, RotaryEmbedding rotary, AttentionVisibility visibility)
    : IDecoderLayer
{
    readonly float _scale = 1f / MathF.Sqrt(config.HeadDim);

    public void Forward(DecoderChunk chunk)
    {
        Attention(chunk);
        FeedForward(chunk);
    }

    void Attention(DecoderChunk chunk)
    {
        var c = config;
        int qkvDim = c.QkvDim, headDim = c.HeadDim;
        chunk.RmsNormRows(weights.AttentionNorm, c.RmsNormEpsilon);
        chunk.Linear(weights.Qkv, chunk.Normed, chunk.Qkv);

        // Rotate q and k of every token, then move k and v into the cache.
        var cos = chunk.Cos.AsSpan();
        var sin = chunk.Sin.AsSpan();
        int kvOffset = c.HeadCount * headDim;
        for (int b = 0; b < chunk.Rows; b++)
        {
            rotary.Angles(chunk.PositionOf(b), chunk.LongFactorsOf(b), cos, sin);
            var row = chunk.Qkv.AsSpan(b * qkvDim, qkvDim);
            for (int h = 0; h < c.HeadCount + c.KeyValueHeadCount; h++)
                Rope.RotateHalf(row.Slice(h * headDim, c.RotaryDim), cos, sin);
            for (int g = 0; g < c.KeyValueHeadCount; g++)
                chunk.Store(b, g, row.Slice(kvOffset + g * headDim, headDim), row.Slice(kvOffset + (c.KeyValueHeadCount + g) * headDim, headDim));
        }

        chunk.Attend(visibility, _scale, chunk.Qkv, qkvDim);
        chunk.Linear(weights.AttentionOutput, chunk.Attended, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);
    }

    void FeedForward(DecoderChunk chunk)
    {
        int ff = config.IntermediateSize;
        chunk.RmsNormRows(weights.FeedForwardNorm, config.RmsNormEpsilon);
        chunk.Linear(weights.GateUp, chunk.Normed, chunk.FeedForward);
        for (int b = 0; b < chunk.Rows; b++)
        {
            var gateUp = chunk.FeedForward.AsSpan(b * 2 * ff, 2 * ff);
            Activations.SiluGate(gateUp[..ff], gateUp[ff..], chunk.Activated.AsSpan(b * ff, ff));
        }
        chunk.Linear(weights.Down, chunk.Activated, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);
    }
}
