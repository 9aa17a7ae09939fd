using PhiSharp.Rag.Ingestion;

namespace PhiSharp.Rag.Chunking;

/// <summary>One piece of a document as stored and retrieved: its heading path and its text.</summary>
public sealed record Chunk(int Ordinal, string? Heading, string Text, int Tokens);

/// <summary>
/// Splits a document into chunks of at most <see cref="MaxTokens"/> (the heading context is counted too), never
/// across a heading, preferring paragraph, then sentence, then word boundaries. Each chunk after the first in a
/// section begins with the last ~<see cref="OverlapTokens"/> tokens of words of the chunk before it, so a fact cut
/// at a boundary is still whole in one chunk.
/// </summary>
public sealed class Chunker
{
    public int MaxTokens { get; }
    public int OverlapTokens { get; }
    readonly TokenCounter _counter;

    public Chunker(int maxTokens = 256, int overlapTokens = 32, TokenCounter? counter = null)
    {
        if (maxTokens < 16) throw new ArgumentException($"chunk size must be at least 16 tokens, not {maxTokens}", nameof(maxTokens));
        if (overlapTokens < 0 || overlapTokens > maxTokens / 2)
            throw new ArgumentException($"overlap must be between 0 and half the chunk size ({maxTokens / 2}), not {overlapTokens}", nameof(overlapTokens));
        MaxTokens = maxTokens;
        OverlapTokens = overlapTokens;
        _counter = counter ?? TokenCounter.WordEstimate;
    }

    public IReadOnlyList<Chunk> Split(ExtractedDocument document)
    {
        var chunks = new List<Chunk>();
        foreach (var section in document.Sections)
        {
            // A heading longer than half a chunk would leave no room for text; it is cut to fit.
            var heading = section.Heading is null ? null : FitWords(section.Heading, MaxTokens / 2, fromEnd: false);
            int budget = MaxTokens - (heading is null ? 0 : _counter.Count(heading));
            var units = section.Paragraphs.SelectMany(p => Units(p, budget)).ToList();

            var current = new List<string>();
            int tokens = 0;
            bool hasNewText = false;
            foreach (var unit in units)
            {
                int unitTokens = _counter.Count(unit);
                if (hasNewText && tokens + unitTokens > budget)
                {
                    Emit(chunks, heading, current);
                    var overlap = OverlapTokens == 0 ? "" : FitWords(string.Join(' ', current), Math.Min(OverlapTokens, budget - unitTokens), fromEnd: true);
                    current = overlap.Length > 0 ? [overlap] : [];
                    tokens = overlap.Length > 0 ? _counter.Count(overlap) : 0;
                    hasNewText = false;
                }
                current.Add(unit);
                tokens += unitTokens;
                hasNewText = true;
            }
            if (hasNewText) Emit(chunks, heading, current);
        }
        return chunks;
    }

    void Emit(List<Chunk> chunks, string? heading, List<string> units)
    {
        var text = string.Join("\n\n", units);
        chunks.Add(new Chunk(chunks.Count, heading, text, _counter.Count(heading is null ? text : heading + "\n" + text)));
    }

    /// <summary>A paragraph as is when it fits, else its sentences, and sentences longer than the budget as word runs.</summary>
    IEnumerable<string> Units(string paragraph, int budget)
    {
        if (_counter.Count(paragraph) <= budget) { yield return paragraph; yield break; }
        foreach (var sentence in Sentences(paragraph))
        {
            if (_counter.Count(sentence) <= budget) { yield return sentence; continue; }
            var words = Words(sentence);
            for (int at = 0; at < words.Length;)
            {
                int n = LongestFitting(words.Length - at, k => _counter.Count(string.Join(' ', words, at, k)) <= budget);
                if (n > 0) { yield return string.Join(' ', words, at, n); at += n; continue; }
                // A single word over the budget (a hash, a data URI): cut it by characters.
                var word = words[at++];
                while (word.Length > 0)
                {
                    int chars = Math.Max(1, LongestFitting(word.Length, k => _counter.Count(word[..k]) <= budget));
                    yield return word[..chars];
                    word = word[chars..];
                }
            }
        }
    }

    static IEnumerable<string> Sentences(string paragraph)
    {
        int start = 0;
        for (int i = 0; i < paragraph.Length; i++)
        {
            bool end = paragraph[i] == '\n' || (paragraph[i] is '.' or '!' or '?' && (i + 1 == paragraph.Length || char.IsWhiteSpace(paragraph[i + 1])));
            if (!end) continue;
            var sentence = paragraph[start..(i + 1)].Trim();
            if (sentence.Length > 0) yield return sentence;
            start = i + 1;
        }
        if (start < paragraph.Length && paragraph[start..].Trim() is { Length: > 0 } last) yield return last;
    }

    /// <summary>The longest run of whole words from the start (or end) of <paramref name="text"/> within <paramref name="maxTokens"/>.</summary>
    string FitWords(string text, int maxTokens, bool fromEnd)
    {
        if (maxTokens <= 0) return "";
        if (_counter.Count(text) <= maxTokens) return text;
        var words = Words(text);
        int n = LongestFitting(words.Length, k => _counter.Count(string.Join(' ', words, fromEnd ? words.Length - k : 0, k)) <= maxTokens);
        return string.Join(' ', words, fromEnd ? words.Length - n : 0, n);
    }

    static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The largest k in [0, n] with fits(k), by binary search: token counts grow with the text (near enough for BPE).</summary>
    static int LongestFitting(int n, Func<int, bool> fits)
    {
        int lo = 0, hi = n;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (fits(mid)) lo = mid; else hi = mid - 1;
        }
        return lo;
    }
}
