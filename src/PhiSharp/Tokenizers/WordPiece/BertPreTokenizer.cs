using System.Globalization;
using System.Text;

namespace PhiSharp.Tokenizers;

/// <summary>
/// HF <c>tokenizers</c>' BertPreTokenizer: words are split at whitespace (dropped) and every punctuation character
/// (ASCII punctuation, which includes symbols such as <c>$ + &lt; = &gt; ^ ` | ~</c>, or a Unicode P* category)
/// stands alone.
/// </summary>
internal static class BertPreTokenizer
{
    /// <summary>The words of <paramref name="text"/> as (start, length) in UTF-16 units.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        var words = new List<(int, int)>();
        int wordStart = 0, i = 0;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out int width);
            bool space = BertNormalizer.IsWhitespace(rune), punctuation = !space && IsPunctuation(rune);
            if (space || punctuation)
            {
                if (i > wordStart) words.Add((wordStart, i - wordStart));
                if (punctuation) words.Add((i, width));
                wordStart = i + width;
            }
            i += width;
        }
        if (text.Length > wordStart) words.Add((wordStart, text.Length - wordStart));
        return words;
    }

    static bool IsPunctuation(Rune rune) =>
        rune.Value is (>= 0x21 and <= 0x2F) or (>= 0x3A and <= 0x40) or (>= 0x5B and <= 0x60) or (>= 0x7B and <= 0x7E)
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
}
