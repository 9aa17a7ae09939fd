namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// Parses tokens into a syntax tree with @huggingface/jinja's grammar: the statements here, expressions in
/// TemplateParser.Expressions.cs.
/// </summary>
internal sealed partial class TemplateParser
{
    /// <summary>Nesting deeper than this (brackets, blocks) is refused rather than risking the stack.</summary>
    const int MaxDepth = 200;

    readonly TemplateSource _source;
    readonly List<Token> _tokens;
    int _current;
    int _depth;

    TemplateParser(TemplateSource source, List<Token> tokens) => (_source, _tokens) = (source, tokens);

    public static IReadOnlyList<Node> Parse(TemplateSource source)
    {
        var parser = new TemplateParser(source, TemplateLexer.Tokenize(source));
        var body = new List<Node>();
        while (parser._current < parser._tokens.Count) body.Add(parser.ParseAny());
        return body;
    }

    Token Peek => _current < _tokens.Count ? _tokens[_current] : throw Error("the template ends too early (a tag or block is not closed)");

    TemplateException Error(string message) =>
        _source.Error(_current < _tokens.Count ? _tokens[_current].At : _source.Text.Length, message);

    bool Is(TokenKind kind) => _current < _tokens.Count && _tokens[_current].Kind == kind;

    bool IsName(string name, int ahead = 0) =>
        _current + ahead < _tokens.Count && _tokens[_current + ahead] is { Kind: TokenKind.Identifier } t && t.Value == name;

    bool IsStatement(params string[] names) =>
        Is(TokenKind.OpenStatement) && _current + 1 < _tokens.Count && _tokens[_current + 1].Kind == TokenKind.Identifier
        && names.Contains(_tokens[_current + 1].Value);

    Token Expect(TokenKind kind, string what)
    {
        var token = Peek;
        if (token.Kind != kind) throw Error($"expected {what}, found {Describe(token)}");
        _current++;
        return token;
    }

    void ExpectName(string name)
    {
        if (!IsName(name)) throw Error($"expected '{name}', found {Describe(Peek)}");
        _current++;
    }

    static string Describe(Token t) => t.Kind == TokenKind.Text ? "text" : $"'{t.Value}'";

    void Enter()
    {
        if (++_depth > MaxDepth) throw Error($"nesting deeper than {MaxDepth} levels");
    }

    /// <summary>Statements up to (not including) one of the closing tags <paramref name="enders"/>.</summary>
    List<Node> ParseUntil(params string[] enders)
    {
        var body = new List<Node>();
        while (!IsStatement(enders))
        {
            if (_current >= _tokens.Count) throw Error($"missing {{% {enders[^1]} %}}");
            body.Add(ParseAny());
        }
        return body;
    }

    void ExpectEndTag(string name)
    {
        Expect(TokenKind.OpenStatement, "'{%'");
        ExpectName(name);
        Expect(TokenKind.CloseStatement, "'%}'");
    }

