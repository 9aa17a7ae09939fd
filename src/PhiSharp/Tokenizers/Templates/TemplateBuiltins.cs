using System.Text;
using System.Text.RegularExpressions;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// The globals a template can call (<c>namespace</c>, <c>range</c>, <c>raise_exception</c>, <c>strftime_now</c>) and
/// the methods of strings and mappings (<c>.strip()</c>, <c>.split()</c>, <c>.get()</c>, <c>.items()</c>, ...), with
/// @huggingface/jinja's behaviour.
/// </summary>
internal static partial class TemplateBuiltins
{
    public static void AddGlobals(TemplateScope scope, int maxRange)
    {
        scope.Set("true", BooleanValue.True);
        scope.Set("false", BooleanValue.False);
        scope.Set("none", NullValue.Instance);
        scope.Set("True", BooleanValue.True);
        scope.Set("False", BooleanValue.False);
        scope.Set("None", NullValue.Instance);
        scope.Set("namespace", new FunctionValue("namespace", Namespace));
        scope.Set("range", new FunctionValue("range", args => Range(args, maxRange)));
        scope.Set("raise_exception", new FunctionValue("raise_exception", args =>
            throw new TemplateRuntimeException($"the template raised an exception: {(args.Count > 0 ? args[0].ToString() : "")}")));
        scope.Set("strftime_now", new FunctionValue("strftime_now", args =>
            new StringValue(Strftime(DateTime.Now, args.Count > 0 && args[0] is StringValue f ? f.Value
                : throw new TemplateRuntimeException("strftime_now() takes a format string")))));
    }

    static TemplateValue Namespace(IReadOnlyList<TemplateValue> args)
    {
        var entries = new List<(string, TemplateValue)>();
        foreach (var arg in args)
        {
            if (arg is MappingValue map) entries.AddRange(map.Entries.Select(e => (e.Key, e.Value)));
            else throw new TemplateRuntimeException($"namespace() takes keyword arguments or a mapping, not a {arg.TypeName}");
        }
        return new NamespaceValue(entries);
    }

