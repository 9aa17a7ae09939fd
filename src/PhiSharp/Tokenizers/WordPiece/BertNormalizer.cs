using System.Globalization;
using System.Text;
using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

/// <summary>
/// HF <c>tokenizers</c>' BertNormalizer, in its order: drop NUL, U+FFFD and control/format/unassigned characters and
/// turn whitespace into spaces (clean_text); put spaces around CJK ideographs (handle_chinese_chars); decompose (NFD)
/// and drop non-spacing marks (strip_accents, which defaults to lowercase); lowercase one character at a time.
/// </summary>
internal sealed record BertNormalizer(bool CleanText, bool HandleChineseChars, bool StripAccents, bool Lowercase)
{
    /// <summary>bert-base-uncased's settings, which llama.cpp's WordPiece tokenizer always applies.</summary>
    public static readonly BertNormalizer Uncased = new(true, true, true, true);

    public static BertNormalizer FromJson(HfJsonObject spec)
    {
        string type = spec.GetString("type");
        if (type != "BertNormalizer")
            throw new UnsupportedModelException(spec.FilePath, $"normalizer type '{type}' is not supported with a WordPiece model (supported: BertNormalizer)");
        bool lowercase = !spec.TryGetBool("lowercase", out bool l) || l;
        // strip_accents is null in most files: then it follows lowercase.
        bool stripAccents = spec.TryGetValue("strip_accents", out var s) && s.ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
            ? s.GetBoolean() : lowercase;
        return new BertNormalizer(
            CleanText: !spec.TryGetBool("clean_text", out bool c) || c,
            HandleChineseChars: !spec.TryGetBool("handle_chinese_chars", out bool h) || h,
            StripAccents: stripAccents,
            Lowercase: lowercase);
    }

    public string Apply(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())   // a lone surrogate arrives as U+FFFD
        {
            if (CleanText)
            {
                if (rune.Value is 0 or 0xFFFD || IsControl(rune)) continue;
                if (IsWhitespace(rune))
                {
                    sb.Append(' ');
                    continue;
                }
            }
            if (HandleChineseChars && IsChineseChar(rune.Value)) sb.Append(' ').Append(rune.ToString()).Append(' ');
            else sb.Append(rune.ToString());
        }
        string result = sb.ToString();
        if (StripAccents) result = StripNonSpacingMarks(result.Normalize(NormalizationForm.FormD));
        if (Lowercase) result = LowercaseEach(result);
        return result;
    }

    static string StripNonSpacingMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) sb.Append(rune.ToString());
        return sb.ToString();
    }

    // Rust's char::to_lowercase per character: the simple mapping, except U+0130 whose full lowercase is "i̇".
    static string LowercaseEach(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value == 0x130) sb.Append("i\u0307");
            else sb.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return sb.ToString();
    }

    /// <summary>Tab, newline and carriage return count as whitespace, not as control characters (as in BERT).</summary>
    internal static bool IsWhitespace(Rune rune) => Rune.IsWhiteSpace(rune);

    static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control
            or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    // The CJK Unified Ideographs blocks BERT pads (not Hiragana, Katakana or Hangul).
    static bool IsChineseChar(int c) =>
        c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
