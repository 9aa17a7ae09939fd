using System.Globalization;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// Binary operators, equality and ordering as @huggingface/jinja evaluates them. Its values wrap JavaScript values,
/// so <c>==</c> is JavaScript's loose equality (none equals undefined), <c>in</c> over a list is strict equality, and
/// <c>~</c> / string <c>+</c> print numbers the JavaScript way (3.0 as "3").
/// </summary>
internal static class TemplateOperators
{
    public static TemplateValue Binary(string op, TemplateValue left, TemplateValue right)
    {
        switch (op)
        {
            case "==": return BooleanValue.Of(LooseEquals(left, right));
            case "!=": return BooleanValue.Of(!LooseEquals(left, right));
        }
        if (left is IntegerValue or FloatValue && right is IntegerValue or FloatValue && op is not ("~" or "**"))
            return Arithmetic(op, left, right);
        if (left is UndefinedValue || right is UndefinedValue)
        {
            if (right is UndefinedValue && op is "in" or "not in") return BooleanValue.Of(op == "not in");
            if (op == "~" && left is not NullValue && right is not NullValue)
                return new StringValue((left is UndefinedValue ? "" : RawString(left)) + (right is UndefinedValue ? "" : RawString(right)));
            throw new TemplateRuntimeException($"cannot apply '{op}' to an undefined value");
        }
        if (left is NullValue || right is NullValue) throw new TemplateRuntimeException($"cannot apply '{op}' to none");
        if (op == "~") return new StringValue(RawString(left) + RawString(right));
        if (op == "**" && Numeric(left) is double a && Numeric(right) is double b)
        {
            if (a == 0 && b < 0) throw new TemplateRuntimeException("0 cannot be raised to a negative power");
            double result = Math.Pow(a, b);
            if (!double.IsFinite(result)) throw new TemplateRuntimeException("the power is not a finite number");
            return left is FloatValue || right is FloatValue || b < 0 ? new FloatValue(result) : Integer(result);
        }
        if (left is ListValue l && right is ListValue r && op == "+") return new ListValue([.. l.Items, .. r.Items]);
        if (right is ListValue list && op is "in" or "not in")
            return BooleanValue.Of(list.Items.Any(x => StrictEquals(x, left)) == (op == "in"));
        if ((left is StringValue || right is StringValue) && op == "+") return new StringValue(RawString(left) + RawString(right));
        if (left is StringValue needle && op is "in" or "not in")
        {
            if (right is StringValue haystack) return BooleanValue.Of(haystack.Value.Contains(needle.Value, StringComparison.Ordinal) == (op == "in"));
            if (right is MappingValue map and not NamespaceValue)
                return BooleanValue.Of(map.Entries.ContainsKey(needle.Value) == (op == "in"));
        }
        throw new TemplateRuntimeException($"'{op}' is not defined between a {left.TypeName} and a {right.TypeName}");
    }

    static TemplateValue Arithmetic(string op, TemplateValue left, TemplateValue right)
    {
        double a = Numeric(left)!.Value, b = Numeric(right)!.Value;
        bool isFloat = left is FloatValue || right is FloatValue;
        TemplateValue Number(double x) => isFloat ? new FloatValue(x) : Integer(x);
        return op switch
        {
            "+" => Number(a + b),
            "-" => Number(a - b),
            "*" => Number(a * b),
            "/" => b == 0 ? throw new TemplateRuntimeException("division by zero") : new FloatValue(a / b),
            "//" => b == 0 ? throw new TemplateRuntimeException("division by zero") : Number(Math.Floor(a / b)),
            "%" => b == 0 ? throw new TemplateRuntimeException("modulo by zero") : Number(a % b),
            "<" => BooleanValue.Of(a < b),
            ">" => BooleanValue.Of(a > b),
            "<=" => BooleanValue.Of(a <= b),
            ">=" => BooleanValue.Of(a >= b),
            _ => throw new TemplateRuntimeException($"'{op}' is not defined between numbers"),
        };
    }

    static TemplateValue Integer(double x) =>
        Math.Abs(x) < 9.2e18 ? new IntegerValue((long)x) : throw new TemplateRuntimeException("the integer is too large");

    static double? Numeric(TemplateValue v) => v switch
    {
        IntegerValue i => i.Value,
        FloatValue f => f.Value,
        BooleanValue b => b.Value ? 1 : 0,
        _ => null,
    };

    /// <summary>JavaScript's String(value) of the wrapped value.</summary>
    public static string RawString(TemplateValue v) => v switch
    {
        StringValue s => s.Value,
        FloatValue f => TemplateJson.Number(f.Value),
        UndefinedValue => "undefined",
        _ => v.ToString(),
    };

    /// <summary>JavaScript's <c>==</c> on the wrapped values.</summary>
    public static bool LooseEquals(TemplateValue a, TemplateValue b)
    {
        bool aNothing = a is NullValue or UndefinedValue, bNothing = b is NullValue or UndefinedValue;
        if (aNothing || bNothing) return aNothing && bNothing;
        if (a is StringValue sa && b is StringValue sb) return sa.Value == sb.Value;
        double? na = Numeric(a) ?? (a is StringValue s1 ? StringToNumber(s1.Value) : null);
        double? nb = Numeric(b) ?? (b is StringValue s2 ? StringToNumber(s2.Value) : null);
        if (Numeric(a) is not null || Numeric(b) is not null) return na is double x && nb is double y && x == y;
        return ReferenceEquals(a, b);
    }

    /// <summary>JavaScript's <c>===</c> on the wrapped values (none and undefined both wrap undefined).</summary>
    public static bool StrictEquals(TemplateValue a, TemplateValue b) => (a, b) switch
    {
        (NullValue or UndefinedValue, NullValue or UndefinedValue) => true,
        (StringValue x, StringValue y) => x.Value == y.Value,
        (IntegerValue or FloatValue, IntegerValue or FloatValue) => Numeric(a) == Numeric(b),
        (BooleanValue x, BooleanValue y) => x.Value == y.Value,
        _ => ReferenceEquals(a, b),
    };

    static double? StringToNumber(string s)
    {
        string t = TemplateText.Trim(s);
        if (t.Length == 0) return 0;
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
    }

    /// <summary>The ordering of <c>sort</c> and <c>dictsort</c>: numbers (and booleans) by value, strings by UTF-16 units.</summary>
    public static int Compare(TemplateValue a, TemplateValue b, bool caseSensitive)
    {
        if (a is NullValue && b is NullValue || a is UndefinedValue && b is UndefinedValue) return 0;
        if (a is NullValue or UndefinedValue || b is NullValue or UndefinedValue)
            throw new TemplateRuntimeException($"cannot compare a {a.TypeName} with a {b.TypeName}");
        if (Numeric(a) is double x && Numeric(b) is double y) return x.CompareTo(y);
        if (a is StringValue sa && b is StringValue sb)
            return string.CompareOrdinal(caseSensitive ? sa.Value : sa.Value.ToLowerInvariant(), caseSensitive ? sb.Value : sb.Value.ToLowerInvariant()) switch
            {
                < 0 => -1, > 0 => 1, _ => 0,
            };
        throw new TemplateRuntimeException($"cannot compare a {a.TypeName} with a {b.TypeName}");
    }
}
