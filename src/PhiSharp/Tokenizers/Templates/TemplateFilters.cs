namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// Filters (<c>value | name</c>, <c>value | name(args)</c>) and tests (<c>value is name</c>) with @huggingface/jinja's
/// behaviour. Beyond it, <c>default</c> without arguments is accepted (Python Jinja's meaning).
/// </summary>
internal static class TemplateFilters
{
    /// <summary>Applies the filter <paramref name="name"/>; <paramref name="args"/> is null when written without parentheses.</summary>
    public static TemplateValue Apply(string name, TemplateValue operand, IReadOnlyList<TemplateValue>? args)
    {
        var positional = args?.Where(a => a is not KeywordArguments).ToList() ?? [];
        var keywords = args?.OfType<KeywordArguments>().FirstOrDefault()?.Entries;
        TemplateValue? Arg(int i, string keyword) => i >= 0 && i < positional.Count ? positional[i] : keywords?.GetValueOrDefault(keyword);

        switch (name)
        {
            case "safe": return operand;
            case "tojson": return new StringValue(TemplateJson.Write(operand, JsonOptions(Arg(-1, "indent"), Arg(-1, "ensure_ascii"), Arg(-1, "sort_keys"), Arg(-1, "separators"))));
            case "default":
            {
                var fallback = Arg(0, "default_value") ?? new StringValue("");
                bool boolean = (Arg(1, "boolean") ?? BooleanValue.False) is BooleanValue b ? b.Value : throw Error("default()'s boolean flag must be a boolean");
                return operand is UndefinedValue || boolean && !operand.IsTrue ? fallback : operand;
            }
            case "int" or "float" when args is not null:
                return ToNumber(name, operand, Arg(0, "default"));
            case "join" when args is not null:
            {
                var separator = Arg(0, "separator") ?? new StringValue("");
                if (separator is not StringValue sep) throw Error("join()'s separator must be a string");
                return operand switch
                {
                    StringValue s => new StringValue(string.Join(sep.Value, s.Value.EnumerateRunes())),
                    ListValue list => new StringValue(string.Join(sep.Value, list.Items.Select(JoinText))),
                    _ => throw Error($"cannot join a {operand.TypeName}"),
                };
            }
        }

        switch (operand)
        {
            case ListValue list: return ListFilter(name, list, args, Arg);
            case StringValue s: return StringFilter(name, s, args, Arg);
            case IntegerValue or FloatValue when args is null:
                return name switch
                {
                    "abs" => operand is IntegerValue i ? new IntegerValue(Math.Abs(i.Value)) : new FloatValue(Math.Abs(((FloatValue)operand).Value)),
                    "int" or "float" => ToNumber(name, operand, null),
                    "string" => new StringValue(operand.ToString()),
                    _ => throw Unknown(name, operand),
                };
            case BooleanValue b when args is null:
                return name switch
                {
                    "bool" => b,
                    "int" => new IntegerValue(b.Value ? 1 : 0),
                    "float" => new FloatValue(b.Value ? 1 : 0),
                    "string" => new StringValue(b.Value ? "true" : "false"),
                    _ => throw Unknown(name, operand),
                };
            case MappingValue map and not NamespaceValue:
                if (args is null && name == "items") return TemplateBuiltins.Items(map);
                if (args is null && name == "length") return new IntegerValue(map.Entries.Count);
                if (TemplateBuiltins.Member(map, name) is FunctionValue method) return method.Invoke(args ?? []);
                throw Unknown(name, operand);
            default: throw Unknown(name, operand);
        }
    }

