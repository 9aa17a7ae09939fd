using PhiSharp.Generation;
using PhiSharp.Models;

namespace PhiSharp.Server;

/// <summary>
/// The server's decoding capacity: a fixed set of slots, each with its own inference session (KV cache), and a
/// bounded queue of requests waiting for one. A request that continues a cached sequence (shares at least half its
/// prompt with a free slot's tokens) takes that slot, so the next turn of a conversation does not re-process its
/// history; any other request takes the least recently used free slot, so it evicts the stalest conversation.
/// </summary>
sealed class SlotPool : IDisposable
{
    readonly IInferenceSession[] _sessions;
    readonly bool[] _busy;
    readonly long[] _lastUsed;
    long _clock;
    readonly Lock _gate = new();
    readonly SemaphoreSlim _free;
    readonly int _capacity;
    int _admitted;

    public SlotPool(ICausalLanguageModel network, int slots, int contextLength, int queueLimit)
    {
        _sessions = Enumerable.Range(0, slots).Select(_ => network.CreateSession(contextLength)).ToArray();
        _busy = new bool[slots];
        _lastUsed = new long[slots];
        _free = new SemaphoreSlim(slots, slots);
        _capacity = slots + queueLimit;
        ContextLength = contextLength;
    }

    public int ContextLength { get; }
    public int Count => _sessions.Length;

    public int Busy
    {
        get { lock (_gate) return _busy.Count(b => b); }
    }

    /// <summary>Requests admitted and not yet finished beyond those decoding: the queue's length.</summary>
    public int Waiting => Math.Max(0, Volatile.Read(ref _admitted) - Busy);

    /// <summary>Waits for a slot; refuses at once with 503 when the queue is full.</summary>
    public async Task<Lease> AcquireAsync(IReadOnlyList<int> prompt, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _admitted) > _capacity)
        {
            Interlocked.Decrement(ref _admitted);
            throw new ApiException(503, "The server is busy: every slot is decoding and the queue is full. Retry shortly.", code: "server_busy");
        }
        try
        {
            await _free.WaitAsync(ct);
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }
        lock (_gate)
        {
            int best = -1, bestShared = -1, stalest = -1;
            for (int i = 0; i < _sessions.Length; i++)
            {
                if (_busy[i]) continue;
                int shared = Generator.ReusablePrefix(_sessions[i].Tokens, prompt);
                if (shared > bestShared) (best, bestShared) = (i, shared);
                if (stalest < 0 || _lastUsed[i] < _lastUsed[stalest]) stalest = i;
            }
            if (2 * bestShared < prompt.Count) best = stalest;
            _busy[best] = true;
            _lastUsed[best] = ++_clock;
            return new Lease(this, best);
        }
    }

    void Release(int slot)
    {
        lock (_gate) _busy[slot] = false;
        _free.Release();
        Interlocked.Decrement(ref _admitted);
    }

    public void Dispose()
    {
        foreach (var s in _sessions) s.Dispose();
        _free.Dispose();
    }

    /// <summary>One request's hold on a slot; disposing it frees the slot for the next request.</summary>
    public sealed class Lease(SlotPool pool, int slot) : IDisposable
    {
        int _released;

        public IInferenceSession Session => pool._sessions[slot];

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) pool.Release(slot);
        }
    }
}
