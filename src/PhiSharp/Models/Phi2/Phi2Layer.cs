using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi2;

/// <summary>
/// One Phi-2 layer: a biased LayerNorm of the input feeds attention and the MLP in parallel,
/// x + attention(ln(x)) + mlp(ln(x)). Attention has biased q/k/v/dense projections and rotary embeddings on the
/// first RotaryDim dimensions of each head (after an optional per-head LayerNorm of q and k); the MLP is
/// fc1 → gelu_new → fc2.
/// </summary>
internal sealed class Phi2Layer(Phi2Config config, Phi2LayerWeights weights, RotaryEmbedding rotary) : IDecoderLayer
{
    readonly float _scale = 1f / MathF.Sqrt(config.HeadDim);

    public void Forward(DecoderChunk chunk)
    {
        var c = config;
        int hidden = c.HiddenSize, headDim = c.HeadDim, kvDim = c.KeyValueDim;
        chunk.LayerNormRows(chunk.Residual, weights.Norm, c.LayerNormEpsilon, chunk.Normed);

        // q, k and v side by side in the chunk's Qkv buffer, each a block of Capacity rows.
        var query = chunk.Qkv.AsSpan(0, chunk.Capacity * hidden);
        var key = chunk.Qkv.AsSpan(chunk.Capacity * hidden, chunk.Capacity * kvDim);
        var value = chunk.Qkv.AsSpan(chunk.Capacity * (hidden + kvDim), chunk.Capacity * kvDim);
        chunk.Linear(weights.Query, chunk.Normed, query);
        chunk.Linear(weights.Key, chunk.Normed, key);
        chunk.Linear(weights.Value, chunk.Normed, value);
        var cos = chunk.Cos.AsSpan();
        var sin = chunk.Sin.AsSpan();
        for (int b = 0; b < chunk.Rows; b++)
        {
            rotary.Angles(chunk.PositionOf(b), false, cos, sin);
            var q = query.Slice(b * hidden, hidden);
            var k = key.Slice(b * kvDim, kvDim);
            for (int h = 0; h < c.HeadCount; h++)
            {
                var head = q.Slice(h * headDim, headDim);
                if (weights.QueryNorm is { } qn) Normalization.LayerNorm(head, qn.Weight, qn.Bias, c.LayerNormEpsilon, head);
                Rope.RotateHalf(head[..c.RotaryDim], cos, sin);
            }
            for (int g = 0; g < c.KeyValueHeadCount; g++)
            {
                var head = k.Slice(g * headDim, headDim);
                if (weights.KeyNorm is { } kn) Normalization.LayerNorm(head, kn.Weight, kn.Bias, c.LayerNormEpsilon, head);
                Rope.RotateHalf(head[..c.RotaryDim], cos, sin);
                chunk.Store(b, g, head, value.Slice(b * kvDim + g * headDim, headDim));
            }
        }
        chunk.Attend(AttentionVisibility.Causal, _scale, chunk.Qkv, hidden);
        chunk.Linear(weights.Output, chunk.Attended, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);

        // The MLP reads the same normed input as attention (the parallel block), so adding attention's output to the
        // residual first changes nothing: x + attention + mlp, summed in that order.
        chunk.Linear(weights.Up, chunk.Normed, chunk.FeedForward);
        var up = chunk.FeedForward.AsSpan(0, chunk.Rows * c.IntermediateSize);
        Activations.GeluTanh(up, up);
        chunk.Linear(weights.Down, chunk.FeedForward, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);
    }
}
