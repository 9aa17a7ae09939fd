using System.Text;
using System.Text.RegularExpressions;

namespace PhiSharp.Rag.Storage;

/// <summary>
/// Turns free text into a safe FTS5 query: its distinct words, each quoted (so no word is read as FTS syntax
/// such as AND, NEAR or a column filter), joined with OR so that BM25 ranks chunks by how many they match.
/// </summary>
public static partial class LexicalQuery
{
    /// <summary>Longer queries are refused: they are pasted documents, not questions, and would scan the whole index.</summary>
    public const int MaxChars = 4096;

    /// <summary>Words beyond this many add nothing to BM25 ranking that the first ones have not.</summary>
    public const int MaxTerms = 64;

    [GeneratedRegex(@"[\p{L}\p{N}_]+")]
    private static partial Regex Word();

    public static void Validate(string query)
    {
        if (string.IsNullOrWhiteSpace(query)) throw new ArgumentException("the query is empty");
        if (query.Length > MaxChars)
            throw new ArgumentException($"the query is {query.Length:N0} characters long; the limit is {MaxChars:N0} (ask a question, not a document)");
    }

    /// <summary>
    /// Function words of English questions. They match nearly every chunk, so in hybrid retrieval they would put
    /// chunks that share only "how" or "the" with the question into the fused ranking (PostgreSQL's 'english'
    /// configuration drops such words too).
    /// </summary>
    static readonly HashSet<string> StopWords =
    [
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for",
        "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of",
        "on", "or", "our", "she", "he", "so", "such", "than", "that", "the", "their", "them", "then", "there", "these",
        "they", "this", "those", "to", "us", "was", "we", "were", "what", "when", "where", "which", "who", "whom",
        "why", "will", "with", "would", "you", "your",
    ];

    /// <summary>The query's distinct lower-cased words (at most <see cref="MaxTerms"/>), each letters, digits and
    /// underscores only, without English function words unless the query has nothing else.</summary>
    public static IReadOnlyList<string> Terms(string query)
    {
        Validate(query);
        var words = Words(query).Distinct().ToList();
        var content = words.Where(w => !StopWords.Contains(w)).ToList();
        return (content.Count > 0 ? content : words).Take(MaxTerms).ToList();
    }

    /// <summary>The distinct lower-cased words of <paramref name="text"/> other than function words (for comparing texts).</summary>
    public static HashSet<string> ContentWords(string text) => Words(text).Where(w => !StopWords.Contains(w)).ToHashSet();

    static IEnumerable<string> Words(string text) => Word().Matches(text).Select(m => m.Value.ToLowerInvariant());

    /// <summary>The FTS5 MATCH expression, or null when the query has no words at all (only punctuation).</summary>
    public static string? ToFts5(string query)
    {
        var terms = Terms(query);
        if (terms.Count == 0) return null;
        var sb = new StringBuilder();
        foreach (var term in terms)
        {
            if (sb.Length > 0) sb.Append(" OR ");
            sb.Append('"').Append(term).Append('"');
        }
        return sb.ToString();
    }
}
