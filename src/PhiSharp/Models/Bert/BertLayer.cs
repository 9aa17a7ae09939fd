using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Bert;

/// <summary>
/// One post-LayerNorm encoder layer: x = LN(x + attention(x)); x = LN(x + mlp(x)). Attention is bidirectional
/// multi-head (rotary q/k, rotate-half over the whole head, for Nomic BERT); the MLP is GELU (erf) for BERT and SwiGLU
/// for Nomic BERT.
/// </summary>
internal sealed class BertLayer(BertConfig config, BertLayerWeights weights, RotaryEmbedding? rotary) : IDecoderLayer
{
    readonly float _scale = 1f / MathF.Sqrt(config.HeadDim);

    public void Forward(DecoderChunk chunk)
    {
        int hidden = config.HiddenSize, headDim = config.HeadDim, capacity = chunk.Capacity, ff = config.IntermediateSize;
        var query = chunk.Qkv.AsSpan(0, capacity * hidden);
        var key = chunk.Qkv.AsSpan(capacity * hidden, capacity * hidden);
        var value = chunk.Qkv.AsSpan(2 * capacity * hidden, capacity * hidden);
        chunk.Linear(weights.Query, chunk.Residual, query);
        chunk.Linear(weights.Key, chunk.Residual, key);
        chunk.Linear(weights.Value, chunk.Residual, value);
        for (int b = 0; b < chunk.Rows; b++)
        {
            if (rotary is not null)
            {
                rotary.Angles(chunk.PositionOf(b), longFactors: false, chunk.Cos, chunk.Sin);
                for (int h = 0; h < config.HeadCount; h++)
                {
                    Rope.RotateHalf(query.Slice(b * hidden + h * headDim, headDim), chunk.Cos, chunk.Sin);
                    Rope.RotateHalf(key.Slice(b * hidden + h * headDim, headDim), chunk.Cos, chunk.Sin);
                }
            }
            for (int h = 0; h < config.HeadCount; h++)
                chunk.Store(b, h, key.Slice(b * hidden + h * headDim, headDim), value.Slice(b * hidden + h * headDim, headDim));
        }
        chunk.Attend(AttentionVisibility.Bidirectional, _scale, chunk.Qkv, hidden);
        chunk.Linear(weights.Output, chunk.Attended, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);
        chunk.LayerNormRows(chunk.Residual, weights.AttentionNorm, config.LayerNormEpsilon, chunk.Residual);

        var up = chunk.FeedForward.AsSpan(0, chunk.Rows * ff);
        chunk.Linear(weights.Up, chunk.Residual, chunk.FeedForward);
        if (weights.Gate is { } gate)
        {
            var gated = chunk.FeedForward.AsSpan(capacity * ff, chunk.Rows * ff);
            chunk.Linear(gate, chunk.Residual, gated);
            Activations.SiluGate(gated, up, chunk.Activated.AsSpan(0, chunk.Rows * ff));
            chunk.Linear(weights.Down, chunk.Activated, chunk.Projected);
        }
        else
        {
            Activations.GeluErf(up, up);
            chunk.Linear(weights.Down, chunk.FeedForward, chunk.Projected);
        }
        chunk.AddToResidual(chunk.Projected);
        chunk.LayerNormRows(chunk.Residual, weights.OutputNorm, config.LayerNormEpsilon, chunk.Residual);
    }
}
