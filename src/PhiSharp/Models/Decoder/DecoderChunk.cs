using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Kernels;
using PhiSharp.Tensors;

namespace PhiSharp.Models.Decoder;

/// <summary>Rows [FirstRow, FirstRow + Rows) of a chunk: consecutive tokens of one sequence, from sequence position
/// <paramref name="Position"/> on, whose keys and values go to <paramref name="Cache"/>.</summary>
internal readonly record struct ChunkSegment(KvCache Cache, int Position, int FirstRow, int Rows, bool LongFactors);

/// <summary>
/// The rows in flight and the scratch a layer works on. A chunk's rows are tokens of one or several sequences (a
/// batched step: the rows of every session go through each matmul together, so the weights are read once for all of
/// them), one <see cref="ChunkSegment"/> per sequence. Each buffer holds up to <see cref="Capacity"/> rows of its
/// width (<see cref="DecoderShape"/>), allocated once per model so that steps allocate nothing.
/// </summary>
internal sealed class DecoderChunk
{
    readonly ChunkSegment[] _segments;
    readonly int[] _segmentOfRow, _positionOfRow;

    public DecoderChunk(DecoderModel model, int capacity)
    {
        var shape = model.Network.Shape;
        Shape = shape;
        Pool = model.Pool;
        MatMul = model.MatMul;
        Capacity = capacity;
        _segments = new ChunkSegment[capacity];
        _segmentOfRow = new int[capacity];
        _positionOfRow = new int[capacity];
        Attention = new CachedAttention(this, shape.HeadCount, shape.KeyValueHeadCount);
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

    public int Rows { get; private set; }
    public int SegmentCount { get; private set; }
    public ref readonly ChunkSegment Segment(int index) => ref _segments[index];

    /// <summary>The sequence position of row <paramref name="row"/>.</summary>
    public int PositionOf(int row) => _positionOfRow[row];

    /// <summary>Whether LongRoPE's long factors apply to row <paramref name="row"/>'s sequence
    /// (see <see cref="DecoderNetwork.UsesLongFactors"/>).</summary>
    public bool LongFactorsOf(int row) => _segments[_segmentOfRow[row]].LongFactors;

    /// <summary>The layer being evaluated.</summary>
    public int Layer { get; private set; }
    /// <summary>Where that layer's keys and values go: its own cache layer, or an encoder's single one.</summary>
    public int CacheLayer { get; private set; }

    internal void Clear()
    {
        Rows = 0;
        SegmentCount = 0;
    }

    /// <summary>Appends <paramref name="rows"/> rows: tokens of one sequence from <paramref name="position"/> on.</summary>
    internal void Add(KvCache cache, int position, int rows, bool longFactors)
    {
        if (Rows + rows > Capacity) throw new InvalidOperationException($"A chunk holds {Capacity} rows; {Rows + rows} were asked for.");
        int segment = SegmentCount++;
        _segments[segment] = new ChunkSegment(cache, position, Rows, rows, longFactors);
        for (int b = 0; b < rows; b++)
        {
            _segmentOfRow[Rows + b] = segment;
            _positionOfRow[Rows + b] = position + b;
        }
        Rows += rows;
    }

    internal void EnterLayer(int layer)
    {
        Layer = layer;
        CacheLayer = _segments[0].Cache.LayerCount == 1 ? 0 : layer;
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

    /// <summary>Caches the key and value of KV head <paramref name="kvHead"/> of row <paramref name="row"/> in its
    /// sequence's cache.</summary>
    public void Store(int row, int kvHead, ReadOnlySpan<float> key, ReadOnlySpan<float> value) =>
        _segments[_segmentOfRow[row]].Cache.Store(CacheLayer, kvHead, _positionOfRow[row], key, value);

    /// <summary>Attended = attention of every row's query heads (token b's at queries[b · queryStride]) over its own
    /// sequence's cached keys and values, as <paramref name="visibility"/> lets each query see them.</summary>
    public void Attend(AttentionVisibility visibility, float scale, float[] queries, int queryStride) =>
        Attention.Run(CacheLayer, visibility, scale, queries, queryStride, Attended);

    internal int SegmentOf(int row) => _segmentOfRow[row];
}