    Node ParseAny()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Comment: _current++; return new CommentNode(token.At);
            case TokenKind.Text: _current++; return new TextNode(token.Value, token.At);
            case TokenKind.OpenStatement: return ParseStatement();
            case TokenKind.OpenExpression:
                _current++;
                var expression = ParseExpression();
                Expect(TokenKind.CloseExpression, "'}}'");
                return new OutputNode(expression, token.At);
            default: throw Error($"unexpected {Describe(token)}");
        }
    }

    Node ParseStatement()
    {
        Enter();
        var open = Expect(TokenKind.OpenStatement, "'{%'");
        var name = Peek;
        if (name.Kind != TokenKind.Identifier) throw Error($"expected a statement name after '{{%', found {Describe(name)}");
        _current++;
        Node result;
        switch (name.Value)
        {
            case "set": result = ParseSet(open.At); break;
            case "if": result = ParseIf(open.At); ExpectEndTag("endif"); break;
            case "for": result = ParseFor(open.At); ExpectEndTag("endfor"); break;
            case "macro": result = ParseMacro(open.At); ExpectEndTag("endmacro"); break;
            case "call":
            {
                var callerParameters = Is(TokenKind.OpenParen) ? ParseArguments(parameters: true) : [];
                var callee = ParsePrimary();
                if (callee is not NameNode) throw Error("expected a macro name after 'call'");
                var call = new CallNode(callee, ParseArguments(parameters: false), callee.At);
                Expect(TokenKind.CloseStatement, "'%}'");
                var body = ParseUntil("endcall");
                ExpectEndTag("endcall");
                result = new CallBlockNode(call, callerParameters, body, open.At);
                break;
            }
            case "filter":
            {
                Node filter = ParsePrimary();
                if (filter is NameNode && Is(TokenKind.OpenParen)) filter = ParseCall(filter);
                Expect(TokenKind.CloseStatement, "'%}'");
                var body = ParseUntil("endfilter");
                ExpectEndTag("endfilter");
                result = new FilterBlockNode(filter, body, open.At);
                break;
            }
            case "break": Expect(TokenKind.CloseStatement, "'%}'"); result = new BreakNode(open.At); break;
            case "continue": Expect(TokenKind.CloseStatement, "'%}'"); result = new ContinueNode(open.At); break;
            default:
                _current--;
                throw Error($"unknown statement '{name.Value}'");
        }
        _depth--;
        return result;
    }

    Node ParseSet(int at)
    {
        var target = ParseSequence(primary: false);
        if (Is(TokenKind.Equals))
        {
            _current++;
            var value = ParseSequence(primary: false);
            Expect(TokenKind.CloseStatement, "'%}'");
            return new SetNode(target, value, [], at);
        }
        Expect(TokenKind.CloseStatement, "'%}'");
        var body = ParseUntil("endset");
        ExpectEndTag("endset");
        return new SetNode(target, null, body, at);
    }

    Node ParseIf(int at)
    {
        var test = ParseExpression();
        Expect(TokenKind.CloseStatement, "'%}'");
        var body = ParseUntil("elif", "else", "endif");
        var alternate = new List<Node>();
        if (IsStatement("elif"))
        {
            int elifAt = Peek.At;
            _current += 2;
            alternate.Add(ParseIf(elifAt));
        }
        else if (IsStatement("else"))
        {
            _current += 2;
            Expect(TokenKind.CloseStatement, "'%}'");
            alternate.AddRange(ParseUntil("endif"));
        }
        return new IfNode(test, body, alternate, at);
    }

    Node ParseFor(int at)
    {
        var target = ParseSequence(primary: true);
        if (target is not (NameNode or ListNode { IsTuple: true })) throw Error("expected a name or names for the loop variable");
        if (!IsName("in")) throw Error("expected 'in' after the loop variable");
        _current++;
        var iterable = ParseExpression();
        Node? filter = null;
        if (iterable is SelectNode select) (iterable, filter) = (select.Value, select.Test);
        Expect(TokenKind.CloseStatement, "'%}'");
        var body = ParseUntil("endfor", "else");
        var otherwise = new List<Node>();
        if (IsStatement("else"))
        {
            _current += 2;
            Expect(TokenKind.CloseStatement, "'%}'");
            otherwise.AddRange(ParseUntil("endfor"));
        }
        return new ForNode(target, iterable, filter, body, otherwise, at);
    }

    Node ParseMacro(int at)
    {
        var name = ParsePrimary();
        if (name is not NameNode macroName) throw Error("expected a macro name");
        var parameters = ParseArguments(parameters: true);
        Expect(TokenKind.CloseStatement, "'%}'");
        return new MacroNode(macroName.Name, parameters, ParseUntil("endmacro"), at);
    }

    Node ParseSequence(bool primary)
    {
        int at = Peek.At;
        var first = primary ? ParsePrimary() : ParseExpression();
        if (!Is(TokenKind.Comma)) return first;
        var items = new List<Node> { first };
        while (Is(TokenKind.Comma))
        {
            _current++;
            items.Add(primary ? ParsePrimary() : ParseExpression());
        }
        return new ListNode(items, IsTuple: true, at);
    }
}
