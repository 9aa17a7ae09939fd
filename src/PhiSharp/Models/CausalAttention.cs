using PhiSharp.Compute;

namespace PhiSharp.Models;

/// <summary>
/// Causal (optionally windowed) grouped-query attention for a chunk of tokens over a <see cref="KvCache"/>, one work
/// item per (token, query head) — the items are independent, so the worker pool splits them freely.
/// </summary>
internal sealed class CausalAttention(KvCache cache, int heads, int kvHeads, int? slidingWindow) : IParallelWork
{
    readonly float _scale = 1f / MathF.Sqrt(cache.HeadDim);
    [ThreadStatic] static float[]? t_scores;
    [ThreadStatic] static float[]? t_tile;
    float[] _queries = [], _output = [];
    int _queryStride, _layer, _position;

    /// <param name="queries">Rotated queries: token b, head h at [b · queryStride + h · headDim].</param>
    /// <param name="output">Attended heads: token b, head h at [(b · heads + h) · headDim].</param>
    public void Run(WorkerPool pool, int layer, int position, int tokens, float[] queries, int queryStride, float[] output)
    {
        _layer = layer;
        _position = position;
        _queries = queries;
        _queryStride = queryStride;
        _output = output;
        pool.Run(this, tokens * heads);
    }

    public void Execute(int start, int end)
    {
        int headDim = cache.HeadDim, context = cache.ContextLength, groupSize = heads / kvHeads;
        var scores = t_scores is { } s && s.Length >= context ? s : (t_scores = new float[context]);
        int tileLength = Kernels.Attention.TileLength * headDim;
        var tile = t_tile is { } t && t.Length >= tileLength ? t : (t_tile = new float[tileLength]);
        for (int item = start; item < end; item++)
        {
            int b = item / heads, h = item % heads, g = h / groupSize;
            int last = _position + b;
            int first = slidingWindow is int w ? Math.Max(0, last - w + 1) : 0;
            var query = _queries.AsSpan(b * _queryStride + h * headDim, headDim);
            var output = _output.AsSpan((b * heads + h) * headDim, headDim);
            if (cache.Type == KvCacheType.F16)
                Kernels.Attention.Head(query, cache.HalfKeys(_layer, g), cache.HalfValues(_layer, g), first, last, _scale, scores, tile, output);
            else
                Kernels.Attention.Head(query, cache.Keys(_layer, g), cache.Values(_layer, g), first, last, _scale, scores, output);
        }
    }
}
