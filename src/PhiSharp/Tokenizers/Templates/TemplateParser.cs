using System.Globalization;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// Parses tokens into a syntax tree with @huggingface/jinja's grammar and precedence (lowest first): conditional
/// <c>a if b else c</c>, <c>or</c>, <c>and</c>, <c>not</c>, comparisons and <c>in</c>, <c>+ - ~</c>, <c>* / // %</c>,
/// <c>**</c>, <c>is</c> tests, <c>|</c> filters, unary signs, then calls, members and literals.
/// </summary>
internal sealed class TemplateParser
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

    Node ParseExpression()
    {
        Enter();
        var a = ParseOr();
        if (IsName("if"))
        {
            _current++;
            var test = ParseOr();
            if (IsName("else"))
            {
                _current++;
                var otherwise = ParseExpression();
                a = new ConditionalNode(test, a, otherwise, a.At);
            }
            else a = new SelectNode(a, test, a.At);
        }
        _depth--;
        return a;
    }

    Node ParseOr()
    {
        var left = ParseAnd();
        while (IsName("or")) { int at = Peek.At; _current++; left = new BinaryNode("or", left, ParseAnd(), at); }
        return left;
    }

    Node ParseAnd()
    {
        var left = ParseNot();
        while (IsName("and")) { int at = Peek.At; _current++; left = new BinaryNode("and", left, ParseNot(), at); }
        return left;
    }

    Node ParseNot()
    {
        if (!IsName("not")) return ParseComparison();
        int at = Peek.At;
        _current++;
        Enter();
        var operand = ParseNot();
        _depth--;
        return new UnaryNode("not", operand, at);
    }

    Node ParseComparison()
    {
        var left = ParseAdditive();
        while (true)
        {
            string op;
            int at = _current < _tokens.Count ? _tokens[_current].At : 0;
            if (IsName("not") && IsName("in", 1)) { op = "not in"; _current += 2; }
            else if (IsName("in")) { op = "in"; _current++; }
            else if (Is(TokenKind.Comparison)) op = _tokens[_current++].Value;
            else return left;
            left = new BinaryNode(op, left, ParseAdditive(), at);
        }
    }

    Node ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Is(TokenKind.Additive)) { var op = _tokens[_current++]; left = new BinaryNode(op.Value, left, ParseMultiplicative(), op.At); }
        return left;
    }

    Node ParseMultiplicative()
    {
        var left = ParsePower();
        while (Is(TokenKind.Multiplicative)) { var op = _tokens[_current++]; left = new BinaryNode(op.Value, left, ParsePower(), op.At); }
        return left;
    }

    Node ParsePower()
    {
        var left = ParseTest();
        while (Is(TokenKind.Power)) { var op = _tokens[_current++]; left = new BinaryNode("**", left, ParseTest(), op.At); }
        return left;
    }

    Node ParseTest()
    {
        var operand = ParseFilter();
        while (IsName("is"))
        {
            int at = Peek.At;
            _current++;
            bool negated = IsName("not");
            if (negated) _current++;
            if (ParsePrimary() is not NameNode test) throw Error("expected a test name after 'is'");
            operand = new TestNode(operand, negated, test.Name, at);
        }
        return operand;
    }

    Node ParseFilter()
    {
        var operand = ParseUnarySign();
        while (Is(TokenKind.Pipe))
        {
            int at = Peek.At;
            _current++;
            Node filter = ParsePrimary();
            if (filter is not NameNode) throw Error("expected a filter name after '|'");
            if (Is(TokenKind.OpenParen)) filter = ParseCall(filter);
            operand = new FilterNode(operand, filter, at);
        }
        return operand;
    }

    Node ParseUnarySign()
    {
        if (_current < _tokens.Count && _tokens[_current] is { Kind: TokenKind.UnarySign or TokenKind.Additive, Value: "-" or "+" } sign)
        {
            _current++;
            Enter();
            var operand = ParseUnarySign();
            _depth--;
            return new UnaryNode(sign.Value, operand, sign.At);
        }
        var member = ParseMember(ParsePrimary());
        return Is(TokenKind.OpenParen) ? ParseCall(member) : member;
    }

    Node ParseCall(Node callee)
    {
        Node expression = new CallNode(callee, ParseArguments(parameters: false), callee.At);
        expression = ParseMember(expression);
        return Is(TokenKind.OpenParen) ? ParseCall(expression) : expression;
    }

    /// <summary>A parenthesised argument list; with <paramref name="parameters"/> a macro's parameter list (names, defaults).</summary>
    List<Node> ParseArguments(bool parameters)
    {
        Expect(TokenKind.OpenParen, "'('");
        var arguments = new List<Node>();
        bool sawKeyword = false;
        while (!Is(TokenKind.CloseParen))
        {
            if (Is(TokenKind.Power) || Is(TokenKind.Multiplicative) && Peek.Value == "*")
                throw Error("argument unpacking (* and **) is not supported");
            var argument = ParseExpression();
            if (Is(TokenKind.Equals))
            {
                _current++;
                if (argument is not NameNode name) throw Error(parameters ? "expected a parameter name" : "expected a keyword argument name");
                argument = new KeywordArgumentNode(name.Name, ParseExpression(), name.At);
                sawKeyword = true;
            }
            else if (parameters && argument is not NameNode) throw Error("expected a parameter name");
            else if (sawKeyword) throw Error(parameters ? "a parameter without a default follows one with a default" : "a positional argument follows a keyword argument");
            arguments.Add(argument);
            if (Is(TokenKind.Comma)) _current++;
            else if (!Is(TokenKind.CloseParen)) throw Error($"expected ',' or ')', found {Describe(Peek)}");
        }
        _current++;
        return arguments;
    }

    Node ParseMember(Node target)
    {
        while (Is(TokenKind.Dot) || Is(TokenKind.OpenBracket))
        {
            var op = _tokens[_current++];
            if (op.Kind == TokenKind.OpenBracket)
            {
                var key = ParseSubscript(op.At);
                Expect(TokenKind.CloseBracket, "']'");
                target = new MemberNode(target, key, Computed: true, op.At);
            }
            else
            {
                var key = ParsePrimary();
                if (key is not (NameNode or LiteralNode { Value: IntegerValue })) throw Error("expected a name or an integer after '.'");
                target = new MemberNode(target, key, Computed: false, op.At);
            }
        }
        return target;
    }

    Node ParseSubscript(int at)
    {
        var parts = new List<Node?>();
        bool isSlice = false;
        while (!Is(TokenKind.CloseBracket))
        {
            if (_current >= _tokens.Count) throw Error("expected ']'");
            if (Is(TokenKind.Colon)) { parts.Add(null); _current++; isSlice = true; }
            else
            {
                parts.Add(ParseExpression());
                if (Is(TokenKind.Colon)) { _current++; isSlice = true; }
            }
        }
        if (parts.Count == 0) throw Error("expected an index or a slice inside '[]'");
        if (!isSlice) return parts[0]!;
        if (parts.Count > 3) throw Error("a slice has at most three parts");
        return new SliceNode(parts[0], parts.Count > 1 ? parts[1] : null, parts.Count > 2 ? parts[2] : null, at);
    }

    Node ParsePrimary()
    {
        var token = Peek;
        _current++;
        switch (token.Kind)
        {
            case TokenKind.Number:
                return token.Value.Contains('.')
                    ? new LiteralNode(new FloatValue(double.Parse(token.Value, CultureInfo.InvariantCulture)), token.At)
                    : new LiteralNode(new IntegerValue(long.TryParse(token.Value, CultureInfo.InvariantCulture, out long n) ? n
                        : throw _source.Error(token.At, $"the integer {token.Value} is too large")), token.At);
            case TokenKind.String:
            {
                string value = token.Value;
                while (Is(TokenKind.String)) value += _tokens[_current++].Value;
                return new LiteralNode(new StringValue(value), token.At);
            }
            case TokenKind.Identifier:
                return new NameNode(token.Value, token.At);
            case TokenKind.OpenParen:
            {
                Enter();
                var expression = ParseSequence(primary: false);
                Expect(TokenKind.CloseParen, "')'");
                _depth--;
                return expression;
            }
            case TokenKind.OpenBracket:
            {
                Enter();
                var items = new List<Node>();
                while (!Is(TokenKind.CloseBracket))
                {
                    items.Add(ParseExpression());
                    if (Is(TokenKind.Comma)) _current++;
                    else if (!Is(TokenKind.CloseBracket)) throw Error($"expected ',' or ']', found {Describe(Peek)}");
                }
                _current++;
                _depth--;
                return new ListNode(items, IsTuple: false, token.At);
            }
            case TokenKind.OpenBrace:
            {
                Enter();
                var entries = new List<(Node, Node)>();
                while (!Is(TokenKind.CloseBrace))
                {
                    var key = ParseExpression();
                    Expect(TokenKind.Colon, "':' between a key and its value");
                    entries.Add((key, ParseExpression()));
                    if (Is(TokenKind.Comma)) _current++;
                    else if (!Is(TokenKind.CloseBrace)) throw Error($"expected ',' or '}}', found {Describe(Peek)}");
                }
                _current++;
                _depth--;
                return new DictNode(entries, token.At);
            }
            default:
                _current--;
                throw Error($"unexpected {Describe(token)}");
        }
    }
}
