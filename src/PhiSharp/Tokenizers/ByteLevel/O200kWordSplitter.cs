using static PhiSharp.Tokenizers.ByteLevel.CodePointClass;

namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// o200k's pattern (GPT-4o, Phi-4-mini):
/// <code>
///   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///  |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///  |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
/// </code>
/// Words split at a lower-to-upper case change ("getHTTPResponse" → "get", "HTTPResponse"). Marks (\p{M}) are neither
/// letters nor numbers, so one can also be the optional leading character; the scanner tries the alternatives in the
/// engine's order, prefix first, and reproduces the backtracking of the greedy upper-case run.
/// </summary>
internal sealed class O200kWordSplitter(bool caseFold) : WordSplitter
{
    public override int PieceEnd(ReadOnlySpan<char> text, int i)
    {
        char c = text[i];
        var cls = CodePointClasses.At(text, i, out int width);
        bool prefix = (cls & LetterOrNumber) == 0 && !IsLineBreak(c);   // [^\r\n\p{L}\p{N}] can start the word
        const CodePointClass LetterOrMark = UpperLike | LowerLike;

        // First alternative: upper-like* lower-like+, tried with the prefix and then without.
        int end = prefix ? CasedWordEnd(text, i + width) : -1;
        if (end < 0 && (cls & LetterOrMark) != 0) end = CasedWordEnd(text, i);
        // Second alternative: upper-like+ lower-like*.
        if (end < 0 && prefix && Is(text, i + width, UpperLike)) end = UpperWordEnd(text, i + width);
        if (end < 0 && (cls & UpperLike) != 0) end = UpperWordEnd(text, i);
        if (end >= 0)
        {
            int contraction = ContractionEnd(text, end, asciiCase: true, caseFold);
            return contraction > 0 ? contraction : end;
        }

        if ((cls & Number) != 0)
        {
            end = i + width;
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
            end = RunOfOther(text, p);
            while (end < text.Length && (IsLineBreak(text[end]) || text[end] == '/')) end++;
            return end;
        }
        return WhiteSpaceEnd(text, i, lineBreaksFirst: true);
    }

    // [UpperLike]*[LowerLike]+ from s, or -1. The greedy upper-like run gives back code points until a lower-like one
    // can start the second part; lower-like code points inside the upper-like run are Lm, Lo and marks.
    static int CasedWordEnd(ReadOnlySpan<char> text, int s)
    {
        int upperEnd = RunOf(text, s, UpperLike);
        if (Is(text, upperEnd, LowerLike)) return RunOf(text, upperEnd, LowerLike);
        for (int e = upperEnd; e > s;)
        {
            e = CodePointClasses.Previous(text, e);
            // Every code point after e in the upper-like run was not lower-like, so the lower-like part is e alone.
            if ((CodePointClasses.At(text, e, out int w) & LowerLike) != 0) return e + w;
        }
        return -1;
    }

    // [UpperLike]+[LowerLike]* from s, where s is upper-like.
    static int UpperWordEnd(ReadOnlySpan<char> text, int s) => RunOf(text, RunOf(text, s, UpperLike), LowerLike);
}