    static TemplateValue ListFilter(string name, ListValue list, IReadOnlyList<TemplateValue>? args, Func<int, string, TemplateValue?> arg)
    {
        var items = list.Items;
        switch (name)
        {
            case "list" when args is null: return list;
            case "first" when args is null: return items.Count > 0 ? items[0] : UndefinedValue.Instance;
            case "last" when args is null: return items.Count > 0 ? items[^1] : UndefinedValue.Instance;
            case "length" when args is null: return new IntegerValue(items.Count);
            case "reverse" when args is null: return new ListValue(Enumerable.Reverse(items).ToList());
            case "join" when args is null: return new StringValue(string.Concat(items.Select(JoinText)));
            case "string" when args is null: return new StringValue(TemplateJson.Write(list, TemplateJson.Options.Default, undefinedAsNull: false));
            case "unique" when args is null:
            {
                var unique = new List<TemplateValue>();
                foreach (var item in items)
                    if (!unique.Any(u => TemplateOperators.StrictEquals(u, item))) unique.Add(item);
                return new ListValue(unique);
            }
            case "sort":
            {
                bool reverse = Flag(arg(0, "reverse"), "reverse"), caseSensitive = Flag(arg(1, "case_sensitive"), "case_sensitive");
                var attribute = arg(2, "attribute");
                TemplateValue Key(TemplateValue item) => attribute switch
                {
                    null or NullValue => item,
                    StringValue a => Attribute(item, a.Value),
                    IntegerValue a => Attribute(item, a.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    _ => throw Error("sort()'s attribute must be a string or an integer"),
                };
                return new ListValue(items.Order(Comparer<TemplateValue>.Create((x, y) =>
                    (reverse ? -1 : 1) * TemplateOperators.Compare(Key(x), Key(y), caseSensitive))).ToList());
            }
            case "selectattr" or "rejectattr" when args is not null:
            {
                if (items.Any(i => i is not MappingValue)) throw Error($"{name} applies to a list of mappings");
                if (arg(0, "") is not StringValue attributeName) throw Error($"{name} takes an attribute name");
                string? test = arg(1, "") is StringValue t ? t.Value : null;
                var testArgument = arg(2, "");
                bool select = name == "selectattr";
                return new ListValue(items.Where(item =>
                {
                    var value = ((MappingValue)item).Entries.GetValueOrDefault(attributeName.Value);
                    bool passes = value is not null && (test is null ? value.IsTrue : Test(test, value, testArgument));
                    return passes == select;
                }).ToList());
            }
            case "map" when args is not null:
            {
                if (arg(-1, "attribute") is not StringValue attribute) throw Error("map() needs attribute=...");
                var fallback = arg(-1, "default");
                return new ListValue(items.Select(item => item is MappingValue
                    ? Attribute(item, attribute.Value) is UndefinedValue ? fallback ?? UndefinedValue.Instance : Attribute(item, attribute.Value)
                    : throw Error("map(attribute=...) applies to a list of mappings")).ToList());
            }
            default: throw Unknown(name, list);
        }
    }

    static TemplateValue StringFilter(string name, StringValue s, IReadOnlyList<TemplateValue>? args, Func<int, string, TemplateValue?> arg)
    {
        switch (name)
        {
            case "length" or "upper" or "lower" or "title" or "capitalize" when args is null:
                var member = TemplateBuiltins.Member(s, name)!;
                return member is FunctionValue f ? f.Invoke([]) : member;
            case "trim" when args is null: return new StringValue(TemplateText.Trim(s.Value));
            case "string" or "join" when args is null: return s;
            case "int" or "float" when args is null: return ToNumber(name, s, null);
            case "indent":
            {
                var width = arg(0, "width") ?? new IntegerValue(4);
                string indent = width switch
                {
                    StringValue w => w.Value,
                    IntegerValue w => new string(' ', (int)Math.Clamp(w.Value, 0, 1000)),
                    _ => throw Error("indent()'s width must be an integer or a string"),
                };
                bool first = (arg(1, "first") ?? BooleanValue.False).IsTrue, blank = (arg(2, "blank") ?? BooleanValue.False).IsTrue;
                var lines = s.Value.Split('\n');
                return new StringValue(string.Join("\n", lines.Select((line, i) => !first && i == 0 || !blank && line.Length == 0 ? line : indent + line)));
            }
            case "replace" when args is not null: return TemplateBuiltins.Replace(s.Value, args);
            default: throw Unknown(name, s);
        }
    }

    static bool Flag(TemplateValue? value, string name) => value switch
    {
        null => false,
        BooleanValue b => b.Value,
        _ => throw Error($"{name} must be a boolean"),
    };

    static TemplateJson.Options JsonOptions(TemplateValue? indent, TemplateValue? ensureAscii, TemplateValue? sortKeys, TemplateValue? separators)
    {
        int? width = indent switch
        {
            null or NullValue => null,
            IntegerValue i => (int)Math.Clamp(i.Value, 0, 100),
            _ => throw Error("tojson()'s indent must be an integer"),
        };
        string? item = null, key = null;
        if (separators is ListValue { Items: [StringValue itemText, StringValue keyText] }) (item, key) = (itemText.Value, keyText.Value);
        else if (separators is not (null or NullValue)) throw Error("tojson()'s separators must be two strings");
        return new TemplateJson.Options(width, Flag(ensureAscii, "ensure_ascii"), Flag(sortKeys, "sort_keys"), item, key);
    }

    static TemplateValue ToNumber(string name, TemplateValue operand, TemplateValue? fallback)
    {
        bool integer = name == "int";
        switch (operand)
        {
            case StringValue s:
                double? parsed = integer ? JsParseInt(s.Value) : JsParseFloat(s.Value);
                return parsed is double d ? integer ? new IntegerValue((long)d) : new FloatValue(d)
                    : fallback ?? (integer ? new IntegerValue(0) : new FloatValue(0));
            case IntegerValue or FloatValue:
                double x = operand is IntegerValue i ? i.Value : ((FloatValue)operand).Value;
                return integer ? new IntegerValue((long)Math.Truncate(x)) : new FloatValue(x);
            case BooleanValue b: return integer ? new IntegerValue(b.Value ? 1 : 0) : new FloatValue(b.Value ? 1 : 0);
            default: throw Error($"cannot apply {name} to a {operand.TypeName}");
        }
    }

    // JavaScript's parseInt(s, 10) / parseFloat(s): leading white space, a sign, then as many digits as there are.
    static double? JsParseInt(string s)
    {
        string t = TemplateText.TrimStart(s);
        int i = t.Length > 0 && t[0] is '+' or '-' ? 1 : 0, start = i;
        while (i < t.Length && char.IsAsciiDigit(t[i])) i++;
        return i > start && double.TryParse(t[..i], System.Globalization.CultureInfo.InvariantCulture, out double d) ? d : null;
    }

    static double? JsParseFloat(string s)
    {
        string t = TemplateText.TrimStart(s);
        for (int end = t.Length; end > 0; end--)
            if (double.TryParse(t[..end], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)) return d;
        return null;
    }

    /// <summary>An item's attribute by a dotted path (<c>function.name</c>; digits index lists).</summary>
    static TemplateValue Attribute(TemplateValue item, string path)
    {
        var value = item;
        foreach (string part in path.Split('.'))
            value = value switch
            {
                MappingValue map => map.Entries.GetValueOrDefault(part) ?? UndefinedValue.Instance,
                ListValue list when int.TryParse(part, out int i) && i >= 0 && i < list.Items.Count => list.Items[i],
                _ => UndefinedValue.Instance,
            };
        return value;
    }

    /// <summary>JavaScript's Array.join: none and undefined are empty, the rest printed as JavaScript prints them.</summary>
    static string JoinText(TemplateValue v) => v is NullValue or UndefinedValue ? "" : TemplateOperators.RawString(v);

    public static bool Test(string name, TemplateValue operand, TemplateValue? argument = null) => name switch
    {
        "defined" => operand is not UndefinedValue,
        "undefined" => operand is UndefinedValue,
        "none" => operand is NullValue,
        "boolean" => operand is BooleanValue,
        "true" => operand is BooleanValue { Value: true },
        "false" => operand is BooleanValue { Value: false },
        "string" => operand is StringValue,
        "number" => operand is IntegerValue or FloatValue,
        "integer" => operand is IntegerValue,
        "float" => operand is FloatValue,
        "iterable" => operand is ListValue or StringValue,
        "mapping" => operand is MappingValue and not NamespaceValue,
        "sequence" => operand is ListValue or StringValue or MappingValue and not NamespaceValue,
        "callable" => operand is FunctionValue,
        "odd" => operand is IntegerValue i ? i.Value % 2 != 0 : throw Error($"cannot test odd on a {operand.TypeName}"),
        "even" => operand is IntegerValue e ? e.Value % 2 == 0 : throw Error($"cannot test even on a {operand.TypeName}"),
        "lower" => operand is StringValue s && s.Value == s.Value.ToLowerInvariant(),
        "upper" => operand is StringValue u && u.Value == u.Value.ToUpperInvariant(),
        "equalto" or "eq" => argument is not null && TemplateOperators.StrictEquals(operand, argument),
        _ => throw Error($"unknown test '{name}'"),
    };

    static TemplateRuntimeException Unknown(string name, TemplateValue operand) =>
        new($"unknown filter '{name}' for a {operand.TypeName}");

    static TemplateRuntimeException Error(string message) => new(message);
}
