using PhiSharp.Kernels;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// Which keys a query sees, as a value a layer holds: causal, causal within a sliding window, or bidirectional (an
/// encoder's). Block-sparse attention (Phi-3-small) derives from it too: it narrows the run per head and hides keys
/// inside it (<see cref="IKeyVisibility.HideKeys"/>), decided per head and per (query, key) position pair.
/// </summary>
internal abstract record AttentionVisibility : IKeyVisibility
{
    /// <summary>Every key up to the query's own.</summary>
    public static readonly AttentionVisibility Causal = new CausalVisibility();

    /// <summary>Every key of the sequence, later ones too (an encoder's queries).</summary>
    public static readonly AttentionVisibility Bidirectional = new BidirectionalVisibility();

    /// <summary>The query's own key and the <paramref name="window"/> − 1 before it (HF's sliding_window).</summary>
    public static AttentionVisibility SlidingWindow(int window) => new SlidingWindowVisibility(window);

    /// <summary>True when a query sees later keys: the whole sequence must then be cached before any query attends,
    /// so it is evaluated in one chunk.</summary>
    public virtual bool SeesLaterKeys => false;

    public abstract int FirstKey(int head, int query);

    public virtual int LastKey(int head, int query, int cached) => query;

    public virtual bool HidesKeysInRange => false;

    public virtual void HideKeys(int head, int query, int first, Span<float> scores) { }
}

internal sealed record CausalVisibility : AttentionVisibility
{
    public override int FirstKey(int head, int query) => 0;
}

internal sealed record SlidingWindowVisibility(int Window) : AttentionVisibility
{
    public override int FirstKey(int head, int query) => Math.Max(0, query - Window + 1);
}

internal sealed record BidirectionalVisibility : AttentionVisibility
{
    public override bool SeesLaterKeys => true;

    public override int FirstKey(int head, int query) => 0;

    public override int LastKey(int head, int query, int cached) => cached - 1;
}
