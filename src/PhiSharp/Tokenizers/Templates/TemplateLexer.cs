using System.Text;

namespace PhiSharp.Tokenizers.Templates;

internal enum TokenKind
{
    Text, Number, String, Identifier, Equals, OpenParen, CloseParen, OpenStatement, CloseStatement, OpenExpression,
    CloseExpression, OpenBracket, CloseBracket, OpenBrace, CloseBrace, Comma, Dot, Colon, Pipe,
    Additive, Multiplicative, Power, Comparison, UnarySign, Comment,
}

/// <summary>One token; <see cref="At"/> is its offset in the preprocessed text, for error positions.</summary>
internal readonly record struct Token(TokenKind Kind, string Value, int At);

/// <summary>
/// Splits a preprocessed template into text, tags and expression tokens, as @huggingface/jinja's lexer does:
/// <c>{%-</c>, <c>{{-</c>, <c>{#-</c> strip the white space before them, <c>-%}</c>, <c>-}}</c>, <c>-#}</c> the white
/// space after, and a sign directly after an operator starts a number literal.
/// </summary>
internal static class TemplateLexer
{
    static readonly (string Text, TokenKind Kind)[] Symbols =
    [
        ("{%", TokenKind.OpenStatement), ("%}", TokenKind.CloseStatement), ("{{", TokenKind.OpenExpression), ("}}", TokenKind.CloseExpression),
        ("(", TokenKind.OpenParen), (")", TokenKind.CloseParen), ("{", TokenKind.OpenBrace), ("}", TokenKind.CloseBrace),
        ("[", TokenKind.OpenBracket), ("]", TokenKind.CloseBracket), (",", TokenKind.Comma), (".", TokenKind.Dot),
        (":", TokenKind.Colon), ("|", TokenKind.Pipe),
        ("<=", TokenKind.Comparison), (">=", TokenKind.Comparison), ("==", TokenKind.Comparison), ("!=", TokenKind.Comparison),
        ("<", TokenKind.Comparison), (">", TokenKind.Comparison),
        ("+", TokenKind.Additive), ("-", TokenKind.Additive), ("~", TokenKind.Additive),
        ("**", TokenKind.Power), ("*", TokenKind.Multiplicative), ("//", TokenKind.Multiplicative), ("/", TokenKind.Multiplicative),
        ("%", TokenKind.Multiplicative), ("=", TokenKind.Equals),
    ];

