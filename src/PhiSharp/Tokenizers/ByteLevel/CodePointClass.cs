using System.Globalization;

namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// The character classes the split patterns test, for one code point. A code point may be in several
/// (a modifier letter is <see cref="Letter"/>, <see cref="UpperLike"/> and <see cref="LowerLike"/>).
/// </summary>
[Flags]
internal enum CodePointClass : byte
{
    None = 0,
    /// <summary>\p{L}: Lu, Ll, Lt, Lm, Lo.</summary>
    Letter = 1,
    /// <summary>\p{N}: Nd, Nl, No.</summary>
    Number = 2,
    /// <summary>\s as the Rust and Oniguruma engines define it: the Unicode White_Space property.</summary>
    WhiteSpace = 4,
    /// <summary>o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}].</summary>
    UpperLike = 8,
    /// <summary>o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}].</summary>
    LowerLike = 16,
}

/// <summary>
/// Looks up <see cref="CodePointClass"/> per code point: a 64 KiB table for the BMP, computed on the fly for astral
/// code points. Lone surrogates are in no class (the reference engines see them as U+FFFD, a symbol: also no class).
/// </summary>
internal static class CodePointClasses
{
    static readonly CodePointClass[] Bmp = BuildBmp();

    public static CodePointClass Of(int codePoint) => codePoint < 0x10000 ? Bmp[codePoint] : Compute(codePoint);

    /// <summary>The class of the code point at <paramref name="index"/> and its length in UTF-16 units (1 or 2).</summary>
    public static CodePointClass At(ReadOnlySpan<char> text, int index, out int width)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return Compute(char.ConvertToUtf32(c, text[index + 1]));
        }
        width = 1;
        return Bmp[c];
    }

    /// <summary>Start of the code point that ends just before <paramref name="index"/>.</summary>
    public static int Previous(ReadOnlySpan<char> text, int index) =>
        index >= 2 && char.IsLowSurrogate(text[index - 1]) && char.IsHighSurrogate(text[index - 2]) ? index - 2 : index - 1;

    static CodePointClass[] BuildBmp()
    {
        var table = new CodePointClass[0x10000];
        for (int c = 0; c < table.Length; c++)
            table[c] = c is >= 0xD800 and <= 0xDFFF ? CodePointClass.None : Compute(c);
        return table;
    }

    static CodePointClass Compute(int codePoint)
    {
        if (IsWhiteSpace(codePoint)) return CodePointClass.WhiteSpace;
        const CodePointClass Both = CodePointClass.UpperLike | CodePointClass.LowerLike;
        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter => CodePointClass.Letter | CodePointClass.UpperLike,
            UnicodeCategory.LowercaseLetter => CodePointClass.Letter | CodePointClass.LowerLike,
            UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodePointClass.Letter | Both,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => Both,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodePointClass.Number,
            _ => CodePointClass.None,
        };
    }

    // The Unicode White_Space property (PropList.txt); .NET's char.IsWhiteSpace is close but not defined as this set.
    static bool IsWhiteSpace(int c) =>
        c is >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}