    static TemplateValue Range(IReadOnlyList<TemplateValue> args, int maxRange)
    {
        long[] n = args.Select(a => a is IntegerValue i ? i.Value : throw new TemplateRuntimeException("range() takes integers")).ToArray();
        var (start, stop, step) = n.Length switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new TemplateRuntimeException("range() takes 1 to 3 integers"),
        };
        if (step == 0) throw new TemplateRuntimeException("range() step must not be zero");
        var items = new List<TemplateValue>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (items.Count >= maxRange) throw new TemplateRuntimeException($"range() of more than {maxRange} numbers");
            items.Add(new IntegerValue(i));
        }
        return new ListValue(items);
    }

    static string Strftime(DateTime now, string format) => StrftimeToken().Replace(format, m => m.Value switch
    {
        "%Y" => now.Year.ToString("D4"),
        "%m" => now.Month.ToString("D2"),
        "%d" => now.Day.ToString("D2"),
        "%b" => now.ToString("MMM", System.Globalization.CultureInfo.InvariantCulture),
        "%B" => now.ToString("MMMM", System.Globalization.CultureInfo.InvariantCulture),
        "%H" => now.Hour.ToString("D2"),
        "%M" => now.Minute.ToString("D2"),
        _ => "%",
    });

    [GeneratedRegex("%[YmdbBHM%]")]
    private static partial Regex StrftimeToken();

    /// <summary>The method or property <paramref name="name"/> of a string, list or mapping; null when there is none.</summary>
    public static TemplateValue? Member(TemplateValue target, string name) => target switch
    {
        StringValue s => StringMember(s.Value, name),
        ListValue list => name == "length" ? new IntegerValue(list.Items.Count) : null,
        NamespaceValue => null,
        MappingValue map => MappingMember(map, name),
        _ => null,
    };

    static TemplateValue? StringMember(string s, string name)
    {
        FunctionValue Method(Func<IReadOnlyList<TemplateValue>, TemplateValue> f) => new(name, f);
        return name switch
        {
            "length" => new IntegerValue(s.Length),
            "upper" => Method(_ => new StringValue(s.ToUpperInvariant())),
            "lower" => Method(_ => new StringValue(s.ToLowerInvariant())),
            "strip" => Method(_ => new StringValue(TemplateText.Trim(s))),
            "lstrip" => Method(_ => new StringValue(TemplateText.TrimStart(s))),
            "rstrip" => Method(_ => new StringValue(TemplateText.TrimEnd(s))),
            "title" => Method(_ => new StringValue(Title(s))),
            "capitalize" => Method(_ => new StringValue(s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..])),
            "startswith" => Method(args => BooleanValue.Of(Affixes(args, "startswith").Any(p => s.StartsWith(p, StringComparison.Ordinal)))),
            "endswith" => Method(args => BooleanValue.Of(Affixes(args, "endswith").Any(p => s.EndsWith(p, StringComparison.Ordinal)))),
            "split" => Method(args => Split(s, args)),
            "replace" => Method(args => Replace(s, args)),
            _ => null,
        };
    }

    /// <summary>JavaScript's <c>\b\w</c> upper-cased: the first letter or digit of each ASCII word.</summary>
    static string Title(string s)
    {
        var text = new StringBuilder(s);
        for (int i = 0; i < s.Length; i++)
            if (IsWordChar(s[i]) && (i == 0 || !IsWordChar(s[i - 1]))) text[i] = char.ToUpperInvariant(s[i]);
        return text.ToString();
    }

    static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    static IEnumerable<string> Affixes(IReadOnlyList<TemplateValue> args, string method) => args.Count == 0
        ? throw new TemplateRuntimeException($"{method}() takes a string or a tuple of strings")
        : args[0] switch
        {
            StringValue p => [p.Value],
            ListValue list => list.Items.Select(i => i is StringValue p ? p.Value : throw new TemplateRuntimeException($"{method}() tuple elements must be strings")),
            _ => throw new TemplateRuntimeException($"{method}() takes a string or a tuple of strings"),
        };

    // Python's str.split(sep=None, maxsplit=-1).
    static TemplateValue Split(string s, IReadOnlyList<TemplateValue> args)
    {
        var separator = args.Count > 0 ? args[0] : NullValue.Instance;
        long maxSplit = args.Count > 1 ? args[1] is IntegerValue m ? m.Value : throw new TemplateRuntimeException("split() maxsplit must be an integer") : -1;
        var parts = new List<string>();
        if (separator is NullValue)
        {
            string text = TemplateText.TrimStart(s);
            int i = 0;
            while (i < text.Length)
            {
                int start = i;
                while (i < text.Length && !TemplateText.IsWhitespace(text[i])) i++;
                if (maxSplit >= 0 && parts.Count >= maxSplit) { parts.Add(text[start..]); break; }
                parts.Add(text[start..i]);
                while (i < text.Length && TemplateText.IsWhitespace(text[i])) i++;
            }
        }
        else if (separator is StringValue sep)
        {
            if (sep.Value.Length == 0) throw new TemplateRuntimeException("split() separator is empty");
            parts.AddRange(s.Split(sep.Value));
            if (maxSplit >= 0 && parts.Count > maxSplit)
            {
                string rest = string.Join(sep.Value, parts.Skip((int)maxSplit));
                parts.RemoveRange((int)maxSplit, parts.Count - (int)maxSplit);
                parts.Add(rest);
            }
        }
        else throw new TemplateRuntimeException("split() separator must be a string or none");
        return new ListValue(parts.Select(p => (TemplateValue)new StringValue(p)).ToList());
    }

    public static TemplateValue Replace(string s, IReadOnlyList<TemplateValue> args)
    {
        if (args.Count < 2 || args[0] is not StringValue old || args[1] is not StringValue replacement)
            throw new TemplateRuntimeException("replace() takes two strings");
        var countArg = args.Count > 2 ? args[2] is KeywordArguments k ? k.Entries.GetValueOrDefault("count") ?? NullValue.Instance : args[2] : NullValue.Instance;
        long count = countArg switch
        {
            IntegerValue c => c.Value < 0 ? long.MaxValue : c.Value,
            NullValue => long.MaxValue,
            _ => throw new TemplateRuntimeException("replace() count must be an integer"),
        };
        if (count == 0) return new StringValue(s);
        var text = new StringBuilder();
        if (old.Value.Length == 0)
        {
            // Python inserts the replacement between every character and at both ends.
            var points = s.EnumerateRunes().Select(r => r.ToString()).ToList();
            for (int p = 0; p <= points.Count; p++)
            {
                if (p < count) text.Append(replacement.Value);
                if (p < points.Count) text.Append(points[p]);
            }
            return new StringValue(text.ToString());
        }
        int at = 0;
        long done = 0;
        while (done < count)
        {
            int next = s.IndexOf(old.Value, at, StringComparison.Ordinal);
            if (next < 0) break;
            text.Append(s, at, next - at).Append(replacement.Value);
            at = next + old.Value.Length;
            done++;
        }
        return new StringValue(text.Append(s, at, s.Length - at).ToString());
    }

    static TemplateValue? MappingMember(MappingValue map, string name)
    {
        FunctionValue Method(Func<IReadOnlyList<TemplateValue>, TemplateValue> f) => new(name, f);
        return name switch
        {
            "get" => Method(args => args.Count > 0 && args[0] is StringValue key
                ? map.Entries.GetValueOrDefault(key.Value) ?? (args.Count > 1 ? args[1] : NullValue.Instance)
                : throw new TemplateRuntimeException("get() takes a string key")),
            "items" => Method(_ => Items(map)),
            "keys" => Method(_ => new ListValue(map.Entries.Keys.Select(k => (TemplateValue)new StringValue(k)).ToList())),
            "values" => Method(_ => new ListValue(map.Entries.Values.ToList())),
            "dictsort" => Method(args => DictSort(map, args)),
            _ => null,
        };
    }

    public static ListValue Items(MappingValue map) =>
        new(map.Entries.Select(e => (TemplateValue)new ListValue([new StringValue(e.Key), e.Value])).ToList());

    static TemplateValue DictSort(MappingValue map, IReadOnlyList<TemplateValue> args)
    {
        var keywords = args.OfType<KeywordArguments>().FirstOrDefault()?.Entries;
        var positional = args.Where(a => a is not KeywordArguments).ToList();
        TemplateValue Arg(int i, string name, TemplateValue fallback) =>
            i < positional.Count ? positional[i] : keywords?.GetValueOrDefault(name) ?? fallback;
        bool caseSensitive = Arg(0, "case_sensitive", BooleanValue.False) is BooleanValue c ? c.Value : throw new TemplateRuntimeException("case_sensitive must be a boolean");
        string by = Arg(1, "by", new StringValue("key")) is StringValue { Value: "key" or "value" } b ? b.Value : throw new TemplateRuntimeException("by must be 'key' or 'value'");
        bool reverse = Arg(2, "reverse", BooleanValue.False) is BooleanValue r ? r.Value : throw new TemplateRuntimeException("reverse must be a boolean");
        var items = Items(map).Items.Cast<ListValue>().ToList();
        int index = by == "key" ? 0 : 1;
        var sorted = items.Order(Comparer<ListValue>.Create((x, y) =>
            (reverse ? -1 : 1) * TemplateOperators.Compare(x.Items[index], y.Items[index], caseSensitive)));
        return new ListValue(sorted.Cast<TemplateValue>().ToList());
    }
}
