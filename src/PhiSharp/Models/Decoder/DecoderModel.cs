using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Kernels;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// The decoder skeleton every architecture runs on: the worker pool and matmuls, the forward lock, the chunk loop,
/// last-row or all-position outputs, and sessions with their buffers and KV caches. The architecture's
/// <see cref="DecoderNetwork"/> supplies the embedding, the per-layer math and the head.
/// </summary>
internal sealed class DecoderModel : ICausalLanguageModel
{
    /// <summary>Tokens per forward chunk: bounds scratch memory while letting a prompt reuse each weight row.</summary>
    public const int MaxChunk = 64;

    readonly ITensorSource _source;
    readonly bool _ownsPool;

    // MatMul and the worker pool hold the state of the operation in flight, so forward passes of different sessions
    // take turns, one chunk at a time: sessions may be used from different threads, and a long prompt does not hold
    // back other sessions' decode steps for more than a chunk.
    readonly Lock _forwardLock = new();

    public DecoderNetwork Network { get; }
    public WorkerPool Pool { get; }
    public MatMul MatMul { get; }
    public KvCacheType KvCache { get; }

    public int VocabSize => Network.Shape.VocabSize;
    public int MaxContextLength => Network.Shape.MaxPositions;

    /// <param name="source">The tensors the network's weights point into; owned by the model from here on.</param>
    /// <param name="pool">Shared worker pool, or null to create one with <paramref name="threads"/> threads.</param>
    /// <param name="kvCache">The precision of the sessions' key/value caches.</param>
    public DecoderModel(ITensorSource source, DecoderNetwork network, WorkerPool? pool = null, int threads = 0,
        KvCacheType kvCache = KvCacheType.F32)
    {
        _source = source;
        Network = network;
        KvCache = kvCache;
        _ownsPool = pool is null;
        Pool = pool ?? new WorkerPool(WorkerPool.ThreadsFor(threads));
        MatMul = new MatMul(Pool);
    }

    public IInferenceSession CreateSession(int contextLength) => CreateDecoderSession(contextLength);

    public DecoderSession CreateDecoderSession(int contextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contextLength, MaxContextLength);
        return new DecoderSession(this, contextLength);
    }

    /// <summary>
    /// Runs <paramref name="input"/> at positions start.. through every layer, a chunk at a time, filling the session's
    /// KV cache, and writes the outputs of the last position, or of all of them.
    /// </summary>
    internal void Forward(DecoderSession s, in DecoderInput input, int start, bool longFactors, Span<float> output, bool allPositions)
    {
        var chunk = s.Chunk;
        var shape = Network.Shape;
        int hidden = shape.HiddenSize, width = shape.OutputWidth;
        for (int done = 0; done < input.Length; done += chunk.Capacity)
        {
            using var turn = _forwardLock.EnterScope();
            int n = Math.Min(chunk.Capacity, input.Length - done);
            chunk.Begin(start + done, n, longFactors);
            for (int b = 0; b < n; b++)
            {
                var row = chunk.Residual.AsSpan(b * hidden, hidden);
                var embedding = input.EmbeddingAt(done + b, hidden);
                if (embedding.IsEmpty) Network.Embed(input.Tokens[done + b], start + done + b, row, chunk.Normed.AsSpan(0, hidden));
                else embedding.CopyTo(row);
            }

            var layers = Network.Layers;
            for (int layer = 0; layer < layers.Count; layer++)
            {
                chunk.EnterLayer(layer);
                layers[layer].Forward(chunk);
            }

            if (allPositions) Network.Head(chunk, 0, n, output.Slice(done * width, n * width));
            else if (done + n == input.Length) Network.Head(chunk, n - 1, 1, output[..width]);   // only the last row is wanted
        }
    }

    /// <summary>Holds the forward lock: no session's chunk runs until the scope ends (a vision tower sharing the
    /// worker pool runs inside it).</summary>
    internal Lock.Scope ExclusiveTurn() => _forwardLock.EnterScope();

    public void Dispose()
    {
        if (_ownsPool) Pool.Dispose();
        _source.Dispose();
    }
}