    public static List<Token> Tokenize(TemplateSource source)
    {
        string src = source.Text;
        var tokens = new List<Token>();
        int pos = 0, braceDepth = 0;

        TemplateException Error(string message) => source.Error(pos, message);

        void StripTrailingWhitespace()
        {
            if (tokens.Count > 0 && tokens[^1].Kind == TokenKind.Text)
            {
                string trimmed = TemplateText.TrimEnd(tokens[^1].Value);
                if (trimmed.Length == 0) tokens.RemoveAt(tokens.Count - 1);
                else tokens[^1] = tokens[^1] with { Value = trimmed };
            }
        }

        void SkipLeadingWhitespace()
        {
            while (pos < src.Length && TemplateText.IsWhitespace(src[pos])) pos++;
        }

        string ConsumeDigits()
        {
            int start = pos;
            while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
            return src[start..pos];
        }

        while (pos < src.Length)
        {
            TokenKind? last = tokens.Count > 0 ? tokens[^1].Kind : null;
            if (last is null or TokenKind.CloseStatement or TokenKind.CloseExpression or TokenKind.Comment)
            {
                int end = pos;
                while (true)
                {
                    end = src.IndexOf('{', end);
                    if (end < 0) { end = src.Length; break; }
                    if (end + 1 < src.Length && src[end + 1] is '%' or '{' or '#') break;
                    end++;
                }
                if (end > pos)
                {
                    tokens.Add(new Token(TokenKind.Text, src[pos..end], pos));
                    pos = end;
                    continue;
                }
            }

            if (src[pos] == '{' && pos + 1 < src.Length)
            {
                char next = src[pos + 1];
                if (next == '#')
                {
                    int start = pos;
                    pos += 2;
                    bool stripBefore = pos < src.Length && src[pos] == '-';
                    if (stripBefore) pos++;
                    int end = src.IndexOf("#}", pos, StringComparison.Ordinal);
                    if (end < 0) { pos = start; throw Error("a comment {# is never closed with #}"); }
                    string comment = src[pos..end];
                    bool stripAfter = comment.EndsWith('-');
                    if (stripBefore) StripTrailingWhitespace();
                    tokens.Add(new Token(TokenKind.Comment, stripAfter ? comment[..^1] : comment, start));
                    pos = end + 2;
                    if (stripAfter) SkipLeadingWhitespace();
                    continue;
                }
                if (pos + 2 < src.Length && src[pos + 2] == '-' && next is '%' or '{')
                {
                    StripTrailingWhitespace();
                    tokens.Add(next == '%' ? new Token(TokenKind.OpenStatement, "{%", pos) : new Token(TokenKind.OpenExpression, "{{", pos));
                    if (next == '{') braceDepth = 0;
                    pos += 3;
                    continue;
                }
            }

            while (pos < src.Length && TemplateText.IsWhitespace(src[pos])) pos++;
            if (pos >= src.Length) throw Error("the template ends inside a tag");
            char c = src[pos];
            if (c == '-' && pos + 2 < src.Length && src[pos + 2] == '}' && src[pos + 1] is '%' or '}')
            {
                tokens.Add(src[pos + 1] == '%' ? new Token(TokenKind.CloseStatement, "%}", pos) : new Token(TokenKind.CloseExpression, "}}", pos));
                pos += 3;
                SkipLeadingWhitespace();
                continue;
            }

            if (c is '-' or '+')
            {
                if (last is null or TokenKind.Text) throw Error($"unexpected '{c}'");
                if (last is not (TokenKind.Identifier or TokenKind.Number or TokenKind.String or TokenKind.CloseParen or TokenKind.CloseBracket))
                {
                    int start = pos++;
                    string digits = ConsumeDigits();
                    if (digits.Length > 0 && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
                    {
                        pos++;
                        digits += "." + ConsumeDigits();
                    }
                    tokens.Add(new Token(digits.Length > 0 ? TokenKind.Number : TokenKind.UnarySign, c + digits, start));
                    continue;
                }
            }

            bool matched = false;
            foreach (var (text, kind) in Symbols)
            {
                if (text == "}}" && braceDepth > 0) continue;
                if (string.CompareOrdinal(src, pos, text, 0, text.Length) != 0) continue;
                tokens.Add(new Token(kind, text, pos));
                if (kind == TokenKind.OpenExpression) braceDepth = 0;
                else if (kind == TokenKind.OpenBrace) braceDepth++;
                else if (kind == TokenKind.CloseBrace) braceDepth--;
                pos += text.Length;
                matched = true;
                break;
            }
            if (matched) continue;

            if (c is '\'' or '"')
            {
                int start = pos++;
                tokens.Add(new Token(TokenKind.String, ConsumeString(source, ref pos, c, start), start));
                pos++;
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                int start = pos;
                string digits = ConsumeDigits();
                if (last != TokenKind.Dot && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
                {
                    pos++;
                    digits += "." + ConsumeDigits();
                }
                tokens.Add(new Token(TokenKind.Number, digits, start));
                continue;
            }
            if (IsWordChar(c))
            {
                int start = pos;
                while (pos < src.Length && IsWordChar(src[pos])) pos++;
                tokens.Add(new Token(TokenKind.Identifier, src[start..pos], start));
                continue;
            }
            throw Error($"unexpected character '{c}'");
        }
        return tokens;
    }

    static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    static string ConsumeString(TemplateSource source, ref int pos, char quote, int start)
    {
        string src = source.Text;
        var text = new StringBuilder();
        while (true)
        {
            if (pos >= src.Length) throw source.Error(start, "a string literal is never closed");
            char c = src[pos];
            if (c == quote) return text.ToString();
            pos++;
            if (c != '\\') { text.Append(c); continue; }
            if (pos >= src.Length) throw source.Error(start, "a string literal is never closed");
            char escaped = src[pos++];
            if (escaped is 'x' or 'u')
            {
                int digits = escaped == 'x' ? 2 : 4;
                string hex = pos + digits <= src.Length ? src.Substring(pos, digits) : src[pos..];
                if (hex.Length != digits || !hex.All(char.IsAsciiHexDigit))
                    throw source.Error(pos - 2, $"invalid escape \\{escaped}{hex}");
                text.Append((char)Convert.ToInt32(hex, 16));
                pos += digits;
                continue;
            }
            text.Append(escaped switch
            {
                'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', 'v' => '\v',
                '\'' => '\'', '"' => '"', '\\' => '\\',
                _ => throw source.Error(pos - 2, $"unknown escape \\{escaped}"),
            });
        }
    }
}
