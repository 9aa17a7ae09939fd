using System.Text;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>Bounds on one rendering, so that a hostile or broken template fails with an error instead of running away.</summary>
internal sealed record RenderLimits(int MaxOutputChars = StringValue.MaxLength, int MaxSteps = 1_000_000, int MaxCallDepth = 64)
{
    public static readonly RenderLimits Default = new();
}

/// <summary>
/// Evaluates a parsed template. Every loop iteration and macro call is a step; steps, macro nesting and the output's
/// length are bounded (<see cref="RenderLimits"/>). Errors carry the position of the node that failed.
/// </summary>
internal sealed class TemplateInterpreter
{
    sealed class BreakSignal : Exception;
    sealed class ContinueSignal : Exception;

    readonly TemplateSource _source;
    readonly RenderLimits _limits;
    int _steps;
    int _callDepth;
    FunctionValue? _pendingCaller;

    public TemplateInterpreter(TemplateSource source, RenderLimits limits) => (_source, _limits) = (source, limits);

    public string Render(IReadOnlyList<Node> program, TemplateScope globals)
    {
        var output = new StringBuilder();
        RenderBlock(program, globals, output);
        return output.ToString();
    }

    void Append(StringBuilder output, string text, Node at)
    {
        if (output.Length + text.Length > _limits.MaxOutputChars)
            throw _source.Error(at.At, $"the output would exceed {_limits.MaxOutputChars} characters");
        output.Append(text);
    }

    void Step(Node at)
    {
        if (++_steps > _limits.MaxSteps) throw _source.Error(at.At, $"more than {_limits.MaxSteps} loop iterations and macro calls");
    }

