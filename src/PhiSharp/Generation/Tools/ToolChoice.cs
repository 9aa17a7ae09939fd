namespace PhiSharp.Generation.Tools;

/// <summary>OpenAI's <c>tool_choice</c>: whether the reply may, must or may not call tools, or must call one.</summary>
public sealed record ToolChoice
{
    ToolChoice(ToolChoiceKind kind, string? functionName) => (Kind, FunctionName) = (kind, functionName);

    public ToolChoiceKind Kind { get; }

    /// <summary>With <see cref="ToolChoiceKind.Function"/>: the function every call names.</summary>
    public string? FunctionName { get; }

    /// <summary>The model chooses between a text reply and tool calls.</summary>
    public static ToolChoice Auto { get; } = new(ToolChoiceKind.Auto, null);

    /// <summary>A text reply; the tools are still shown to the model.</summary>
    public static ToolChoice None { get; } = new(ToolChoiceKind.None, null);

    /// <summary>One or more tool calls, no text.</summary>
    public static ToolChoice Required { get; } = new(ToolChoiceKind.Required, null);

    /// <summary>Calls of the function <paramref name="name"/> only.</summary>
    public static ToolChoice Function(string name) => new(ToolChoiceKind.Function, name);
}

public enum ToolChoiceKind { Auto, None, Required, Function }
