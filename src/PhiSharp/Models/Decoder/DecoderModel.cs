using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Kernels;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// The decoder skeleton every architecture runs on: the worker pool and matmuls, the chunk of rows in flight,
/// batched steps over the rows of several sessions (<see cref="StepScheduler"/>), last-row or all-position
/// outputs, and sessions with their KV caches. The architecture's <see cref="DecoderNetwork"/> supplies the
/// embedding, the per-layer math and the head.
/// </summary>
internal sealed unsafe class DecoderModel : ICausalLanguageModel
{
    /// <summary>Rows per step: bounds scratch memory while letting a prompt reuse each weight row.</summary>
    public const int MaxChunk = 64;

    readonly ITensorSource _source;
    readonly bool _ownsPool;
    // Only the runner of a step touches these (StepScheduler lets one step run at a time).
    DecoderChunk? _chunk;
    float[] _outputs = [];
    ForwardRequest[] _outputRequests = [];

    public DecoderNetwork Network { get; }
    public WorkerPool Pool { get; }
    public MatMul MatMul { get; }
    public KvCacheType KvCache { get; }
    internal StepScheduler Scheduler { get; }

    public int VocabSize => Network.Shape.VocabSize;
    public int MaxContextLength => Network.Shape.MaxPositions;

    /// <summary>Rows a step may hold. An encoder's input is evaluated whole, so its chunk grows to the longest input.</summary>
    internal int ChunkCapacity => _chunk?.Capacity ?? MaxChunk;

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
        Scheduler = new StepScheduler(this);
    }

    public IInferenceSession CreateSession(int contextLength) => CreateDecoderSession(contextLength);

    public DecoderSession CreateDecoderSession(int contextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contextLength, MaxContextLength);
        return new DecoderSession(this, contextLength);
    }

    /// <summary>
    /// One step: the next <paramref name="rows"/>[i] positions of each request's sequence go through every layer
    /// together, each into its own session's KV cache; then the outputs of the requests this step finishes (their
    /// last rows, through one head matmul) and of all-position requests are written.
    /// </summary>
    internal void Step(ReadOnlySpan<ForwardRequest> requests, ReadOnlySpan<int> rows)
    {
        var chunk = ChunkFor(rows);
        var shape = Network.Shape;
        int hidden = shape.HiddenSize, width = shape.OutputWidth;
        chunk.Clear();
        for (int i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            int first = chunk.Rows, position = r.Start + r.Done;
            chunk.Add(r.Session.Cache, position, rows[i], r.LongFactors);
            for (int b = 0; b < rows[i]; b++)
            {
                var row = chunk.Residual.AsSpan((first + b) * hidden, hidden);
                var embedding = r.Session.EmbeddingAt(position + b);
                if (embedding.IsEmpty) Network.Embed(r.Session.TokenAt(position + b), position + b, row, chunk.Normed.AsSpan(0, hidden));
                else embedding.CopyTo(row);
            }
        }

        var layers = Network.Layers;
        for (int layer = 0; layer < layers.Count; layer++)
        {
            chunk.EnterLayer(layer);
            layers[layer].Forward(chunk);
        }

        for (int i = 0; i < requests.Length; i++)
            if (requests[i].AllPositions)
            {
                ref readonly var segment = ref chunk.Segment(i);
                Network.Head(chunk, segment.FirstRow, segment.Rows, new Span<float>(requests[i].Output + (long)requests[i].Done * width, segment.Rows * width));
            }

        // The last rows of the requests this step finishes are moved to the front (row i ≤ its source, so in order
        // nothing is overwritten before it is read), so that one head matmul serves them all.
        int outputs = 0;
        if (_outputRequests.Length < requests.Length) _outputRequests = new ForwardRequest[chunk.Capacity];
        for (int i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            if (r.AllPositions || r.Done + rows[i] < r.Count) continue;
            ref readonly var segment = ref chunk.Segment(i);
            int last = segment.FirstRow + segment.Rows - 1;
            if (last != outputs) chunk.Residual.AsSpan(last * hidden, hidden).CopyTo(chunk.Residual.AsSpan(outputs * hidden, hidden));
            _outputRequests[outputs++] = r;
        }
        if (outputs == 0) return;
        if (_outputs.Length < outputs * width) _outputs = new float[outputs * width];
        Network.Head(chunk, 0, outputs, _outputs.AsSpan(0, outputs * width));
        for (int i = 0; i < outputs; i++)
            _outputs.AsSpan(i * width, width).CopyTo(new Span<float>(_outputRequests[i].Output, width));
    }

    /// <summary>The chunk, grown when an encoder's input is longer than it (decoders' steps never are).</summary>
    DecoderChunk ChunkFor(ReadOnlySpan<int> rows)
    {
        int total = 0;
        foreach (int n in rows) total += n;
        if (_chunk is null || _chunk.Capacity < total) _chunk = new DecoderChunk(this, Math.Max(total, Network.SeesWholeSequence ? 0 : MaxChunk));
        return _chunk;
    }

    /// <summary>No session's step runs until the scope ends (a vision tower sharing the worker pool runs inside it).</summary>
    internal StepScheduler.Pause ExclusiveTurn() => Scheduler.Exclusive();

    public void Dispose()
    {
        if (_ownsPool) Pool.Dispose();
        _source.Dispose();
    }
}
