using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Kernels;

namespace PhiSharp.Models.Phi3;

/// <summary>
/// The Phi-3 decoder (Phi3ForCausalLM; GGUF arch "phi3"): per layer, RMSNorm → fused QKV → rotary → grouped-query
/// causal attention (optionally windowed) → output projection → residual, then RMSNorm → fused gate/up →
/// SiLU gate → down → residual; a final RMSNorm and the output head (tied to the embedding in Phi-4-mini).
/// </summary>
public sealed class Phi3Model : ICausalLanguageModel
{
    /// <summary>Tokens per forward chunk: bounds scratch memory while letting a prompt reuse each weight row.</summary>
    internal const int MaxBatch = 64;

    readonly ITensorSource _source;
    readonly bool _ownsPool;

    // MatMul and the worker pool hold the state of the operation in flight, so forward passes of different sessions
    // take turns, one chunk at a time: sessions may be used from different threads, and a long prompt does not hold
    // back other sessions' decode steps for more than a chunk.
    readonly Lock _forwardLock = new();

    public Phi3Config Config { get; }
    internal Phi3Weights Weights { get; }
    internal RotaryEmbedding Rotary { get; }
    internal WorkerPool Pool { get; }
    internal MatMul MatMul { get; }

    /// <summary>Keys older than this many positions are hidden; null disables the window.</summary>
    internal int? SlidingWindow { get; }

    public int VocabSize => Config.VocabSize;
    public int MaxContextLength => Config.MaxPositions;

    /// <param name="source">The tensors; owned by the model from here on.</param>
    /// <param name="pool">Shared worker pool, or null to create one with <paramref name="threads"/> threads.</param>
    /// <param name="ignoreSlidingWindow">Attend to every earlier key, as llama.cpp does, instead of HF's window.</param>
    /// <param name="kvCache">The precision of the sessions' key/value caches.</param>
    public Phi3Model(ITensorSource source, Phi3Config config, Phi3TensorNames names, WorkerPool? pool = null,
        int threads = 0, bool ignoreSlidingWindow = false, KvCacheType kvCache = KvCacheType.F32)
    {
        KvCache = kvCache;
        config.Validate(source.Path);
        _source = source;
        Config = config;
        Weights = Phi3Weights.Bind(source, config, names);
        SlidingWindow = ignoreSlidingWindow ? null : config.SlidingWindow;
        Rotary = config.LongRope is { } rope
            ? new RotaryEmbedding(config.RotaryDim, config.RopeTheta, rope.ShortFactor, rope.LongFactor, rope.OriginalMaxPositions, rope.AttentionFactor)
            : new RotaryEmbedding(config.RotaryDim, config.RopeTheta);
        _ownsPool = pool is null;
        Pool = pool ?? new WorkerPool(WorkerPool.ThreadsFor(threads));
        MatMul = new MatMul(Pool);
    }

    internal KvCacheType KvCache { get; }

    public IInferenceSession CreateSession(int contextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contextLength, MaxContextLength);
        return new Phi3Session(this, contextLength);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions start.. through every layer, filling the session's KV cache, and
    /// writes logits for the last token, or all of them. <paramref name="longRope"/> picks the LongRoPE factor set.
    /// </summary>
    internal void Forward(Phi3Session s, ReadOnlySpan<int> tokens, int start, bool longRope, Span<float> logits, bool allPositions)
    {
        var c = Config;
        int hidden = c.HiddenSize, vocab = c.VocabSize;
        for (int done = 0; done < tokens.Length; done += MaxBatch)
        {
            using var turn = _forwardLock.EnterScope();
            int n = Math.Min(MaxBatch, tokens.Length - done);
            int position = start + done;
            var x = s.Residual.AsSpan(0, n * hidden);
            for (int b = 0; b < n; b++)
                WeightRows.AsFloat(Weights.Embedding, tokens[done + b], s.Normed).CopyTo(x.Slice(b * hidden, hidden));

            for (int layer = 0; layer < Weights.Layers.Length; layer++)
            {
                AttentionBlock(s, Weights.Layers[layer], layer, position, n, longRope);
                FeedForwardBlock(s, Weights.Layers[layer], n);
            }

            bool last = done + n == tokens.Length;
            if (allPositions)
            {
                NormRows(s.Residual, Weights.OutputNorm, s.Normed, n);
                MatMul.Multiply(Weights.Output, s.Normed, logits.Slice(done * vocab, n * vocab), n);
            }
            else if (last)
            {
                // Only the final token's logits are wanted: norm and project one row.
                var lastRow = s.Residual.AsSpan((n - 1) * hidden, hidden);
                Normalization.RmsNorm(lastRow, Weights.OutputNorm, c.RmsNormEpsilon, s.Normed.AsSpan(0, hidden));
                MatMul.Multiply(Weights.Output, s.Normed.AsSpan(0, hidden), logits[..vocab], 1);
            }
        }
    }

