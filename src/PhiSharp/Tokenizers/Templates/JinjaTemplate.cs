namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// A Jinja template parsed once and rendered many times: the subset that model chat templates use, with the
/// semantics of @huggingface/jinja (the interpreter of transformers.js), including its defaults
/// <c>trim_blocks</c> and <c>lstrip_blocks</c>, which transformers' <c>apply_chat_template</c> also sets.
/// </summary>
public sealed class JinjaTemplate
{
    readonly TemplateSource _source;
    readonly IReadOnlyList<Node> _program;

    JinjaTemplate(TemplateSource source, IReadOnlyList<Node> program) => (_source, _program) = (source, program);

    /// <summary>The template's name in error messages (where it came from).</summary>
    public string Name => _source.Name;

    /// <summary>Parses <paramref name="template"/>.</summary>
    /// <exception cref="TemplateException">The template is not valid Jinja or uses a construct PhiSharp does not support.</exception>
    public static JinjaTemplate Parse(string template, string name)
    {
        var source = TemplateSource.Preprocess(name, template);
        return new JinjaTemplate(source, TemplateParser.Parse(source));
    }

    /// <summary>
    /// Renders with <paramref name="variables"/>: strings, numbers, booleans, null, lists
    /// (<see cref="IEnumerable{T}"/> of object), mappings (<see cref="IReadOnlyDictionary{TKey, TValue}"/> of string to
    /// object) and <see cref="System.Text.Json.JsonElement"/>s, nested as deep as needed.
    /// </summary>
    /// <exception cref="TemplateException">Rendering failed (the template raised an exception, used a value wrongly,
    /// or ran past the limits on output size, loop iterations or macro nesting).</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables) => Render(variables, RenderLimits.Default);

    internal string Render(IReadOnlyDictionary<string, object?> variables, RenderLimits limits)
    {
        var globals = new TemplateScope(null);
        TemplateBuiltins.AddGlobals(globals, limits.MaxSteps);
        foreach (var (name, value) in variables) globals.Set(name, TemplateValue.From(value));
        return new TemplateInterpreter(_source, limits).Render(_program, globals);
    }
}
