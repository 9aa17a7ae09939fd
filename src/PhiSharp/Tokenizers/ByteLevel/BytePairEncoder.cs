using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// Byte-level BPE on one word: the word's UTF-8 bytes start as single-byte tokens and the leftmost lowest-ranked
/// adjacent pair is fused until no pair has a merge — the rule HF <c>tokenizers</c>, tiktoken and llama.cpp share.
/// With <c>ignoreMerges</c> (tiktoken; tokenizer.json's <c>ignore_merges</c>) a word that is itself a token is taken
/// whole first. Results for words are cached, as HF does; the cache is bounded and safe to share between threads.
/// </summary>
internal sealed class BytePairEncoder
{
    const int CacheCapacity = 50_000;
    const int MaxCachedWordLength = 256;
    const int ShortWord = 64;   // up to this many bytes the quadratic scan beats a priority queue

    readonly int[] _byteIds;
    readonly BpeMerges _merges;
    readonly bool _ignoreMerges;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wholeWords;
    readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    int _cached;   // entries added; ConcurrentDictionary.Count takes every lock, too slow to ask per word

    /// <param name="byteIds">The id of each single-byte token (all 256 must exist).</param>
    /// <param name="merges">Pair → (rank, merged id).</param>
    /// <param name="wholeWords">Tokens whose bytes are valid UTF-8, by text; used when <paramref name="ignoreMerges"/>.</param>
    public BytePairEncoder(int[] byteIds, BpeMerges merges, bool ignoreMerges, Dictionary<string, int> wholeWords)
    {
        _byteIds = byteIds;
        _merges = merges;
        _ignoreMerges = ignoreMerges;
        _wholeWords = wholeWords.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Appends the ids of <paramref name="word"/> to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> word, List<int> output)
    {
        if (_cacheLookup.TryGetValue(word, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        if (_ignoreMerges && _wholeWords.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }

        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[]? rentedBytes = null;
        int[]? rentedIds = null;
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[512] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        Span<int> ids = maxBytes <= 512 ? stackalloc int[512] : (rentedIds = ArrayPool<int>.Shared.Rent(maxBytes));
        try
        {
            int count = Encoding.UTF8.GetBytes(word, bytes);   // a lone surrogate becomes U+FFFD's bytes, as in the references
            for (int i = 0; i < count; i++) ids[i] = _byteIds[bytes[i]];
            count = count <= ShortWord ? MergeShort(ids[..count]) : MergeLong(ids[..count]);
            var result = ids[..count];
            foreach (int id in result) output.Add(id);
            if (word.Length <= MaxCachedWordLength && Volatile.Read(ref _cached) < CacheCapacity && _cacheLookup.TryAdd(word, result.ToArray()))
                Interlocked.Increment(ref _cached);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedIds is not null) ArrayPool<int>.Shared.Return(rentedIds);
        }
    }

    // Rescans the pair ranks for the minimum after each merge: O(n²) but branch-light and allocation-free for short words.
    int MergeShort(Span<int> ids)
    {
        int n = ids.Length;
        if (n < 2) return n;
        Span<int> ranks = stackalloc int[ShortWord];
        Span<int> merged = stackalloc int[ShortWord];
        for (int i = 0; i + 1 < n; i++) ranks[i] = PairRank(ids[i], ids[i + 1], out merged[i]);
        while (n > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < n; i++)
            {
                if (ranks[i] < bestRank)
                {
                    bestRank = ranks[i];
                    best = i;
                }
            }
            if (best < 0) break;
            ids[best] = merged[best];
            // Remove the right half of the pair: shift the symbols and the pair entries after it one place left.
            ids[(best + 2)..n].CopyTo(ids[(best + 1)..]);
            if (best + 2 < n)
            {
                ranks[(best + 2)..(n - 1)].CopyTo(ranks[(best + 1)..]);
                merged[(best + 2)..(n - 1)].CopyTo(merged[(best + 1)..]);
            }
            n--;
            if (best + 1 < n) ranks[best] = PairRank(ids[best], ids[best + 1], out merged[best]);
            if (best > 0) ranks[best - 1] = PairRank(ids[best - 1], ids[best], out merged[best - 1]);
        }
        return n;
    }

    int PairRank(int left, int right, out int merged) => _merges.TryGet(left, right, out int rank, out merged) ? rank : int.MaxValue;

    // Long words (runs of thousands of letters) use the priority-queue merge, O(n log n).
    int MergeLong(Span<int> ids)
    {
        var symbols = new List<int>(ids.Length);
        foreach (int id in ids) symbols.Add(id);
        _merges.Apply(symbols);
        for (int i = 0; i < symbols.Count; i++) ids[i] = symbols[i];
        return symbols.Count;
    }
}
