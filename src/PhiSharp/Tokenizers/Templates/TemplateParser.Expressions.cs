using System.Globalization;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// Expressions, with @huggingface/jinja's precedence (lowest first): conditional <c>a if b else c</c>, <c>or</c>,
/// <c>and</c>, <c>not</c>, comparisons and <c>in</c>, <c>+ - ~</c>, <c>* / // %</c>, <c>**</c>, <c>is</c> tests,
/// <c>|</c> filters, unary signs, then calls, members and literals.
/// </summary>
internal sealed partial class TemplateParser
{
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
