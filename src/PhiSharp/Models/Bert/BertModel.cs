using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Kernels;

namespace PhiSharp.Models.Bert;

/// <summary>
/// A BERT-family sentence encoder (GGUF arch "bert" or "nomic-bert"): token ids in, one pooled vector out.
/// Embeddings = token + token type 0 (+ learned position for BERT), LayerNorm; then per layer, bidirectional
/// multi-head attention (rotary q/k for Nomic BERT) added to its input and LayerNormed, and the MLP (GELU with erf
/// for BERT, SwiGLU for Nomic BERT) added to its input and LayerNormed. Pooling (CLS or mean) as the model says;
/// the vector returned is not normalised (see <see cref="BertEmbeddingGenerator"/>).
/// </summary>
public sealed class BertModel : IDisposable
{
    readonly ITensorSource _source;
    readonly bool _ownsPool;
    readonly Lock _forwardLock = new();   // MatMul and the pool hold the operation in flight
    readonly RotaryEmbedding? _rotary;

    public BertConfig Config { get; }
    internal BertWeights Weights { get; }
    internal WorkerPool Pool { get; }
    internal MatMul MatMul { get; }

    /// <param name="source">The tensors; owned by the model from here on.</param>
    public BertModel(ITensorSource source, BertConfig config, BertWeights weights, WorkerPool? pool = null, int threads = 0)
    {
        config.Validate(source.Path);
        _source = source;
        Config = config;
        Weights = weights;
        if (config.Architecture == BertArchitecture.NomicBert) _rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta);
        _ownsPool = pool is null;
        Pool = pool ?? new WorkerPool(WorkerPool.ThreadsFor(threads));
        MatMul = new MatMul(Pool);
    }

    /// <summary>The pooled final hidden states of <paramref name="ids"/>, which should already hold [CLS] … [SEP].</summary>
    public float[] Encode(ReadOnlySpan<int> ids)
    {
        int n = ids.Length, hidden = Config.HiddenSize;
        if (n == 0) throw new ArgumentException("At least one token is needed.", nameof(ids));
        if (n > Config.MaxPositions) throw new ArgumentException($"{n} tokens exceed the model's {Config.MaxPositions} positions.", nameof(ids));
        foreach (int id in ids)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"not an id of the {Config.VocabSize}-entry vocabulary");

        var x = new float[n * hidden];
        var scratch = new float[Math.Max(hidden, Config.IntermediateSize)];
        for (int t = 0; t < n; t++)
        {
            var row = x.AsSpan(t * hidden, hidden);
            WeightRows.AsFloat(Weights.TokenEmbedding, ids[t], scratch).CopyTo(row);
            TensorPrimitives.Add(row, Weights.TokenType0, row);
            if (Weights.PositionEmbedding is { } positions) TensorPrimitives.Add(row, WeightRows.AsFloat(positions, t, scratch), row);
        }
        NormRows(x, Weights.EmbeddingNorm, n);

        var buffers = new LayerBuffers(n, hidden, Config.IntermediateSize);
        using (_forwardLock.EnterScope())
            foreach (var layer in Weights.Layers) Layer(x, layer, n, buffers);
        return PoolStates(x, n);
    }

    sealed class LayerBuffers(int n, int hidden, int ff)
    {
        public readonly float[] Q = new float[n * hidden], K = new float[n * hidden], V = new float[n * hidden];
        public readonly float[] Attended = new float[n * hidden], Projected = new float[n * hidden];
        public readonly float[] Up = new float[n * ff], Gate = new float[n * ff], Activated = new float[n * ff];
        public readonly float[] KeysByHead = new float[n * hidden], ValuesByHead = new float[n * hidden];
        public readonly float[] Scores = new float[n];
    }

    void Layer(float[] x, BertLayerWeights w, int n, LayerBuffers b)
    {
        int hidden = Config.HiddenSize, ff = Config.IntermediateSize;
        Linear(w.Query, x, b.Q, n);
        Linear(w.Key, x, b.K, n);
        Linear(w.Value, x, b.V, n);
        if (_rotary is not null) Rotate(b.Q, b.K, n);
        Attend(b, n);
        Linear(w.Output, b.Attended, b.Projected, n);
        TensorPrimitives.Add(x, b.Projected, x);
        NormRows(x, w.AttentionNorm, n);

        Linear(w.Up, x, b.Up, n);
        if (w.Gate is { } gate)
        {
            Linear(gate, x, b.Gate, n);
            Activations.SiluGate(b.Gate.AsSpan(0, n * ff), b.Up.AsSpan(0, n * ff), b.Activated.AsSpan(0, n * ff));
            Linear(w.Down, b.Activated, b.Projected, n);
        }
        else
        {
            Activations.GeluErf(b.Up.AsSpan(0, n * ff), b.Up.AsSpan(0, n * ff));
            Linear(w.Down, b.Up, b.Projected, n);
        }
        TensorPrimitives.Add(x, b.Projected, x);
        NormRows(x, w.OutputNorm, n);
    }

    // Rotary position t on every head of query and key row t (rotate-half layout, the whole head rotated).
    void Rotate(float[] q, float[] k, int n)
    {
        int headDim = Config.HeadDim, hidden = Config.HiddenSize;
        Span<float> cos = stackalloc float[headDim / 2], sin = stackalloc float[headDim / 2];
        for (int t = 0; t < n; t++)
        {
            _rotary!.Angles(t, longFactors: false, cos, sin);
            for (int h = 0; h < Config.HeadCount; h++)
            {
                Rope.RotateHalf(q.AsSpan(t * hidden + h * headDim, headDim), cos, sin);
                Rope.RotateHalf(k.AsSpan(t * hidden + h * headDim, headDim), cos, sin);
            }
        }
    }

    // Every query sees every token (no causal mask: one unpadded sentence).
    void Attend(LayerBuffers b, int n)
    {
        int headDim = Config.HeadDim, hidden = Config.HiddenSize;
        float scale = 1f / MathF.Sqrt(headDim);
        for (int h = 0; h < Config.HeadCount; h++)
            for (int t = 0; t < n; t++)
            {
                b.K.AsSpan(t * hidden + h * headDim, headDim).CopyTo(b.KeysByHead.AsSpan((h * n + t) * headDim, headDim));
                b.V.AsSpan(t * hidden + h * headDim, headDim).CopyTo(b.ValuesByHead.AsSpan((h * n + t) * headDim, headDim));
            }
        for (int h = 0; h < Config.HeadCount; h++)
        {
            var keys = b.KeysByHead.AsSpan(h * n * headDim, n * headDim);
            var values = b.ValuesByHead.AsSpan(h * n * headDim, n * headDim);
            for (int t = 0; t < n; t++)
                Attention.Head(b.Q.AsSpan(t * hidden + h * headDim, headDim), keys, values, 0, n - 1, scale, b.Scores,
                    b.Attended.AsSpan(t * hidden + h * headDim, headDim));
        }
    }

    void Linear(in Projection p, float[] x, float[] y, int n)
    {
        MatMul.Multiply(p.Weight, x, y, n);
        if (p.Bias is { } bias)
            for (int t = 0; t < n; t++) TensorPrimitives.Add(y.AsSpan(t * bias.Length, bias.Length), bias, y.AsSpan(t * bias.Length, bias.Length));
    }

    void NormRows(float[] x, in Norm norm, int n)
    {
        int hidden = Config.HiddenSize;
        for (int t = 0; t < n; t++)
        {
            var row = x.AsSpan(t * hidden, hidden);
            Normalization.LayerNorm(row, norm.Weight, norm.Bias, Config.LayerNormEpsilon, row);
        }
    }

    float[] PoolStates(float[] x, int n)
    {
        int hidden = Config.HiddenSize;
        if (Config.Pooling == EmbeddingPooling.Cls) return x.AsSpan(0, hidden).ToArray();
        var sum = new float[hidden];
        for (int t = 0; t < n; t++) TensorPrimitives.Add(sum, x.AsSpan(t * hidden, hidden), sum);
        TensorPrimitives.Multiply(sum, 1f / n, sum);
        return sum;
    }

    public void Dispose()
    {
        if (_ownsPool) Pool.Dispose();
        _source.Dispose();
    }
}
