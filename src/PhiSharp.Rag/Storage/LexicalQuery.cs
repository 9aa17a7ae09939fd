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

    /// <summary>The query's distinct lower-cased words (at most <see cref="MaxTerms"/>); each is letters, digits and underscores only.</summary>
    public static IReadOnlyList<string> Terms(string query)
    {
        Validate(query);
        return Word().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct().Take(MaxTerms).ToList();
    }

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
