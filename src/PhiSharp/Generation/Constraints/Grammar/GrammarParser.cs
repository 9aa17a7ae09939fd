using System.Globalization;
using System.Text;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// Reads the grammar language of docs/TOOLS.md (GBNF-like): <c>name ::= alternatives</c>, where an alternative is a
/// sequence of string literals, character classes, <c>.</c>, rule names and parenthesised groups, each optionally
/// followed by <c>? * + {m} {m,} {m,n}</c>. <c>#</c> starts a comment. Errors name the line and column.
/// </summary>
internal sealed class GrammarParser
{
    /// <summary>The most a {m,n} bound may say: repetitions are unrolled into rules.</summary>
    public const int MaxRepetition = 10_000;

    readonly string _text;
    int _pos;

    GrammarParser(string text) => _text = text;

    public static List<RuleDefinition> Parse(string text)
    {
        var parser = new GrammarParser(text);
        var rules = new List<RuleDefinition>();
        parser.SkipSpace(newlines: true);
        while (parser._pos < text.Length)
        {
            rules.Add(parser.Rule());
            parser.SkipSpace(newlines: true);
        }
        if (rules.Count == 0) throw new GrammarException("The grammar defines no rules (it needs at least 'root ::= ...').");
        return rules;
    }

    RuleDefinition Rule()
    {
        var (line, column) = Position(_pos);
        string name = Name() ?? throw Error("a rule name");
        SkipSpace(newlines: false);
        if (!Take("::=")) throw Error($"'::=' after the rule name '{name}'");
        var body = Alternatives();
        return new RuleDefinition(name, body, line, column);
    }

    AlternativesNode Alternatives()
    {
        var alternatives = new List<List<GrammarNode>> { Sequence() };
        while (Take("|")) alternatives.Add(Sequence());
        return new AlternativesNode(alternatives);
    }

    // A sequence ends at '|', ')', the end of the text, or where the next rule starts ("name ::=").
    List<GrammarNode> Sequence()
    {
        var items = new List<GrammarNode>();
        while (true)
        {
            SkipSpace(newlines: true);
            if (_pos >= _text.Length || Peek() is '|' or ')' || AtRuleStart()) return items;
            items.Add(Postfix(Primary()));
        }
    }

    bool AtRuleStart()
    {
        int p = _pos;
        while (p < _text.Length && IsNameChar(_text[p])) p++;
        if (p == _pos) return false;
        while (p < _text.Length && _text[p] is ' ' or '\t') p++;
        return string.CompareOrdinal(_text, p, "::=", 0, 3) == 0;
    }

    GrammarNode Primary()
    {
        char c = Peek();
        if (c == '"') return Literal();
        if (c == '[') return CharClass();
        if (c == '.') { _pos++; return new CharClassNode([], Negated: true); }
        if (c == '(')
        {
            _pos++;
            var group = Alternatives();
            SkipSpace(newlines: true);
            if (!Take(")")) throw Error("')' to close the group");
            return group;
        }
        var (line, column) = Position(_pos);
        string? name = Name();
        if (name is null) throw Error("a literal, a character class, '.', '(' or a rule name", unexpected: true);
        return new RuleRefNode(name, line, column);
    }

    GrammarNode Postfix(GrammarNode item)
    {
        while (_pos < _text.Length)
        {
            char c = Peek();
            if (c == '?') { _pos++; item = new RepeatNode(item, 0, 1); }
            else if (c == '*') { _pos++; item = new RepeatNode(item, 0, null); }
            else if (c == '+') { _pos++; item = new RepeatNode(item, 1, null); }
            else if (c == '{') item = Braces(item);
            else return item;
        }
        return item;
    }

    GrammarNode Braces(GrammarNode item)
    {
        _pos++;
        SkipSpace(newlines: false);
        int min = Count();
        SkipSpace(newlines: false);
        int? max = min;
        if (Take(","))
        {
            SkipSpace(newlines: false);
            max = _pos < _text.Length && char.IsAsciiDigit(Peek()) ? Count() : null;
            SkipSpace(newlines: false);
        }
        if (!Take("}")) throw Error("'}' to close the repetition");
        if (max < min) throw Error($"a repetition {{{min},{max}}} whose maximum is at least its minimum", unexpected: false);
        return new RepeatNode(item, min, max);
    }

