namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// Variables of one scope: the template's globals and inputs, a for loop's body, a macro call. Assignments go to the
/// innermost scope (Jinja's rule: a <c>set</c> inside a loop is not seen after it; <c>namespace()</c> is the way out).
/// </summary>
internal sealed class TemplateScope(TemplateScope? parent)
{
    readonly TemplateScope? _parent = parent;
    readonly Dictionary<string, TemplateValue> _variables = new(StringComparer.Ordinal);

    public TemplateValue Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope._parent)
            if (scope._variables.TryGetValue(name, out var value)) return value;
        return UndefinedValue.Instance;
    }

    public void Set(string name, TemplateValue value) => _variables[name] = value;
}

/// <summary>An error while rendering, positioned by the interpreter at the node being evaluated.</summary>
internal sealed class TemplateRuntimeException(string message) : Exception(message);
