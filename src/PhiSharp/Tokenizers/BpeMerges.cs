namespace PhiSharp.Tokenizers;

/// <summary>
/// The merge table of a BPE vocabulary: which adjacent pair of ids fuses into which id, and with what priority
/// (lower rank merges first). Applying it follows HF <c>tokenizers</c>' BPE word merge: repeatedly fuse the
/// lowest-ranked adjacent pair, the leftmost one on ties, until no pair in the table remains.
/// </summary>
public sealed class BpeMerges
{
    readonly Dictionary<long, (int Rank, int Merged)> _pairs = [];

    public int Count => _pairs.Count;

    /// <summary>Adds a merge; a pair already present keeps its first (better) rank.</summary>
    public void Add(int left, int right, int rank, int merged) => _pairs.TryAdd(Key(left, right), (rank, merged));

    public bool TryGet(int left, int right, out int rank, out int merged)
    {
        if (_pairs.TryGetValue(Key(left, right), out var m))
        {
            (rank, merged) = m;
            return true;
        }
        rank = merged = 0;
        return false;
    }

    static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Merges <paramref name="symbols"/> in place until no adjacent pair has a merge.</summary>
    public void Apply(List<int> symbols)
    {
        int n = symbols.Count;
        if (n < 2) return;
        // Doubly linked list over the symbol positions; a merged-away position gets id -1.
        var ids = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Candidate merges ordered by (rank, position); entries go stale as neighbours change and are re-checked.
        var queue = new PriorityQueue<(int Position, int Merged), (int Rank, int Position)>();
        for (int i = 0; i + 1 < n; i++)
            if (TryGet(ids[i], ids[i + 1], out int rank, out int merged)) queue.Enqueue((i, merged), (rank, i));

        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Position;
            if (ids[pos] < 0 || next[pos] < 0) continue;
            int right = next[pos];
            if (!TryGet(ids[pos], ids[right], out _, out int current) || current != top.Merged) continue;

            ids[pos] = top.Merged;
            ids[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;

            if (prev[pos] >= 0 && TryGet(ids[prev[pos]], ids[pos], out int r1, out int m1)) queue.Enqueue((prev[pos], m1), (r1, prev[pos]));
            if (next[pos] >= 0 && TryGet(ids[pos], ids[next[pos]], out int r2, out int m2)) queue.Enqueue((pos, m2), (r2, pos));
        }

        symbols.Clear();
        for (int i = 0; i >= 0; i = next[i]) symbols.Add(ids[i]);
    }
}
