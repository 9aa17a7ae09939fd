using System.Runtime.InteropServices;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// One sequence on a <see cref="DecoderModel"/>: its tokens, the embedding rows spliced into it and its KV cache.
/// Its forwards go through the model's <see cref="StepScheduler"/>, so sessions used on different threads at once
/// share batched steps.
/// </summary>
internal sealed unsafe class DecoderSession : IInferenceSession
{
    readonly DecoderModel _model;
    readonly int[] _tokens;
    readonly List<EmbeddingRows> _embeddings = [];   // absolute starts, kept to re-evaluate the prefix
    readonly ForwardRequest _request;
    bool _cacheUsesLongFactors;

    public int ContextLength { get; }
    public int Length { get; private set; }
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);
    internal KvCache Cache { get; }

    public DecoderSession(DecoderModel model, int contextLength)
    {
        var network = model.Network;
        var shape = network.Shape;
        _model = model;
        ContextLength = contextLength;
        _tokens = new int[contextLength];
        _request = new ForwardRequest(this);
        // An encoder sees its whole input in one chunk, and its keys do not outlive their layer: one cache layer.
        Cache = new KvCache(network.SeesWholeSequence ? 1 : shape.LayerCount, shape.KeyValueHeadCount, shape.HeadDim, contextLength, model.KvCache);
    }

    /// <summary>The token at <paramref name="position"/> (a placeholder where an embedding row replaces it).</summary>
    internal int TokenAt(int position) => _tokens[position];

    /// <summary>The spliced embedding row at <paramref name="position"/>, or an empty span where the token's is used.</summary>
    internal ReadOnlySpan<float> EmbeddingAt(int position) =>
        new DecoderInput(default, CollectionsMarshal.AsSpan(_embeddings)).EmbeddingAt(position, _model.Network.Shape.HiddenSize);

    public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false) =>
        Append(new DecoderInput(tokens), logits, allPositions);

    /// <summary>Evaluates <paramref name="input"/> after the sequence so far and writes the outputs of its last
    /// position into <paramref name="output"/> (<see cref="DecoderShape.OutputWidth"/> floats), or of every one.</summary>
    public void Append(in DecoderInput input, Span<float> output, bool allPositions = false)
    {
        CheckAppend(input, output, allPositions);
        fixed (float* destination = output)
        {
            Prepare(input, allPositions, destination);
            _model.Scheduler.Evaluate(new ReadOnlySpan<ForwardRequest>(in _request));
        }
        Length += input.Length;
    }

    /// <summary>
    /// Appends <paramref name="tokens"/>[i] to <paramref name="sessions"/>[i] (sessions of one model) and writes the
    /// logits of its last position into <paramref name="logits"/>[i], all in shared batched steps: what sessions on
    /// different threads get by calling <see cref="Append(ReadOnlySpan{int}, Span{float}, bool)"/> at once, from one thread.
    /// </summary>
    internal static void AppendAll(IReadOnlyList<DecoderSession> sessions, IReadOnlyList<int[]> tokens, IReadOnlyList<float[]> logits)
    {
        if (sessions.Count != tokens.Count || sessions.Count != logits.Count) throw new ArgumentException("One input and one logits buffer per session are needed.");
        if (sessions.Distinct().Count() != sessions.Count) throw new ArgumentException("A session may appear only once.", nameof(sessions));
        var model = sessions.Count > 0 ? sessions[0]._model : null;
        if (sessions.Any(s => s._model != model)) throw new ArgumentException("The sessions must belong to one model.", nameof(sessions));
        var pins = new GCHandle[sessions.Count];
        try
        {
            for (int i = 0; i < sessions.Count; i++)
            {
                var input = new DecoderInput(tokens[i]);
                sessions[i].CheckAppend(input, logits[i], allPositions: false);
                pins[i] = GCHandle.Alloc(logits[i], GCHandleType.Pinned);
                sessions[i].Prepare(input, allPositions: false, (float*)pins[i].AddrOfPinnedObject());
            }
            model?.Scheduler.Evaluate(sessions.Select(s => s._request).ToArray());
            for (int i = 0; i < sessions.Count; i++) sessions[i].Length += tokens[i].Length;
        }
        finally
        {
            foreach (var pin in pins)
                if (pin.IsAllocated) pin.Free();
        }
    }

    /// <summary>Records the input after the sequence and sets the request that evaluates it.</summary>
    void Prepare(in DecoderInput input, bool allPositions, float* output)
    {
        int start = Length, newLength = Length + input.Length;
        // HF applies LongRoPE's long factors to the whole sequence once it outgrows the original context, and
        // recomputes the cached prefix when that first happens (and short factors again after a truncation below it).
        bool longFactors = _model.Network.UsesLongFactors(newLength);
        bool reevaluate = start > 0 && longFactors != _cacheUsesLongFactors;
        if (reevaluate && allPositions)
            throw new InvalidOperationException("All-position logits across the LongRoPE switch need a fresh session.");

        input.Tokens.CopyTo(_tokens.AsSpan(start));
        foreach (var rows in input.Embeddings) _embeddings.Add(rows with { Start = start + rows.Start });
        _cacheUsesLongFactors = longFactors;
        if (reevaluate) _request.Set(0, newLength, longFactors, allPositions: false, output);
        else _request.Set(start, input.Length, longFactors, allPositions, output);
    }

    void CheckAppend(in DecoderInput input, Span<float> output, bool allPositions)
    {
        var shape = _model.Network.Shape;
        if (input.Length == 0) throw new ArgumentException("No tokens to evaluate.", "tokens");
        int newLength = Length + input.Length;
        if (newLength > ContextLength)
            throw new InvalidOperationException($"The sequence would hold {newLength} tokens; the context holds {ContextLength}.");
        if (_model.Network.SeesWholeSequence && Length > 0)
            throw new InvalidOperationException("An encoder evaluates its whole input at once; it cannot be appended to.");
        if (output.Length < (allPositions ? input.Length * shape.OutputWidth : shape.OutputWidth))
            throw new ArgumentException("The logits buffer is too small.", "logits");
        for (int i = 0; i < input.Length; i++)
        {
            int t = input.Tokens[i];
            if ((uint)t >= (uint)shape.VocabSize && input.EmbeddingAt(i, shape.HiddenSize).IsEmpty)
                throw new ArgumentOutOfRangeException("tokens", $"Token id {t} is outside the vocabulary (0..{shape.VocabSize - 1}).");
        }
        foreach (var rows in input.Embeddings)
            if (rows.Start < 0 || rows.Rows.Length % shape.HiddenSize != 0 || rows.Start + rows.Rows.Length / shape.HiddenSize > input.Length)
                throw new ArgumentException($"Embedding rows at {rows.Start} are not whole rows of {shape.HiddenSize} floats inside the input.", "input");
    }

    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
        // Spliced rows past the new end no longer belong to the sequence; a span across it keeps its first rows.
        int hidden = _model.Network.Shape.HiddenSize;
        _embeddings.RemoveAll(rows => rows.Start >= length);
        for (int i = 0; i < _embeddings.Count; i++)
            if (_embeddings[i].Start + _embeddings[i].Rows.Length / hidden > length)
                _embeddings[i] = _embeddings[i] with { Rows = _embeddings[i].Rows[..((length - _embeddings[i].Start) * hidden)] };
    }

    public void EndTurn() => _model.Scheduler.Leave(_request);

    public void Dispose() => EndTurn();
}
