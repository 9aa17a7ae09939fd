using System.Text.RegularExpressions;

namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// A split pattern the hand-written scanners do not know, run on .NET's regex engine (compiled once). Exact for
/// text in the Basic Multilingual Plane; .NET matches UTF-16 units, so an astral letter or digit is not \p{L} / \p{N}
/// to it as it is to the Rust and Oniguruma engines — the reason the common patterns have scanners.
/// </summary>
internal sealed class RegexWordSplitter : WordSplitter
{
    readonly Regex _regex;

    public RegexWordSplitter(string pattern)
    {
        try
        {
            _regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new UnsupportedModelException(null, $"split pattern '{pattern}' is not a regex .NET can run: {e.Message}");
        }
    }

    public override int PieceEnd(ReadOnlySpan<char> text, int start)
    {
        foreach (var match in _regex.EnumerateMatches(text, start))
        {
            if (match.Length == 0) continue;   // empty matches make empty pieces, which HF drops
            return match.Index > start ? match.Index : match.Index + match.Length;
        }
        return text.Length;
    }
}

/// <summary>The split patterns with hand-written scanners, in each spelling found in tokenizer.json and tiktoken files.</summary>
internal static class KnownPatterns
{
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    const string ExplicitCaseContraction = "'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D";
    const string Cl100kTail = @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Written as tiktoken has it.</summary>
    public const string Cl100kTiktoken = @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    /// <summary>Written as Llama-3's tokenizer.json has it.</summary>
    public const string Cl100kHf = "(?i:'s|'t|'re|'ve|'m|'ll|'d)" + Cl100kTail;

    /// <summary>Written as the .tiktoken exports here have it (case spelled out, no possessive quantifiers).</summary>
    public const string Cl100kExplicitCase = "(" + ExplicitCaseContraction + ")" + Cl100kTail;

    const string Upper = @"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]";
    const string Lower = @"[\p{Ll}\p{Lm}\p{Lo}\p{M}]";
    const string O200kTail = @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static string O200k(string contraction) =>
        @"[^\r\n\p{L}\p{N}]?" + Upper + "*" + Lower + "+" + contraction + "?|" +
        @"[^\r\n\p{L}\p{N}]?" + Upper + "+" + Lower + "*" + contraction + "?" + O200kTail;

    /// <summary>Written as tiktoken and Phi-4-mini's tokenizer.json have it.</summary>
    public static readonly string O200kHf = O200k("(?i:'s|'t|'re|'ve|'m|'ll|'d)");

    /// <summary>Written as the .tiktoken exports here have it.</summary>
    public static readonly string O200kExplicitCase = O200k("(" + ExplicitCaseContraction + ")");

    public static WordSplitter? TryGet(string pattern)
    {
        if (pattern == Gpt2) return new Gpt2WordSplitter();
        if (pattern is Cl100kTiktoken or Cl100kHf) return new Cl100kWordSplitter(caseFold: true);
        if (pattern == Cl100kExplicitCase) return new Cl100kWordSplitter(caseFold: false);
        if (pattern == O200kHf) return new O200kWordSplitter(caseFold: true);
        if (pattern == O200kExplicitCase) return new O200kWordSplitter(caseFold: false);
        return null;
    }
}
