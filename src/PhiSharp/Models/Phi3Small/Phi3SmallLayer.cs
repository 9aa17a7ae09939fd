using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// One Phi-3-small layer: LayerNorm → query_key_value (+bias) → rotary → grouped-query attention (dense or
/// block-sparse, muP scale) → dense (+bias) → residual, then LayerNorm → up_proj (+bias) → GEGLU → down_proj (+bias)
/// → residual.
/// </summary>
internal sealed class Phi3SmallLayer(Phi3SmallConfig config, Phi3SmallLayerWeights weights, Phi3SmallRotary rotary,
    AttentionVisibility visibility) : IDecoderLayer
{
    readonly float _scale = config.AttentionScale;

    public void Forward(DecoderChunk chunk)
    {
        Attention(chunk);
        FeedForward(chunk);
    }

    void Attention(DecoderChunk chunk)
    {
        var c = config;
        int qkvDim = c.QkvDim, d = c.HeadDim, hidden = c.HiddenSize, perGroup = c.QueriesPerKeyValue;
        chunk.LayerNormRows(chunk.Residual, weights.AttentionNorm, c.LayerNormEpsilon, chunk.Normed);
        chunk.Linear(weights.Qkv, chunk.Normed, chunk.Qkv);

        // query_key_value is grouped: KV group g holds its query heads g·perGroup.., then its key, then its value.
        // Query heads are gathered into Normed (free once projected: heads · d = hidden floats a row) in head order.
        var cos = chunk.Cos.AsSpan();
        var sin = chunk.Sin.AsSpan();
        for (int b = 0; b < chunk.Rows; b++)
        {
            rotary.Angles(chunk.PositionOf(b), chunk.LongFactorsOf(b), cos, sin);
            var row = chunk.Qkv.AsSpan(b * qkvDim, qkvDim);
            var queries = chunk.Normed.AsSpan(b * hidden, hidden);
            for (int g = 0; g < c.KeyValueHeadCount; g++)
            {
                var group = row.Slice(g * (perGroup + 2) * d, (perGroup + 2) * d);
                for (int j = 0; j < perGroup; j++)
                {
                    var query = queries.Slice((g * perGroup + j) * d, d);
                    group.Slice(j * d, d).CopyTo(query);
                    Rope.RotateHalf(query, cos, sin);
                }
                var key = group.Slice(perGroup * d, d);
                Rope.RotateHalf(key, cos, sin);
                chunk.Store(b, g, key, group.Slice((perGroup + 1) * d, d));
            }
        }

        chunk.Attend(visibility, _scale, chunk.Normed, hidden);
        chunk.Linear(weights.AttentionOutput, chunk.Attended, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);
    }

    void FeedForward(DecoderChunk chunk)
    {
        int ff = config.IntermediateSize;
        chunk.LayerNormRows(chunk.Residual, weights.FeedForwardNorm, config.LayerNormEpsilon, chunk.Normed);
        chunk.Linear(weights.Up, chunk.Normed, chunk.FeedForward);
        for (int b = 0; b < chunk.Rows; b++)
            Gegelu.Apply(chunk.FeedForward.AsSpan(b * 2 * ff, 2 * ff), config.GegeluLimit, chunk.Activated.AsSpan(b * ff, ff));
        chunk.Linear(weights.Down, chunk.Activated, chunk.Projected);
        chunk.AddToResidual(chunk.Projected);
    }
}
