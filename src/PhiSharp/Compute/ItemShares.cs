namespace PhiSharp.Compute;

/// <summary>
/// The items of one <see cref="WorkerPool"/> job split into one contiguous share per thread. Each thread takes its own
/// share front to back, in chunks of a quarter of what is left (at least the minimum), so consecutive chunks of a
/// thread are neighbours: a matmul's weights reach each core as one stream. A thread whose share is empty takes the
/// back half of the largest share left (at least the minimum) as its new share, so a slow, late or preempted thread
/// holds back at most the chunk it is in, and a thread that never joins costs nothing.
/// A share is its front (the next unclaimed item) and end packed into one long, so that the owner (taking from the
/// front) and a thief (from the back) each claim with one compare-and-swap; shares sit a cache line apart.
/// </summary>
internal sealed class ItemShares(int threads)
{
    const int Padding = 8; // longs per 64-byte cache line
    /// <summary>A thread takes this fraction of what is left of its own share per chunk.</summary>
    const int OwnChunks = 4;

    readonly long[] _shares = new long[threads * Padding];
    int _minChunk;
    volatile bool _stopped;

    /// <summary>Splits items [0, <paramref name="itemCount"/>) evenly over the threads.</summary>
    public void Reset(int itemCount, int minChunk)
    {
        _minChunk = minChunk;
        _stopped = false;
        for (int t = 0; t < threads; t++)
            Volatile.Write(ref _shares[t * Padding], Pack((int)((long)t * itemCount / threads), (int)((long)(t + 1) * itemCount / threads)));
    }

    /// <summary>No chunk is handed out after this (a work item failed).</summary>
    public void Stop() => _stopped = true;

    /// <summary>The next chunk of <paramref name="owner"/>'s share, or of a share it takes over; false when none is left.</summary>
    public bool Next(int owner, out int start, out int end)
    {
        while (!_stopped)
        {
            if (TakeFront(owner, out start, out end)) return true;
            if (!StealInto(owner)) break;
        }
        start = end = 0;
        return false;
    }

    bool TakeFront(int owner, out int start, out int end)
    {
        ref long share = ref _shares[owner * Padding];
        while (true)
        {
            long seen = Volatile.Read(ref share);
            var (front, back) = Unpack(seen);
            if (front >= back)
            {
                start = end = 0;
                return false;
            }
            start = front;
            end = Math.Min(back, front + Math.Max(_minChunk, (back - front) / OwnChunks));
            if (Interlocked.CompareExchange(ref share, Pack(end, back), seen) == seen) return true;
        }
    }

    /// <summary>Moves the back half of the largest share left into <paramref name="thief"/>'s empty share.</summary>
    bool StealInto(int thief)
    {
        while (!_stopped)
        {
            int victim = -1, most = 0;
            for (int t = 0; t < threads; t++)
            {
                var (front, back) = Unpack(Volatile.Read(ref _shares[t * Padding]));
                if (back - front > most) (victim, most) = (t, back - front);
            }
            if (victim < 0) return false;
            ref long share = ref _shares[victim * Padding];
            long seen = Volatile.Read(ref share);
            var (first, last) = Unpack(seen);
            if (first >= last) continue;
            int size = Math.Min(last - first, Math.Max(_minChunk, (last - first) / 2));
            if (Interlocked.CompareExchange(ref share, Pack(first, last - size), seen) != seen) continue;
            Volatile.Write(ref _shares[thief * Padding], Pack(last - size, last));
            return true;
        }
        return false;
    }

    static long Pack(int front, int end) => (uint)front | (long)end << 32;

    static (int Front, int End) Unpack(long share) => ((int)share, (int)(share >>> 32));
}
