using System.Globalization;
using System.Text.Json;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// A value inside a template, with the truthiness and printing of @huggingface/jinja (Python's rules where they
/// differ from JavaScript's: empty lists and mappings are false).
/// </summary>
internal abstract class TemplateValue
{
    public abstract string TypeName { get; }
    public virtual bool IsTrue => true;
    /// <summary>The text <c>{{ value }}</c> writes.</summary>
    public abstract override string ToString();

    public static TemplateValue From(object? value) => value switch
    {
        null => NullValue.Instance,
        TemplateValue v => v,
        string s => new StringValue(s),
        bool b => BooleanValue.Of(b),
        int i => new IntegerValue(i),
        long l => new IntegerValue(l),
        double d => new FloatValue(d),
        float f => new FloatValue(f),
        JsonElement json => FromJson(json),
        IReadOnlyDictionary<string, object?> map => new MappingValue(map.Select(e => (e.Key, From(e.Value)))),
        IEnumerable<object?> list => new ListValue(list.Select(From).ToList()),
        _ => throw new ArgumentException($"a template variable cannot hold a {value.GetType().Name}"),
    };

    /// <summary>JSON as JavaScript reads it: a number without a fraction is an integer.</summary>
    public static TemplateValue FromJson(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => NullValue.Instance,
        JsonValueKind.True => BooleanValue.True,
        JsonValueKind.False => BooleanValue.False,
        JsonValueKind.String => new StringValue(json.GetString()!),
        JsonValueKind.Number => json.TryGetInt64(out long n) ? new IntegerValue(n)
            : json.GetDouble() is var d && d % 1 == 0 && Math.Abs(d) < 9.007199254740992e15 ? new IntegerValue((long)d) : new FloatValue(json.GetDouble()),
        JsonValueKind.Array => new ListValue(json.EnumerateArray().Select(FromJson).ToList()),
        _ => new MappingValue(json.EnumerateObject().Select(p => (p.Name, FromJson(p.Value)))),
    };
}

internal sealed class UndefinedValue : TemplateValue
{
    public static readonly UndefinedValue Instance = new();
    public override string TypeName => "undefined";
    public override bool IsTrue => false;
    public override string ToString() => "";
}

internal sealed class NullValue : TemplateValue
{
    public static readonly NullValue Instance = new();
    public override string TypeName => "none";
    public override bool IsTrue => false;
    public override string ToString() => "null";
}

internal sealed class BooleanValue : TemplateValue
{
    public static readonly BooleanValue True = new(true), False = new(false);
    BooleanValue(bool value) => Value = value;
    public bool Value { get; }
    public static BooleanValue Of(bool value) => value ? True : False;
    public override string TypeName => "boolean";
    public override bool IsTrue => Value;
    public override string ToString() => Value ? "true" : "false";
}

internal sealed class IntegerValue(long value) : TemplateValue
{
    public long Value { get; } = value;
    public override string TypeName => "integer";
    public override bool IsTrue => Value != 0;
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

internal sealed class FloatValue(double value) : TemplateValue
{
    public double Value { get; } = value;
    public override string TypeName => "float";
    public override bool IsTrue => Value != 0 && !double.IsNaN(Value);
    // Python's float printing as @huggingface/jinja imitates it: 3.0 keeps its ".0".
    public override string ToString() =>
        double.IsNegative(Value) && Value == 0 ? "-0.0"
        : Value % 1 == 0 && double.IsFinite(Value) ? Value.ToString("0.0", CultureInfo.InvariantCulture)
        : TemplateJson.Number(Value);
}

internal sealed class StringValue(string value) : TemplateValue
{
    /// <summary>The longest string a template may build (concatenation, replace, join): a doubling loop stops here.</summary>
    public const int MaxLength = 4 << 20;

    public string Value { get; } = value.Length <= MaxLength ? value
        : throw new TemplateRuntimeException($"a string of more than {MaxLength} characters");
    public override string TypeName => "string";
    public override bool IsTrue => Value.Length > 0;
    public override string ToString() => Value;
}

/// <summary>A list, or a tuple (written <c>(a, b)</c>; otherwise the same).</summary>
internal sealed class ListValue(List<TemplateValue> items, bool isTuple = false) : TemplateValue
{
    /// <summary>The longest list a template may build (concatenation in a loop stops here).</summary>
    public const int MaxCount = 1 << 20;

    public List<TemplateValue> Items { get; } = items.Count <= MaxCount ? items
        : throw new TemplateRuntimeException($"a list of more than {MaxCount} items");
    public bool IsTuple { get; } = isTuple;
    public override string TypeName => IsTuple ? "tuple" : "list";
    public override bool IsTrue => Items.Count > 0;
    public override string ToString() => TemplateJson.Write(this, TemplateJson.Options.Default, undefinedAsNull: false);
}

/// <summary>A mapping with string keys in insertion order (a message, a tool, a dict literal).</summary>
internal class MappingValue : TemplateValue
{
    public MappingValue(IEnumerable<(string Key, TemplateValue Value)> entries)
    {
        foreach (var (key, value) in entries) Entries[key] = value;
    }

    public OrderedDictionary<string, TemplateValue> Entries { get; } = new(StringComparer.Ordinal);
    public override string TypeName => "mapping";
    public override bool IsTrue => Entries.Count > 0;
    public override string ToString() => TemplateJson.Write(this, TemplateJson.Options.Default, undefinedAsNull: false);
}

/// <summary><c>namespace(...)</c>: the one mutable object, so that a loop can update a value seen after it.</summary>
internal sealed class NamespaceValue(IEnumerable<(string Key, TemplateValue Value)> entries) : MappingValue(entries)
{
    public override string TypeName => "namespace";
    public override bool IsTrue => true;
}

/// <summary>Keyword arguments passed to a function, last in its argument list.</summary>
internal sealed class KeywordArguments(IEnumerable<(string Key, TemplateValue Value)> entries) : MappingValue(entries);

/// <summary>A macro, a global function (<c>range</c>, <c>namespace</c>, ...) or a bound method of a value.</summary>
internal sealed class FunctionValue(string name, Func<IReadOnlyList<TemplateValue>, TemplateValue> invoke) : TemplateValue
{
    public string Name { get; } = name;
    public TemplateValue Invoke(IReadOnlyList<TemplateValue> arguments) => invoke(arguments);
    public override string TypeName => "function";
    public override string ToString() => $"<function {Name}>";
}
