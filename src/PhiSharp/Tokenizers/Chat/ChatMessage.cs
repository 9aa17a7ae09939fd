using System.Text.Json;

namespace PhiSharp.Tokenizers;

/// <summary>
/// One turn of a conversation in OpenAI's shape: a role (system, developer, user, assistant, tool) and its text; an
/// assistant turn may carry <see cref="ToolCalls"/>, a tool turn answers the call named by <see cref="ToolCallId"/>.
/// </summary>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>The tools an assistant turn called (its <see cref="Content"/> is then often empty).</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>On a tool turn: the id of the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>On a tool turn: the name of the tool that answered.</summary>
    public string? Name { get; init; }
}

/// <summary>A call of a tool: its id, the function's name and its arguments as JSON text (OpenAI's form).</summary>
public sealed record ChatToolCall(string Id, string Name, string Arguments);

/// <summary>A function the model may call: name, description and a JSON Schema of its parameters.</summary>
public sealed record ChatTool(string Name, string? Description, JsonElement? Parameters);
