using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Kernels;
using PhiSharp.Tensors;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// A session's scratch and the chunk of rows in flight: what a layer works on. Rows are tokens at positions
/// Position.. Position + Rows − 1; each buffer holds up to <see cref="Capacity"/> rows of its width
/// (<see cref="DecoderShape"/>), allocated once per session so that decode steps allocate nothing.
/// </summary>
internal sealed class DecoderChunk
{
    public DecoderChunk(DecoderModel model, int capacity, KvCache cache)
    {
        var shape = model.Network.Shape;
        Shape = shape;
        Pool = model.Pool;
        MatMul = model.MatMul;
        Capacity = capacity;
        Cache = cache;
        Attention = new CachedAttention(cache, shape.HeadCount, shape.KeyValueHeadCount);
        Residual = new float[capacity * shape.HiddenSize];
        Normed = new float[capacity * shape.HiddenSize];
        Qkv = new float[capacity * shape.QkvWidth];
        Attended = new float[capacity * shape.HeadCount * shape.HeadDim];
        Projected = new float[capacity * shape.HiddenSize];
        FeedForward = new float[capacity * shape.FeedForwardWidth];
        Activated = new float[capacity * shape.ActivatedWidth];
        Cos = new float[shape.RotaryPairs];
        Sin = new float[shape.RotaryPairs];
    }

    public DecoderShape Shape { get; }
    public WorkerPool Pool { get; }
    public MatMul MatMul { get; }
    public KvCache Cache { get; }
    public CachedAttention Attention { get; }
    public int Capacity { get; }

    /// <summary>The residual stream: one row of hidden size per token.</summary>
    public float[] Residual { get; }
    /// <summary>Normalised rows (a layer's input to its projections).</summary>
    public float[] Normed { get; }
    public float[] Qkv { get; }
    /// <summary>Attended heads: token b, head h at [(b · heads + h) · headDim].</summary>
    public float[] Attended { get; }
    /// <summary>Rows of hidden size projected back from attention or the feed-forward.</summary>
    public float[] Projected { get; }
    public float[] FeedForward { get; }
    public float[] Activated { get; }
    public float[] Cos { get; }
    public float[] Sin { get; }

    /// <summary>Position of the chunk's first row in the sequence.</summary>
    public int Position { get; private set; }

    /// <summary>The sequence position of row <paramref name="row"/>. Layers ask this rather than adding to
    /// <see cref="Position"/>, so that rows from several sequences (batched decoding) need no change to them.</summary>
    public int PositionOf(int row) => Position + row;
    public int Rows { get; private set; }
    /// <summary>The layer being evaluated.</summary>
    public int Layer { get; private set; }
    /// <summary>Where that layer's keys and values go: its own cache layer, or an encoder's single one.</summary>
    public int CacheLayer { get; private set; }
    /// <summary>LongRoPE's long factors apply (see <see cref="DecoderNetwork.UsesLongFactors"/>).</summary>
    public bool LongFactors { get; private set; }

    internal void Begin(int position, int rows, bool longFactors)
    {
        Position = position;
        Rows = rows;
        LongFactors = longFactors;
    }

    internal void EnterLayer(int layer)
    {
        Layer = layer;
        CacheLayer = Cache.LayerCount == 1 ? 0 : layer;
    }

    /// <summary>Normed = RMSNorm(Residual) row by row.</summary>
    public void RmsNormRows(float[] weight, float epsilon)
    {
        int hidden = Shape.HiddenSize;
        for (int b = 0; b < Rows; b++)
            Normalization.RmsNorm(Residual.AsSpan(b * hidden, hidden), weight, epsilon, Normed.AsSpan(b * hidden, hidden));
    }

    /// <summary>y = LayerNorm(x) row by row over rows of hidden size; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public void LayerNormRows(float[] x, in LayerNormWeights norm, float epsilon, float[] y)
    {
        int hidden = Shape.HiddenSize;
        for (int b = 0; b < Rows; b++)
            Normalization.LayerNorm(x.AsSpan(b * hidden, hidden), norm.Weight, norm.Bias, epsilon, y.AsSpan(b * hidden, hidden));
    }

    /// <summary>y = W·x for each row.</summary>
    public void Linear(in WeightTensor weight, ReadOnlySpan<float> x, Span<float> y) => MatMul.Multiply(weight, x, y, Rows);

    /// <summary>y = W·x + b for each row (no bias when the projection has none).</summary>
    public void Linear(in Projection projection, ReadOnlySpan<float> x, Span<float> y)
    {
        MatMul.Multiply(projection.Weight, x, y, Rows);
        if (projection.Bias is not { } bias) return;
        for (int b = 0; b < Rows; b++)
        {
            var row = y.Slice(b * bias.Length, bias.Length);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>Residual += rows of <paramref name="delta"/> (hidden size each).</summary>
    public void AddToResidual(float[] delta)
    {
        var residual = Residual.AsSpan(0, Rows * Shape.HiddenSize);
        TensorPrimitives.Add(residual, delta.AsSpan(0, residual.Length), residual);
    }

    /// <summary>Caches the key and value of KV head <paramref name="kvHead"/> of row <paramref name="row"/>.</summary>
    public void Store(int row, int kvHead, ReadOnlySpan<float> key, ReadOnlySpan<float> value) =>
        Cache.Store(CacheLayer, kvHead, PositionOf(row), key, value);

    /// <summary>Attended = attention of every row's query heads (token b's at queries[b · queryStride]) over the
    /// cached keys and values, as <paramref name="visibility"/> lets each query see them.</summary>
    public void Attend(AttentionVisibility visibility, float scale, float[] queries, int queryStride) =>
        Attention.Run(Pool, CacheLayer, visibility, scale, Position, Rows, queries, queryStride, Attended);
}
