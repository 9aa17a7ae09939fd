using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Generation.Tools;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server;

/// <summary>
/// A chat request's "tools", "tool_choice" and "parallel_tool_calls", and the tool fields of its messages (assistant
/// "tool_calls", a tool turn's "tool_call_id"), read into the engine's forms. A parameter schema outside the supported
/// subset is a 400 that names the keyword, its place and the tool.
/// </summary>
sealed record ToolsRequest(IReadOnlyList<ChatTool> Tools, ToolChoice Choice, ToolCallFormat Format)
{
    /// <summary>The request's tools, or null when it has none.</summary>
    public static ToolsRequest? Read(RequestReader r, ServedModel served)
    {
        if (r.Field("tools") is not { } array || array.ValueKind == JsonValueKind.Null)
        {
            if (r.Field("tool_choice") is { ValueKind: JsonValueKind.Object } || r.String("tool_choice") is "required")
                throw ApiException.BadRequest("'tool_choice' requires 'tools'.", "tool_choice", "invalid_value");
            return null;
        }
        if (array.ValueKind != JsonValueKind.Array) throw RequestReader.WrongType("tools", "an array");
        var tools = new List<ChatTool>();
        int i = 0;
        foreach (var tool in array.EnumerateArray())
        {
            string at = $"tools[{i++}]";
            if (tool.ValueKind != JsonValueKind.Object) throw RequestReader.WrongType(at, "an object");
            if (!tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
                throw ApiException.BadRequest($"'{at}.type' must be \"function\".", $"{at}.type", "invalid_value");
            if (!tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest($"'{at}.function' is required, as an object with 'name'.", $"{at}.function", "missing_required_parameter");
            if (!f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } n)
                throw ApiException.BadRequest($"'{at}.function.name' is required and must be a non-empty string.", $"{at}.function.name", "invalid_value");
            string? description = f.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            JsonElement? parameters = f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null ? p.Clone() : null;
            if (parameters is { ValueKind: not JsonValueKind.Object }) throw RequestReader.WrongType($"{at}.function.parameters", "a JSON Schema object");
            if (parameters is { } schema)
                try
                {
                    JsonSchemaGrammar.FromSchema(schema);
                }
                catch (JsonSchemaException e)
                {
                    throw ApiException.BadRequest($"{at}.function.parameters: {e.Message}", $"{at}.function.parameters", "unsupported_schema");
                }
            tools.Add(new ChatTool(n, description, parameters));
        }
        if (tools.Count == 0) throw ApiException.BadRequest("'tools' must hold at least one tool.", "tools", "invalid_value");
        var choice = ReadChoice(r);
        bool parallel = r.Bool("parallel_tool_calls") ?? true;
        try
        {
            return new ToolsRequest(tools, choice, ToolCallFormat.For(served.Model.ChatTemplate, served.Model.Tokenizer, tools, choice, parallel));
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, e.ParamName == "choice" ? "tool_choice" : "tools", "invalid_value");
        }
    }

    static ToolChoice ReadChoice(RequestReader r)
    {
        switch (r.Field("tool_choice"))
        {
            case null or { ValueKind: JsonValueKind.Null }: return ToolChoice.Auto;
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString() switch
                {
                    "auto" => ToolChoice.Auto,
                    "none" => ToolChoice.None,
                    "required" => ToolChoice.Required,
                    var other => throw ApiException.BadRequest($"'tool_choice' must be auto, none, required or {{\"type\": \"function\", \"function\": {{\"name\": …}}}}; got '{other}'.", "tool_choice", "invalid_value"),
                };
            case { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
                && f.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String:
                return ToolChoice.Function(name.GetString()!);
            default:
                throw ApiException.BadRequest("'tool_choice' must be auto, none, required or {\"type\": \"function\", \"function\": {\"name\": …}}.", "tool_choice", "invalid_value");
        }
    }

    /// <summary>Most tokens the reply needs at least: a reply that must call tools needs the shortest call list.</summary>
    public int ShortestReply(Generator generator) =>
        Format.Trigger is { Use: not GrammarTriggerUse.Immediate } ? 0
        : generator.ShortestCompletion(Format.Grammar) + (Format.Trigger is null ? 0 : 2);

    /// <summary>An assistant message's "tool_calls": [{"id", "type": "function", "function": {"name", "arguments"}}].</summary>
    public static IReadOnlyList<ChatToolCall>? Calls(JsonElement message, string at)
    {
        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null) return null;
        if (calls.ValueKind != JsonValueKind.Array) throw RequestReader.WrongType($"{at}.tool_calls", "an array");
        var read = new List<ChatToolCall>();
        int i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            string where = $"{at}.tool_calls[{i++}]";
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object
                || !f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"'{where}' must be {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}.", where, "invalid_value");
            string arguments = f.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "{}";
            try
            {
                using var _ = JsonDocument.Parse(arguments.Length == 0 ? "{}" : arguments);
            }
            catch (JsonException)
            {
                throw ApiException.BadRequest($"'{where}.function.arguments' must be JSON text.", $"{where}.function.arguments", "invalid_value");
            }
            read.Add(new ChatToolCall(id.GetString()!, name.GetString()!, arguments));
        }
        return read;
    }
}
