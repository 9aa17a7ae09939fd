using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Kernels;

namespace PhiSharp.Models.Phi2;

/// <summary>
/// The Phi-2 / Phi-1.5 decoder (PhiForCausalLM; GGUF arch "phi2"). Each layer normalises its input once with a
/// biased LayerNorm and runs attention and the MLP in parallel on it: x + attention(ln(x)) + mlp(ln(x)).
/// Attention has biased q/k/v/dense projections and rotary embeddings on the first RotaryDim dimensions of each
/// head; the MLP is fc1 → gelu_new → fc2. A final LayerNorm and a biased output head give the logits.
/// </summary>
public sealed class Phi2Model : ICausalLanguageModel
{
    internal const int MaxBatch = 64;

    readonly ITensorSource _source;
    readonly bool _ownsPool;

    // MatMul and the worker pool hold the state of the operation in flight, so forward passes of different sessions
    // take turns one chunk at a time (see Phi3Model).
    readonly Lock _forwardLock = new();

    public Phi2Config Config { get; }
    internal Phi2Weights Weights { get; }
    internal RotaryEmbedding Rotary { get; }
    internal WorkerPool Pool { get; }
    internal MatMul MatMul { get; }

    public int VocabSize => Config.VocabSize;
    public int MaxContextLength => Config.MaxPositions;

    /// <param name="source">The tensors; owned by the model from here on.</param>
    /// <param name="kvCache">The precision of the sessions' key/value caches.</param>
    public Phi2Model(ITensorSource source, Phi2Config config, Phi2Weights weights, WorkerPool? pool = null, int threads = 0,
        KvCacheType kvCache = KvCacheType.F32)
    {
        KvCache = kvCache;
        config.Validate(source.Path);
        _source = source;
        Config = config;
        Weights = weights;
        Rotary = new RotaryEmbedding(config.RotaryDim, config.RopeTheta);
        _ownsPool = pool is null;
        Pool = pool ?? new WorkerPool(WorkerPool.ThreadsFor(threads));
        MatMul = new MatMul(Pool);
    }

    internal KvCacheType KvCache { get; }

    public IInferenceSession CreateSession(int contextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contextLength, MaxContextLength);
        return new Phi2Session(this, contextLength);
    }

    internal void Forward(Phi2Session s, ReadOnlySpan<int> tokens, int start, Span<float> logits, bool allPositions)
    {
        int hidden = Config.HiddenSize, vocab = Config.VocabSize;
        for (int done = 0; done < tokens.Length; done += MaxBatch)
        {
            using var turn = _forwardLock.EnterScope();
            int n = Math.Min(MaxBatch, tokens.Length - done);
            for (int b = 0; b < n; b++)
                WeightRows.AsFloat(Weights.Embedding, tokens[done + b], s.Normed).CopyTo(s.Residual.AsSpan(b * hidden, hidden));

            for (int layer = 0; layer < Weights.Layers.Length; layer++)
                Layer(s, Weights.Layers[layer], layer, start + done, n);

            if (allPositions)
            {
                NormRows(s.Residual, Weights.FinalNorm, s.Normed, n);
                Linear(Weights.Head, s.Normed, logits.Slice(done * vocab, n * vocab), n);
            }
            else if (done + n == tokens.Length)
            {
                var last = s.Residual.AsSpan((n - 1) * hidden, hidden);
                Normalization.LayerNorm(last, Weights.FinalNorm.Weight, Weights.FinalNorm.Bias, Config.LayerNormEpsilon, s.Normed.AsSpan(0, hidden));
                Linear(Weights.Head, s.Normed.AsSpan(0, hidden), logits[..vocab], 1);
            }
        }
    }

    void Layer(Phi2Session s, Phi2LayerWeights w, int layer, int position, int n)
    {
        var c = Config;
        int hidden = c.HiddenSize, headDim = c.HeadDim, kvDim = c.KeyValueDim;
        NormRows(s.Residual, w.Norm, s.Normed, n);

        Linear(w.Query, s.Normed, s.Query, n);
        Linear(w.Key, s.Normed, s.Key, n);
        Linear(w.Value, s.Normed, s.Value, n);
        var cos = s.Cos.AsSpan();
        var sin = s.Sin.AsSpan();
        for (int b = 0; b < n; b++)
        {
            Rotary.Angles(position + b, false, cos, sin);
            var q = s.Query.AsSpan(b * hidden, hidden);
            var k = s.Key.AsSpan(b * kvDim, kvDim);
            for (int h = 0; h < c.HeadCount; h++)
            {
                var head = q.Slice(h * headDim, headDim);
                if (w.QueryNorm is { } qn) Normalization.LayerNorm(head, qn.Weight, qn.Bias, c.LayerNormEpsilon, head);
                Rope.RotateHalf(head[..c.RotaryDim], cos, sin);
            }
            for (int g = 0; g < c.KeyValueHeadCount; g++)
            {
                var head = k.Slice(g * headDim, headDim);
                if (w.KeyNorm is { } kn) Normalization.LayerNorm(head, kn.Weight, kn.Bias, c.LayerNormEpsilon, head);
                Rope.RotateHalf(head[..c.RotaryDim], cos, sin);
                s.Cache.Store(layer, g, position + b, head, s.Value.AsSpan(b * kvDim + g * headDim, headDim));
            }
        }
        s.Attention.Run(Pool, layer, position, n, s.Query, hidden, s.Attended);
        Linear(w.Output, s.Attended, s.AttentionOut, n);

        // The MLP reads the same normed input as attention (the parallel block).
        Linear(w.Up, s.Normed, s.Up, n);
        for (int b = 0; b < n; b++)
        {
            var up = s.Up.AsSpan(b * c.IntermediateSize, c.IntermediateSize);
            Activations.GeluTanh(up, up);
        }
        Linear(w.Down, s.Up, s.MlpOut, n);

        var residual = s.Residual.AsSpan(0, n * hidden);
        TensorPrimitives.Add(residual, s.AttentionOut.AsSpan(0, n * hidden), residual);
        TensorPrimitives.Add(residual, s.MlpOut.AsSpan(0, n * hidden), residual);
    }

    /// <summary>y = W·x + b for each of <paramref name="n"/> rows.</summary>
    void Linear(in BiasedWeight layer, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        MatMul.Multiply(layer.Weight, x, y, n);
        int outputs = layer.Bias.Length;
        for (int b = 0; b < n; b++)
        {
            var row = y.Slice(b * outputs, outputs);
            TensorPrimitives.Add(row, layer.Bias, row);
        }
    }

    void NormRows(float[] x, LayerNormWeights norm, float[] y, int n)
    {
        int hidden = Config.HiddenSize;
        for (int b = 0; b < n; b++)
            Normalization.LayerNorm(x.AsSpan(b * hidden, hidden), norm.Weight, norm.Bias, Config.LayerNormEpsilon, y.AsSpan(b * hidden, hidden));
    }

    public void Dispose()
    {
        if (_ownsPool) Pool.Dispose();
        _source.Dispose();
    }
}
