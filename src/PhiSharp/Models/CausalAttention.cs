using PhiSharp.Compute;

namespace PhiSharp.Models;

/// <summary>
/// Causal (optionally windowed) grouped-query attention for a chunk of tokens over a <see cref="KvCache"/>. Over a
/// float32 cache one work item per (token, query head); over a float16 cache one per query head, covering all the
/// chunk's tokens, so that each tile of the cache is widened once per head — the items are independent, so the worker
/// pool splits them freely.
/// </summary>
internal sealed class CausalAttention(KvCache cache, int heads, int kvHeads, int? slidingWindow) : IParallelWork
{
    readonly float _scale = 1f / MathF.Sqrt(cache.HeadDim);
    [ThreadStatic] static float[]? t_scores;
    [ThreadStatic] static float[]? t_tile;
    float[] _queries = [], _output = [];
    int _queryStride, _layer, _position, _tokens;

    /// <param name="queries">Rotated queries: token b, head h at [b · queryStride + h · headDim].</param>
    /// <param name="output">Attended heads: token b, head h at [(b · heads + h) · headDim].</param>
    public void Run(WorkerPool pool, int layer, int position, int tokens, float[] queries, int queryStride, float[] output)
    {
        _layer = layer;
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
        int headDim = cache.HeadDim, context = cache.ContextLength, groupSize = heads / kvHeads;
        var scores = Scratch(ref t_scores, context);
        for (int item = start; item < end; item++)
        {
            int b = item / heads, h = item % heads, g = h / groupSize;
            int last = _position + b;
            int first = slidingWindow is int w ? Math.Max(0, last - w + 1) : 0;
            Kernels.Attention.Head(_queries.AsSpan(b * _queryStride + h * headDim, headDim), cache.Keys(_layer, g),
                cache.Values(_layer, g), first, last, _scale, scores, _output.AsSpan((b * heads + h) * headDim, headDim));
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
            Kernels.Attention.Heads(_queries.AsSpan(h * headDim), _queryStride, _tokens, _position, slidingWindow, headDim,
                cache.HalfKeys(_layer, g), cache.HalfValues(_layer, g), _scale, scores, context, tile,
                _output.AsSpan(h * headDim), heads * headDim);
        }
    }

    /// <summary>A per-thread buffer of at least <paramref name="length"/> floats, grown on first need only.</summary>
    static float[] Scratch(ref float[]? buffer, int length) => buffer is { } b && b.Length >= length ? b : (buffer = new float[length]);
}