    int Count()
    {
        int start = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(Peek())) _pos++;
        if (_pos == start) throw Error("a number in the repetition");
        if (!int.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > MaxRepetition)
        {
            _pos = start;
            throw Error($"a repetition count of at most {MaxRepetition}");
        }
        return n;
    }

    LiteralNode Literal()
    {
        _pos++;
        var text = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || Peek() is '\n') throw Error("'\"' to close the string literal");
            char c = Peek();
            if (c == '"') { _pos++; break; }
            if (c == '\\') text.Append(char.ConvertFromUtf32(Escape()));
            else { text.Append(c); _pos++; }
        }
        return new LiteralNode(Encoding.UTF8.GetBytes(text.ToString()));
    }

    CharClassNode CharClass()
    {
        _pos++;
        bool negated = Take("^");
        var ranges = new List<(int, int)>();
        while (true)
        {
            if (_pos >= _text.Length || Peek() is '\n') throw Error("']' to close the character class");
            if (Peek() == ']') { _pos++; break; }
            int first = ClassChar();
            int last = first;
            if (_pos < _text.Length && Peek() == '-' && _pos + 1 < _text.Length && _text[_pos + 1] != ']')
            {
                _pos++;
                int at = _pos;
                last = ClassChar();
                if (last < first) { _pos = at; throw Error($"a range end at or after U+{first:X4}"); }
            }
            ranges.Add((first, last));
        }
        return new CharClassNode(ranges, negated);
    }

    int ClassChar()
    {
        if (Peek() == '\\') return Escape();
        int cp = char.ConvertToUtf32(_text, _pos);
        _pos += char.IsSurrogatePair(_text, _pos) ? 2 : 1;
        return cp;
    }

    /// <summary>\n \r \t \\ \" \' \[ \] \- \^ \xHH \uHHHH \UHHHHHHHH, as a code point.</summary>
    int Escape()
    {
        int at = _pos;
        _pos++;
        if (_pos >= _text.Length) throw Error("an escape after '\\'");
        char c = _text[_pos++];
        switch (c)
        {
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case '\\' or '"' or '\'' or '[' or ']' or '-' or '^' or '/': return c;
            case 'x': return Hex(2, at);
            case 'u': return Hex(4, at);
            case 'U': return Hex(8, at);
            default:
                _pos = at;
                throw Error($"a known escape (\\n \\r \\t \\\\ \\\" \\xHH \\uHHHH \\UHHHHHHHH), not '\\{c}'", unexpected: false);
        }
    }

    int Hex(int digits, int escapeStart)
    {
        if (_pos + digits > _text.Length
            || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int cp)
            || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF)
        {
            _pos = escapeStart;
            throw Error($"an escape with {digits} hex digits naming a Unicode scalar value", unexpected: false);
        }
        _pos += digits;
        return cp;
    }

    string? Name()
    {
        int start = _pos;
        while (_pos < _text.Length && IsNameChar(Peek())) _pos++;
        return _pos == start ? null : _text[start.._pos];
    }

    static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    char Peek() => _text[_pos];

    bool Take(string token)
    {
        if (string.CompareOrdinal(_text, _pos, token, 0, token.Length) != 0) return false;
        _pos += token.Length;
        return true;
    }

    void SkipSpace(bool newlines)
    {
        while (_pos < _text.Length)
        {
            char c = Peek();
            if (c == '#') { while (_pos < _text.Length && Peek() != '\n') _pos++; }
            else if (c is ' ' or '\t' || (newlines && c is '\n' or '\r')) _pos++;
            else break;
        }
    }

    (int Line, int Column) Position(int pos)
    {
        int line = 1, column = 1;
        for (int i = 0; i < pos && i < _text.Length; i++)
        {
            if (_text[i] == '\n') { line++; column = 1; }
            else column++;
        }
        return (line, column);
    }

    GrammarException Error(string expected, bool unexpected = true)
    {
        var (line, column) = Position(_pos);
        string found = _pos >= _text.Length ? "the end of the grammar" : $"'{_text[_pos]}'";
        return new GrammarException(unexpected
            ? $"Grammar error at line {line}, column {column}: expected {expected}, found {found}."
            : $"Grammar error at line {line}, column {column}: expected {expected}.");
    }
}