    void RenderBlock(IReadOnlyList<Node> statements, TemplateScope scope, StringBuilder output)
    {
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case TextNode text: Append(output, text.Text, text); break;
                case CommentNode: break;
                case IfNode node: RenderBlock(Evaluate(node.Test, scope).IsTrue ? node.Body : node.Else, scope, output); break;
                case ForNode node: RenderFor(node, scope, output); break;
                case SetNode node: Guarded(node, () => ExecuteSet(node, scope)); break;
                case MacroNode node: DefineMacro(node, scope); break;
                case BreakNode: throw new BreakSignal();
                case ContinueNode: throw new ContinueSignal();
                case CallBlockNode node: Append(output, Guarded(node, () => CallBlock(node, scope)).ToString(), node); break;
                case FilterBlockNode node:
                {
                    var body = new StringBuilder();
                    RenderBlock(node.Body, scope, body);
                    Append(output, Guarded(node, () => ApplyFilter(new StringValue(body.ToString()), node.Filter, scope)).ToString(), node);
                    break;
                }
                case OutputNode node:
                {
                    var value = Evaluate(node.Expression, scope);
                    if (value is not (NullValue or UndefinedValue)) Append(output, value.ToString(), node);
                    break;
                }
                default: throw _source.Error(statement.At, "an expression cannot stand here");
            }
        }
    }

    /// <summary>Runs <paramref name="action"/>, giving an unpositioned runtime error the position of <paramref name="node"/>.</summary>
    T Guarded<T>(Node node, Func<T> action)
    {
        try { return action(); }
        catch (TemplateRuntimeException e) { throw _source.Error(node.At, e.Message); }
    }

    void Guarded(Node node, Action action) => Guarded(node, () => { action(); return 0; });

    void RenderFor(ForNode node, TemplateScope scope, StringBuilder output)
    {
        var loopScope = new TemplateScope(scope);
        var iterable = Evaluate(node.Iterable, loopScope);
        List<TemplateValue> candidates = iterable switch
        {
            ListValue list => list.Items,
            NamespaceValue => throw _source.Error(node.Iterable.At, "cannot loop over a namespace"),
            MappingValue map => map.Entries.Keys.Select(k => (TemplateValue)new StringValue(k)).ToList(),
            // Python Jinja loops over nothing; @huggingface/jinja fails. Templates test "is defined" inconsistently.
            UndefinedValue => [],
            _ => throw _source.Error(node.Iterable.At, $"cannot loop over a {iterable.TypeName}"),
        };
        var items = new List<TemplateValue>();
        foreach (var candidate in candidates)
        {
            if (node.Target is ListNode tuple && (candidate is not ListValue unpacked || unpacked.Items.Count != tuple.Items.Count))
                throw _source.Error(node.Target.At, "the loop item does not unpack into the loop variables");
            if (node.Filter is not null)
            {
                Step(node);
                var testScope = new TemplateScope(loopScope);
                Bind(node.Target, candidate, testScope);
                if (!Evaluate(node.Filter, testScope).IsTrue) continue;
            }
            items.Add(candidate);
        }

        bool iterated = false;
        for (int i = 0; i < items.Count; i++)
        {
            Step(node);
            loopScope.Set("loop", new MappingValue([
                ("index", new IntegerValue(i + 1)), ("index0", new IntegerValue(i)),
                ("revindex", new IntegerValue(items.Count - i)), ("revindex0", new IntegerValue(items.Count - i - 1)),
                ("first", BooleanValue.Of(i == 0)), ("last", BooleanValue.Of(i == items.Count - 1)),
                ("length", new IntegerValue(items.Count)),
                ("previtem", i > 0 ? items[i - 1] : UndefinedValue.Instance),
                ("nextitem", i < items.Count - 1 ? items[i + 1] : UndefinedValue.Instance),
            ]));
            Bind(node.Target, items[i], loopScope);
            try { RenderBlock(node.Body, loopScope, output); }
            catch (ContinueSignal) { continue; }
            catch (BreakSignal) { break; }
            iterated = true;
        }
        if (!iterated) RenderBlock(node.Else, loopScope, output);
    }

    static void Bind(Node target, TemplateValue value, TemplateScope scope)
    {
        if (target is NameNode name) { scope.Set(name.Name, value); return; }
        var names = ((ListNode)target).Items;
        var values = ((ListValue)value).Items;
        for (int i = 0; i < names.Count; i++)
            scope.Set(names[i] is NameNode n ? n.Name : throw new TemplateRuntimeException("loop variables must be names"), values[i]);
    }

    void ExecuteSet(SetNode node, TemplateScope scope)
    {
        TemplateValue value;
        if (node.Value is not null) value = Evaluate(node.Value, scope);
        else
        {
            var body = new StringBuilder();
            RenderBlock(node.Body, scope, body);
            value = new StringValue(body.ToString());
        }
        switch (node.Target)
        {
            case NameNode name: scope.Set(name.Name, value); break;
            case ListNode { IsTuple: true } tuple:
                if (value is not ListValue list) throw new TemplateRuntimeException($"cannot unpack a {value.TypeName}");
                if (list.Items.Count != tuple.Items.Count) throw new TemplateRuntimeException($"cannot unpack {list.Items.Count} values into {tuple.Items.Count} names");
                for (int i = 0; i < tuple.Items.Count; i++)
                    scope.Set(tuple.Items[i] is NameNode n ? n.Name : throw new TemplateRuntimeException("set can only unpack into names"), list.Items[i]);
                break;
            case MemberNode { Computed: false, Key: NameNode key } member:
                if (Evaluate(member.Target, scope) is not NamespaceValue ns) throw new TemplateRuntimeException("only a namespace() can have attributes set");
                ns.Entries[key.Name] = value;
                break;
            default: throw new TemplateRuntimeException("set assigns to a name, names, or a namespace attribute");
        }
    }

    void DefineMacro(MacroNode node, TemplateScope scope)
    {
        scope.Set(node.Name, new FunctionValue(node.Name, args =>
        {
            if (++_callDepth > _limits.MaxCallDepth) throw _source.Error(node.At, $"macro calls nested more than {_limits.MaxCallDepth} deep");
            Step(node);
            try
            {
                var macroScope = new TemplateScope(scope);
                macroScope.Set("caller", _pendingCaller ?? (TemplateValue)UndefinedValue.Instance);
                _pendingCaller = null;
                BindArguments(node.Name, node.Parameters, args, macroScope);
                var body = new StringBuilder();
                RenderBlock(node.Body, macroScope, body);
                return new StringValue(body.ToString());
            }
            finally { _callDepth--; }
        }));
    }

    void BindArguments(string name, IReadOnlyList<Node> parameters, IReadOnlyList<TemplateValue> args, TemplateScope scope)
    {
        var positional = args.Where(a => a is not KeywordArguments).ToList();
        var keywords = new Dictionary<string, TemplateValue>(args.OfType<KeywordArguments>().FirstOrDefault()?.Entries ?? [], StringComparer.Ordinal);
        var defaults = new List<(string, Node)>();
        for (int i = 0; i < parameters.Count; i++)
        {
            var (parameter, fallback) = parameters[i] switch
            {
                NameNode n => (n.Name, (Node?)null),
                KeywordArgumentNode k => (k.Name, k.Value),
                _ => throw new TemplateRuntimeException($"macro {name} has a malformed parameter"),
            };
            TemplateValue? value = i < positional.Count ? positional[i] : keywords.Remove(parameter, out var kw) ? kw : null;
            if (value is null && fallback is not null) defaults.Add((parameter, fallback));
            scope.Set(parameter, value ?? UndefinedValue.Instance);
        }
        scope.Set("varargs", new ListValue(positional.Skip(parameters.Count).ToList()));
        scope.Set("kwargs", new MappingValue(keywords.Select(k => (k.Key, k.Value))));
        foreach (var (parameter, fallback) in defaults) scope.Set(parameter, Evaluate(fallback, scope));
    }

    TemplateValue CallBlock(CallBlockNode node, TemplateScope scope)
    {
        var caller = new FunctionValue("caller", args =>
        {
            var callerScope = new TemplateScope(scope);
            BindArguments("caller", node.CallerParameters, args, callerScope);
            var body = new StringBuilder();
            RenderBlock(node.Body, callerScope, body);
            return new StringValue(body.ToString());
        });
        if (Evaluate(node.Call.Callee, scope) is not FunctionValue macro) throw new TemplateRuntimeException("call needs a macro");
        var args = EvaluateArguments(node.Call.Arguments, scope);
        _pendingCaller = caller;
        try { return macro.Invoke(args); }
        finally { _pendingCaller = null; }
    }

    public TemplateValue Evaluate(Node node, TemplateScope scope)
    {
        try { return EvaluateUnguarded(node, scope); }
        catch (TemplateRuntimeException e) { throw _source.Error(node.At, e.Message); }
    }

    TemplateValue EvaluateUnguarded(Node node, TemplateScope scope)
    {
        switch (node)
        {
            case LiteralNode literal: return literal.Value;
            case NameNode name: return scope.Lookup(name.Name);
            case ListNode list: return new ListValue(list.Items.Select(i => Evaluate(i, scope)).ToList(), list.IsTuple);
            case DictNode dict:
                return new MappingValue(dict.Entries.Select(e => Evaluate(e.Key, scope) is StringValue key
                    ? (key.Value, Evaluate(e.Value, scope)) : throw new TemplateRuntimeException("dictionary keys must be strings")).ToList());
            case BinaryNode { Operator: "and" } and:
                return Evaluate(and.Left, scope) is var l && l.IsTrue ? Evaluate(and.Right, scope) : l;
            case BinaryNode { Operator: "or" } or:
                return Evaluate(or.Left, scope) is var lo && lo.IsTrue ? lo : Evaluate(or.Right, scope);
            case BinaryNode binary: return TemplateOperators.Binary(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope));
            case UnaryNode { Operator: "not" } not: return BooleanValue.Of(!Evaluate(not.Operand, scope).IsTrue);
            case UnaryNode sign:
                return Evaluate(sign.Operand, scope) switch
                {
                    IntegerValue i => new IntegerValue(sign.Operator == "-" ? -i.Value : i.Value),
                    FloatValue f => new FloatValue(sign.Operator == "-" ? -f.Value : f.Value),
                    BooleanValue b => new IntegerValue((sign.Operator == "-" ? -1 : 1) * (b.Value ? 1 : 0)),
                    var other => throw new TemplateRuntimeException($"'{sign.Operator}' does not apply to a {other.TypeName}"),
                };
            case ConditionalNode c: return Evaluate(c.Test, scope).IsTrue ? Evaluate(c.WhenTrue, scope) : Evaluate(c.WhenFalse, scope);
            case SelectNode s: return Evaluate(s.Test, scope).IsTrue ? Evaluate(s.Value, scope) : UndefinedValue.Instance;
            case TestNode test:
                return BooleanValue.Of(TemplateFilters.Test(test.Test, Evaluate(test.Operand, scope)) != test.Negated);
            case FilterNode filter: return ApplyFilter(Evaluate(filter.Operand, scope), filter.Filter, scope);
            case MemberNode member: return EvaluateMember(member, scope);
            case CallNode call:
            {
                var args = EvaluateArguments(call.Arguments, scope);
                return Evaluate(call.Callee, scope) is FunctionValue function
                    ? function.Invoke(args)
                    : throw new TemplateRuntimeException("only a function or macro can be called");
            }
            default: throw new TemplateRuntimeException("a statement cannot stand inside an expression");
        }
    }

    List<TemplateValue> EvaluateArguments(IReadOnlyList<Node> arguments, TemplateScope scope)
    {
        var values = arguments.Where(a => a is not KeywordArgumentNode).Select(a => Evaluate(a, scope)).ToList();
        var keywords = arguments.OfType<KeywordArgumentNode>().ToList();
        if (keywords.Count > 0)
        {
            var entries = new List<(string, TemplateValue)>();
            foreach (var k in keywords)
            {
                if (entries.Any(e => e.Item1 == k.Name)) throw new TemplateRuntimeException($"the keyword argument '{k.Name}' is given twice");
                entries.Add((k.Name, Evaluate(k.Value, scope)));
            }
            values.Add(new KeywordArguments(entries));
        }
        return values;
    }

    TemplateValue ApplyFilter(TemplateValue operand, Node filter, TemplateScope scope) => filter switch
    {
        NameNode name => TemplateFilters.Apply(name.Name, operand, null),
        CallNode { Callee: NameNode name } call => TemplateFilters.Apply(name.Name, operand, EvaluateArguments(call.Arguments, scope)),
        _ => throw new TemplateRuntimeException("a filter must be a name"),
    };

    TemplateValue EvaluateMember(MemberNode member, TemplateScope scope)
    {
        var target = Evaluate(member.Target, scope);
        if (member.Key is SliceNode slice) return Slice(target, slice, scope);
        var key = member.Computed ? Evaluate(member.Key, scope)
            : member.Key is NameNode name ? new StringValue(name.Name) : ((LiteralNode)member.Key).Value;
        TemplateValue? value = target switch
        {
            MappingValue map => key is StringValue k
                ? map.Entries.GetValueOrDefault(k.Value) ?? TemplateBuiltins.Member(map, k.Value)
                : throw new TemplateRuntimeException($"a mapping's keys are strings, not a {key.TypeName}"),
            ListValue or StringValue => key switch
            {
                IntegerValue index => Index(target, index.Value),
                StringValue k => TemplateBuiltins.Member(target, k.Value),
                _ => throw new TemplateRuntimeException($"cannot index a {target.TypeName} with a {key.TypeName}"),
            },
            _ => key is StringValue ? null : throw new TemplateRuntimeException($"cannot index a {target.TypeName} with a {key.TypeName}"),
        };
        return value ?? UndefinedValue.Instance;
    }

    /// <summary>JavaScript's <c>.at(i)</c>: negative counts from the end; strings by UTF-16 unit.</summary>
    static TemplateValue? Index(TemplateValue target, long index)
    {
        int count = target is ListValue l ? l.Items.Count : ((StringValue)target).Value.Length;
        long i = index < 0 ? count + index : index;
        if (i < 0 || i >= count) return null;
        return target is ListValue list ? list.Items[(int)i] : new StringValue(((StringValue)target).Value[(int)i].ToString());
    }

    TemplateValue Slice(TemplateValue target, SliceNode slice, TemplateScope scope)
    {
        long? Bound(Node? n) => n is null ? null : Evaluate(n, scope) switch
        {
            IntegerValue i => i.Value,
            UndefinedValue => null,
            _ => throw new TemplateRuntimeException("slice bounds must be integers"),
        };
        long? start = Bound(slice.Start), stop = Bound(slice.Stop), step = Bound(slice.Step);
        if (step == 0) throw new TemplateRuntimeException("a slice step cannot be zero");
        // Strings slice by code point, as @huggingface/jinja does (Array.from).
        var items = target switch
        {
            ListValue list => list.Items,
            StringValue s => s.Value.EnumerateRunes().Select(r => (TemplateValue)new StringValue(r.ToString())).ToList(),
            _ => throw new TemplateRuntimeException($"cannot slice a {target.TypeName}"),
        };
        var picked = new List<TemplateValue>();
        long n = items.Count, st = step ?? 1;
        if (st > 0)
        {
            long a = start is long s1 ? s1 < 0 ? Math.Max(n + s1, 0) : Math.Min(s1, n) : 0;
            long b = stop is long e1 ? e1 < 0 ? Math.Max(n + e1, 0) : Math.Min(e1, n) : n;
            for (long i = a; i < b; i += st) picked.Add(items[(int)i]);
        }
        else
        {
            long a = start is long s2 ? s2 < 0 ? Math.Max(n + s2, -1) : Math.Min(s2, n - 1) : n - 1;
            long b = stop is long e2 ? e2 < -1 ? Math.Max(n + e2, -1) : Math.Min(e2, n - 1) : -1;
            for (long i = a; i > b; i += st) picked.Add(items[(int)i]);
        }
        return target is StringValue ? new StringValue(string.Concat(picked.Select(p => ((StringValue)p).Value))) : new ListValue(picked);
    }
}
