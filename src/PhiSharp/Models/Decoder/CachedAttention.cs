using PhiSharp.Compute;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// Grouped-query attention for a chunk of tokens over a <see cref="KvCache"/>, each query seeing the keys a layer's
/// <see cref="AttentionVisibility"/> gives it. Over a float32 cache one work item per (token, query head); over a
/// float16 cache one per query head, covering all the chunk's tokens, so that each tile of the cache is widened once
/// per head — the items are independent, so the worker pool splits them freely.
/// </summary>
internal sealed class CachedAttention(KvCache cache, int heads, int kvHeads) : IParallelWork
{
    [ThreadStatic] static float[]? t_scores;
    [ThreadStatic] static float[]? t_tile;
    float[] _queries = [], _output = [];
    AttentionVisibility _visibility = AttentionVisibility.Causal;
    float _scale;
    int _queryStride, _layer, _position, _tokens;

    /// <param name="layer">The cache layer holding this layer's keys and values.</param>
    /// <param name="scale">Multiplies q·k: 1/√headDim, or a muP model's own.</param>
    /// <param name="queries">Rotated queries: token b, head h at [b · queryStride + h · headDim].</param>
    /// <param name="output">Attended heads: token b, head h at [(b · heads + h) · headDim].</param>
    public void Run(WorkerPool pool, int layer, AttentionVisibility visibility, float scale, int position, int tokens,
        float[] queries, int queryStride, float[] output)
    {
        _layer = layer;
        _visibility = visibility;
        _scale = scale;
        _position = position;
        _queries = queries;
        _queryStride = queryStride;
        _output = output;
        _tokens = tokens;
        pool.Run(this, cache.Type == KvCacheType.F16 ? heads : tokens * heads);
    }

    public void Execute(int start, int end)
    {
        if (cache.Type == KvCacheType.F16) ExecuteHalf(start, end);
        else ExecuteSingle(start, end);
    }

    void ExecuteSingle(int start, int end)
    {
        int headDim = cache.HeadDim, context = cache.ContextLength, groupSize = heads / kvHeads, cached = _position + _tokens;
        var scores = Scratch(ref t_scores, context);
        var mask = _visibility.HidesKeysInRange ? _visibility : null;
        for (int item = start; item < end; item++)
        {
            int b = item / heads, h = item % heads, g = h / groupSize;
            int query = _position + b;
            Kernels.Attention.Head(_queries.AsSpan(b * _queryStride + h * headDim, headDim), cache.Keys(_layer, g),
                cache.Values(_layer, g), _visibility.FirstKey(h, query), _visibility.LastKey(h, query, cached), _scale, scores,
                _output.AsSpan((b * heads + h) * headDim, headDim), mask, h, query);
        }
    }

    void ExecuteHalf(int start, int end)
    {
        int headDim = cache.HeadDim, context = cache.ContextLength, groupSize = heads / kvHeads;
        var scores = Scratch(ref t_scores, _tokens * context);
        var tile = Scratch(ref t_tile, Kernels.Attention.TileLength * headDim);
        for (int h = start; h < end; h++)
        {
            int g = h / groupSize;
            Kernels.Attention.Heads(_queries.AsSpan(h * headDim), _queryStride, _tokens, _position, _visibility, h, headDim,
                cache.HalfKeys(_layer, g), cache.HalfValues(_layer, g), _scale, scores, context, tile,
                _output.AsSpan(h * headDim), heads * headDim);
        }
    }

    /// <summary>A per-thread buffer of at least <paramref name="length"/> floats, grown on first need only.</summary>
    static float[] Scratch(ref float[]? buffer, int length) => buffer is { } b && b.Length >= length ? b : (buffer = new float[length]);
}
