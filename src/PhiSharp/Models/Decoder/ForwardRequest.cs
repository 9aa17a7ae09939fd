using System.Runtime.ExceptionServices;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// What a session asks of the decoder: evaluate positions [Start, Start + Count) of its sequence (the tokens and
/// embedding rows it already holds) and write the outputs of the last one, or of each, to <see cref="Output"/>. One
/// per session, reused for every call, so that asking allocates nothing. The <see cref="StepScheduler"/> takes its
/// rows into steps, a part at a time; the fields below <see cref="Output"/> are the scheduler's, under its gate.
/// </summary>
internal sealed unsafe class ForwardRequest(DecoderSession session)
{
    public DecoderSession Session { get; } = session;
    public int Start { get; private set; }
    public int Count { get; private set; }
    public bool LongFactors { get; private set; }
    public bool AllPositions { get; private set; }

    /// <summary>Where the outputs go: OutputWidth floats, or Count × OutputWidth with <see cref="AllPositions"/>.
    /// The memory is pinned by the caller, who waits until the request is <see cref="Completed"/>.</summary>
    public float* Output { get; private set; }

    /// <summary>Positions evaluated so far.</summary>
    public int Done;
    public bool Completed;
    /// <summary>The step that completed the request last: its caller is then expected back soon with its next token.</summary>
    public long CompletedInStep = -1;
    public ExceptionDispatchInfo? Failure;

    public int Remaining => Count - Done;

    public void Set(int start, int count, bool longFactors, bool allPositions, float* output)
    {
        Start = start;
        Count = count;
        LongFactors = longFactors;
        AllPositions = allPositions;
        Output = output;
        Done = 0;
        Completed = false;
        Failure = null;
    }
}
