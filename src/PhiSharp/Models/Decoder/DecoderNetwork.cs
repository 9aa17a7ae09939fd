namespace PhiSharp.Models.Decoder;

/// <summary>
/// What an architecture supplies to the shared decoder: its sizes, how a token becomes a row of the residual
/// stream, its layers (the per-layer math) and its head. <see cref="DecoderModel"/> owns the rest: the worker pool,
/// matmuls, batched steps (the scheduler), the chunk loop, sessions, their buffers and KV caches.
/// </summary>
internal abstract class DecoderNetwork
{
    public abstract DecoderShape Shape { get; }

    public abstract IReadOnlyList<IDecoderLayer> Layers { get; }

    /// <summary>True for an encoder, whose queries see later keys: a sequence is evaluated whole, in one chunk, and
    /// no layer's keys outlive the layer.</summary>
    public virtual bool SeesWholeSequence => false;

    /// <summary>Whether a sequence of this length takes LongRoPE's long factors (HF's rule: all of it does once it is
    /// longer than the original context); false without LongRoPE. A session re-evaluates its prefix on a switch.</summary>
    public virtual bool UsesLongFactors(int sequenceLength) => false;

    /// <summary>Writes token <paramref name="token"/>'s row at <paramref name="position"/> into <paramref name="row"/>
    /// (hidden size floats); <paramref name="scratch"/> holds hidden size floats.</summary>
    public abstract void Embed(int token, int position, Span<float> row, Span<float> scratch);

    /// <summary>Writes the outputs (logits, or an encoder's states) of residual rows [first, first + count) of
    /// <paramref name="chunk"/> into <paramref name="output"/>, <see cref="DecoderShape.OutputWidth"/> floats a row.</summary>
    public abstract void Head(DecoderChunk chunk, int first, int count, Span<float> output);
}

/// <summary>One layer's math on a chunk's residual rows (<see cref="DecoderChunk.Residual"/>), which it updates in place.</summary>
internal interface IDecoderLayer
{
    void Forward(DecoderChunk chunk);
}
