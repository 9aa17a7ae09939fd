using PhiSharp.Compute;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// Grouped-query attention for a chunk's rows, each row's queries over its own sequence's <see cref="KvCache"/>
/// (<see cref="ChunkSegment"/>), seeing the keys a layer's <see cref="AttentionVisibility"/> gives it. Over float32
/// caches one work item per (row, query head); over float16 caches one per (sequence, query head), covering all that
/// sequence's rows, so that each tile of the cache is widened once per head. The items are independent, so the
/// worker pool splits them freely, and the sequences of a batched step share one pass.
/// </summary>
internal sealed class CachedAttention(DecoderChunk chunk, int heads, int kvHeads) : IParallelWork
{
    [ThreadStatic] static float[]? t_scores;
    [ThreadStatic] static float[]? t_tile;
    float[] _queries = [], _output = [];
    AttentionVisibility _visibility = AttentionVisibility.Causal;
    float _scale;
    bool _half;
    int _queryStride, _layer;

    /// <param name="layer">The cache layer holding this layer's keys and values.</param>
    /// <param name="scale">Multiplies q·k: 1/√headDim, or a muP model's own.</param>
    /// <param name="queries">Rotated queries: row b, head h at [b · queryStride + h · headDim].</param>
    /// <param name="output">Attended heads: row b, head h at [(b · heads + h) · headDim].</param>
    public void Run(int layer, AttentionVisibility visibility, float scale, float[] queries, int queryStride, float[] output)
    {
        _layer = layer;
        _visibility = visibility;
        _scale = scale;
        _queries = queries;
        _queryStride = queryStride;
        _output = output;
        _half = chunk.Segment(0).Cache.Type == KvCacheType.F16;
        chunk.Pool.Run(this, (_half ? chunk.SegmentCount : chunk.Rows) * heads);
    }

    public void Execute(int start, int end)
    {
        if (_half) ExecuteHalf(start, end);
        else ExecuteSingle(start, end);
    }

    void ExecuteSingle(int start, int end)
    {
        int groupSize = heads / kvHeads;
        var mask = _visibility.HidesKeysInRange ? _visibility : null;
        for (int item = start; item < end; item++)
        {
            int b = item / heads, h = item % heads, g = h / groupSize;
            ref readonly var segment = ref chunk.Segment(chunk.SegmentOf(b));
            var cache = segment.Cache;
            int headDim = cache.HeadDim, query = chunk.PositionOf(b), cached = segment.Position + segment.Rows;
            var scores = Scratch(ref t_scores, cache.ContextLength);
            Kernels.Attention.Head(_queries.AsSpan(b * _queryStride + h * headDim, headDim), cache.Keys(_layer, g),
                cache.Values(_layer, g), _visibility.FirstKey(h, query), _visibility.LastKey(h, query, cached), _scale, scores,
                _output.AsSpan((b * heads + h) * headDim, headDim), mask, h, query);
        }
    }

    void ExecuteHalf(int start, int end)
    {
        int groupSize = heads / kvHeads;
        for (int item = start; item < end; item++)
        {
            int h = item % heads, g = h / groupSize;
            ref readonly var segment = ref chunk.Segment(item / heads);
            var cache = segment.Cache;
            int headDim = cache.HeadDim, context = cache.ContextLength, first = segment.FirstRow;
            var scores = Scratch(ref t_scores, segment.Rows * context);
            var tile = Scratch(ref t_tile, Kernels.Attention.TileLength * headDim);
            Kernels.Attention.Heads(_queries.AsSpan(first * _queryStride + h * headDim), _queryStride, segment.Rows, segment.Position,
                _visibility, h, headDim, cache.HalfKeys(_layer, g), cache.HalfValues(_layer, g), _scale, scores, context, tile,
                _output.AsSpan((first * heads + h) * headDim), heads * headDim);
        }
    }

    /// <summary>A per-thread buffer of at least <paramref name="length"/> floats, grown on first need only.</summary>
    static float[] Scratch(ref float[]? buffer, int length) => buffer is { } b && b.Length >= length ? b : (buffer = new float[length]);
}
