using static PhiSharp.Tokenizers.ByteLevel.CodePointClass;

namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// Cuts text into the words that byte-level BPE encodes one at a time, as a split regex would: each piece is a
/// match of the pattern, and text between matches is a piece of its own (HF's Split "Isolated" behaviour; the
/// patterns here match at every position, so tiktoken's dropping of unmatched text never arises).
/// The GPT-2, cl100k and o200k patterns have exact hand-written scanners (they follow the backtracking engine's
/// choices alternative by alternative); other patterns run on .NET's regex engine.
/// </summary>
internal abstract class WordSplitter
{
    /// <summary>The end (exclusive) of the piece that starts at <paramref name="start"/> (&lt; text.Length).</summary>
    public abstract int PieceEnd(ReadOnlySpan<char> text, int start);

    /// <summary>The scanner for a split pattern written in the regex syntax of tokenizer.json / tiktoken.</summary>
    public static WordSplitter FromPattern(string pattern) => KnownPatterns.TryGet(pattern) ?? new RegexWordSplitter(pattern);

    protected const CodePointClass LetterOrNumber = Letter | Number;
    protected const CodePointClass Classified = Letter | Number | WhiteSpace;

    /// <summary>End of the run of code points from <paramref name="i"/> that have any of <paramref name="classes"/>.</summary>
    protected static int RunOf(ReadOnlySpan<char> text, int i, CodePointClass classes)
    {
        while (i < text.Length && (CodePointClasses.At(text, i, out int w) & classes) != 0) i += w;
        return i;
    }

    /// <summary>End of the run of [^\s\p{L}\p{N}] from <paramref name="i"/>.</summary>
    protected static int RunOfOther(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && (CodePointClasses.At(text, i, out int w) & Classified) == 0) i += w;
        return i;
    }

    protected static bool Is(ReadOnlySpan<char> text, int i, CodePointClass classes) =>
        i < text.Length && (CodePointClasses.At(text, i, out _) & classes) != 0;

    protected static bool IsOther(ReadOnlySpan<char> text, int i) =>
        i < text.Length && (CodePointClasses.At(text, i, out _) & Classified) == 0;

    protected static bool IsLineBreak(char c) => c is '\r' or '\n';

    /// <summary>
    /// End of an English contraction ('s 't 're 've 'm 'll 'd) at <paramref name="i"/>, or -1. <paramref name="caseFold"/>
    /// is the regex's (?i:): any letter case, and ſ (U+017F, which folds to s) for s; <paramref name="asciiCase"/> is the
    /// tiktoken files' spelled-out 's|'S|... form (both ASCII cases, no ſ).
    /// </summary>
    protected static int ContractionEnd(ReadOnlySpan<char> text, int i, bool asciiCase, bool caseFold)
    {
        if (i + 1 >= text.Length || text[i] != '\'') return -1;
        char a = Fold(text[i + 1], asciiCase || caseFold);
        if (a is 's' or 't' or 'm' or 'd' || (caseFold && text[i + 1] == '\u017F')) return i + 2;
        if (i + 2 >= text.Length) return -1;
        char b = Fold(text[i + 2], asciiCase || caseFold);
        return (a, b) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? i + 3 : -1;
    }

    static char Fold(char c, bool anyCase) => anyCase && c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;

    /// <summary>
    /// The whitespace alternatives shared by cl100k and o200k at a whitespace code point: \s*[\r\n]+ (up to and including
    /// the last line break of the run), then \s+(?!\S) (the run less its last character when text follows), then \s+.
    /// </summary>
    protected static int WhiteSpaceEnd(ReadOnlySpan<char> text, int i, bool lineBreaksFirst)
    {
        int end = RunOf(text, i, WhiteSpace);
        if (lineBreaksFirst)
            for (int k = end - 1; k >= i; k--)
                if (IsLineBreak(text[k])) return k + 1;
        // White_Space code points are all in the BMP, so "less its last character" is end - 1.
        if (end == text.Length) return end;
        return end - 1 > i ? end - 1 : end;
    }
}

/// <summary>GPT-2's pattern: <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.</summary>
internal sealed class Gpt2WordSplitter : WordSplitter
{
    public override int PieceEnd(ReadOnlySpan<char> text, int i)
    {
        int contraction = ContractionEnd(text, i, asciiCase: false, caseFold: false);
        if (contraction > 0) return contraction;
        // " ?X+": the space is taken when the class run follows it; otherwise the run starts at i.
        int p = text[i] == ' ' && i + 1 < text.Length && !Is(text, i + 1, WhiteSpace) ? i + 1 : i;
        var cls = CodePointClasses.At(text, p, out _);
        if ((cls & Letter) != 0) return RunOf(text, p, Letter);
        if ((cls & Number) != 0) return RunOf(text, p, Number);
        if ((cls & WhiteSpace) == 0) return RunOfOther(text, p);
        return WhiteSpaceEnd(text, i, lineBreaksFirst: false);
    }
}

/// <summary>
/// cl100k's pattern: <c>'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+</c>
/// (also as written in Llama-3's tokenizer.json and the tiktoken file here; the variants match the same pieces).
/// </summary>
internal sealed class Cl100kWordSplitter(bool caseFold) : WordSplitter
{
    public override int PieceEnd(ReadOnlySpan<char> text, int i)
    {
        int contraction = ContractionEnd(text, i, asciiCase: true, caseFold);
        if (contraction > 0) return contraction;
        char c = text[i];
        var cls = CodePointClasses.At(text, i, out int width);
        if ((cls & Letter) != 0) return RunOf(text, i, Letter);
        if ((cls & LetterOrNumber) == 0 && !IsLineBreak(c) && Is(text, i + width, Letter)) return RunOf(text, i + width, Letter);
        if ((cls & Number) != 0)
        {
            int end = i + width;
            for (int n = 1; n < 3 && Is(text, end, Number); n++)
            {
                CodePointClasses.At(text, end, out int w);
                end += w;
            }
            return end;
        }
        int p = c == ' ' && IsOther(text, i + 1) ? i + 1 : i;
        if (IsOther(text, p))
        {
            int end = RunOfOther(text, p);
            while (end < text.Length && IsLineBreak(text[end])) end++;
            return end;
        }
        return WhiteSpaceEnd(text, i, lineBreaksFirst: true);
    }
}
