namespace PhiSharp.Tokenizers.Templates;

/// <summary>Text rules shared by the lexer and the string methods, as JavaScript (and so @huggingface/jinja) has them.</summary>
internal static class TemplateText
{
    /// <summary>JavaScript's white space and line terminators: what <c>trim()</c> removes and <c>-</c> strips.</summary>
    public static bool IsWhitespace(char c) =>
        c <= ' ' ? c == ' ' || c is >= '\t' and <= '\r'
        : c > '\u007f' && (c == '\u00a0' || c == '\u1680' || c is >= '\u2000' and <= '\u200a' || c == '\u2028' || c == '\u2029'
                           || c == '\u202f' || c == '\u205f' || c == '\u3000' || c == '\ufeff');

    public static string Trim(string s) => TrimEnd(TrimStart(s));

    public static string TrimStart(string s)
    {
        int i = 0;
        while (i < s.Length && IsWhitespace(s[i])) i++;
        return s[i..];
    }

    public static string TrimEnd(string s)
    {
        int i = s.Length;
        while (i > 0 && IsWhitespace(s[i - 1])) i--;
        return s[..i];
    }
}