    void AttentionBlock(Phi3Session s, Phi3LayerWeights w, int layer, int position, int n, bool longRope)
    {
        var c = Config;
        int hidden = c.HiddenSize, qkvDim = c.QkvDim, headDim = c.HeadDim;
        NormRows(s.Residual, w.AttentionNorm, s.Normed, n);
        MatMul.Multiply(w.Qkv, s.Normed, s.Qkv, n);

        // Rotate q and k of every token, then move k and v into the cache.
        int pairs = Rotary.PairCount;
        var cos = s.Cos.AsSpan(0, pairs);
        var sin = s.Sin.AsSpan(0, pairs);
        int kvOffset = c.HeadCount * headDim;
        for (int b = 0; b < n; b++)
        {
            Rotary.Angles(position + b, longRope, cos, sin);
            var row = s.Qkv.AsSpan(b * qkvDim, qkvDim);
            for (int h = 0; h < c.HeadCount + c.KeyValueHeadCount; h++)
                Rope.RotateHalf(row.Slice(h * headDim, c.RotaryDim), cos, sin);
            for (int g = 0; g < c.KeyValueHeadCount; g++)
            {
                s.Cache.Store(layer, g, position + b, row.Slice(kvOffset + g * headDim, headDim),
                    row.Slice(kvOffset + (c.KeyValueHeadCount + g) * headDim, headDim));
            }
        }

        s.Attention.Run(Pool, layer, position, n, s.Qkv, qkvDim, s.AttentionOutput);

        MatMul.Multiply(w.AttentionOutput, s.AttentionOutput, s.Projected, n);
        AddRows(s.Residual, s.Projected, n * hidden);
    }

    void FeedForwardBlock(Phi3Session s, Phi3LayerWeights w, int n)
    {
        int hidden = Config.HiddenSize, ff = Config.IntermediateSize;
        NormRows(s.Residual, w.FeedForwardNorm, s.Normed, n);
        MatMul.Multiply(w.GateUp, s.Normed, s.GateUp, n);
        for (int b = 0; b < n; b++)
        {
            var gateUp = s.GateUp.AsSpan(b * 2 * ff, 2 * ff);
            Activations.SiluGate(gateUp[..ff], gateUp[ff..], s.Activated.AsSpan(b * ff, ff));
        }
        MatMul.Multiply(w.Down, s.Activated, s.Projected, n);
        AddRows(s.Residual, s.Projected, n * hidden);
    }

    void NormRows(float[] x, float[] weight, float[] y, int n)
    {
        int hidden = Config.HiddenSize;
        for (int b = 0; b < n; b++)
            Normalization.RmsNorm(x.AsSpan(b * hidden, hidden), weight, Config.RmsNormEpsilon, y.AsSpan(b * hidden, hidden));
    }

    static void AddRows(float[] residual, float[] delta, int count) =>
        System.Numerics.Tensors.TensorPrimitives.Add(residual.AsSpan(0, count), delta.AsSpan(0, count), residual.AsSpan(0, count));

    public void Dispose()
    {
        if (_ownsPool) Pool.Dispose();
        _source.Dispose();
    }
}
