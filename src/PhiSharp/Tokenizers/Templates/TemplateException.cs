namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// A chat template that cannot be parsed or rendered: names the template and, where the fault has one, the line and
/// column in the template's own text.
/// </summary>
public sealed class TemplateException : InvalidOperationException
{
    public TemplateException(string templateName, string message, int line = 0, int column = 0)
        : base(Describe(templateName, message, line, column))
    {
        TemplateName = templateName;
        Reason = message;
        Line = line;
        Column = column;
    }

    /// <summary>Where the template came from (a model's tokenizer_config.json, a GGUF file, a built-in format).</summary>
    public string TemplateName { get; }

    /// <summary>What is wrong, without the template's name and position.</summary>
    public string Reason { get; }

    /// <summary>1-based line of the fault in the template's text; 0 when the fault has no single place.</summary>
    public int Line { get; }

    /// <summary>1-based column of the fault; 0 when the fault has no single place.</summary>
    public int Column { get; }

    static string Describe(string name, string message, int line, int column) =>
        line > 0 ? $"chat template {name}, line {line}, column {column}: {message}" : $"chat template {name}: {message}";
}
