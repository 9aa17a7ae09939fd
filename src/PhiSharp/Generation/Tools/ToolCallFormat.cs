using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tokenizers;

namespace PhiSharp.Generation.Tools;

/// <summary>How a model writes tool calls (docs/TOOLS.md, "Tool calls").</summary>
public enum ToolCallSyntax
{
    /// <summary>Phi-4-mini's: free text, or <c>&lt;|tool_call|&gt;[{"name": …, "arguments": {…}}]&lt;|/tool_call|&gt;</c>.</summary>
    ToolCallTokens,
    /// <summary>The generic one: the whole reply is <c>{"tool_calls": [{"name", "arguments"}]}</c> or <c>{"response": "…"}</c>.</summary>
    Json,
}

/// <summary>
/// One request's tool calling: the syntax the model writes calls in, the grammar that keeps them well-formed (names
/// from the declared tools, arguments valid for each tool's parameter schema; shaped by the tool choice and by
/// whether several calls may come at once), and the reader that turns the output back into text and calls.
/// </summary>
public sealed class ToolCallFormat
{
    public const string StartToken = "<|tool_call|>", EndToken = "<|/tool_call|>";

    ToolCallFormat(ToolCallSyntax syntax, Grammar grammar, GrammarTrigger? trigger) =>
        (Syntax, Grammar, Trigger) = (syntax, grammar, trigger);

    public ToolCallSyntax Syntax { get; }

    /// <summary>The output's grammar (with <see cref="ToolCallSyntax.ToolCallTokens"/>, the call list's, after the trigger).</summary>
    public Grammar Grammar { get; }

    public GrammarTrigger? Trigger { get; }

    /// <summary>
    /// The format for <paramref name="tools"/>: Phi-4-mini's tokens when the template takes tools itself (the system
    /// tools or native convention) and the vocabulary has <c>&lt;|tool_call|&gt;</c> and <c>&lt;|/tool_call|&gt;</c>,
    /// else the generic JSON reply, which the generic convention's system turn asks for.
    /// </summary>
    /// <exception cref="JsonSchemaException">A tool's parameter schema uses a keyword the compiler refuses; the
    /// message names the tool, the keyword and its place.</exception>
    /// <exception cref="ArgumentException">No tools, a tool named twice, or a chosen function that is not a tool.</exception>
    public static ToolCallFormat For(ChatTemplate template, ITokenizer tokenizer, IReadOnlyList<ChatTool> tools, ToolChoice choice, bool parallel = true)
    {
        if (tools.Count == 0) throw new ArgumentException("A tool choice needs at least one tool.", nameof(tools));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tools)
            if (!names.Add(t.Name)) throw new ArgumentException($"The tool '{t.Name}' is declared twice.", nameof(tools));
        if (choice.Kind == ToolChoiceKind.Function && !names.Contains(choice.FunctionName!))
            throw new ArgumentException($"The chosen function '{choice.FunctionName}' is not one of the tools ({string.Join(", ", names)}).", nameof(choice));

        bool tokens = template.Tools != ToolConvention.Generic && HasSpecial(tokenizer, StartToken) && HasSpecial(tokenizer, EndToken);
        var callList = CallList(tools, choice, parallel);
        if (tokens)
        {
            var use = choice.Kind switch
            {
                ToolChoiceKind.None => GrammarTriggerUse.Forbidden,
                ToolChoiceKind.Auto => GrammarTriggerUse.Optional,
                _ => GrammarTriggerUse.Immediate,
            };
            return new(ToolCallSyntax.ToolCallTokens, Compile(callList), new GrammarTrigger(StartToken, EndToken, use));
        }
        JsonObject calls = Object(("tool_calls", callList)), response = Object(("response", new JsonObject { ["type"] = "string" }));
        JsonNode reply = choice.Kind switch
        {
            ToolChoiceKind.None => response,
            ToolChoiceKind.Auto => new JsonObject { ["anyOf"] = new JsonArray(calls, response) },
            _ => calls,
        };
        if (callList["$defs"] is { } defs)
        {
            callList.Remove("$defs");
            reply["$defs"] = defs;
        }
        return new(ToolCallSyntax.Json, Compile(reply), null);
    }

    /// <summary>A reader of this format's output, for a stream or a whole reply.</summary>
    public ToolCallReader CreateReader() => new(Syntax);

    /// <summary>The text and the calls of a whole reply.</summary>
    public (string Content, IReadOnlyList<ChatToolCall> Calls) Parse(string output)
    {
        var reader = CreateReader();
        var updates = reader.Push(output).Concat(reader.Finish());
        return ToolCallReader.Collect(updates);
    }

    static bool HasSpecial(ITokenizer tokenizer, string text) => tokenizer.TryGetId(text, out int id) && tokenizer.IsSpecial(id);

    /// <summary>
    /// <c>[{"name": const, "arguments": schema}, …]</c> over the tools the choice allows; at most one item unless
    /// calls may come in parallel. Each tool's schema moves to <c>$defs/tool_N</c>, its local references with it.
    /// </summary>
    static JsonObject CallList(IReadOnlyList<ChatTool> tools, ToolChoice choice, bool parallel)
    {
        var defs = new JsonObject();
        var branches = new JsonArray();
        for (int i = 0; i < tools.Count; i++)
        {
            var tool = tools[i];
            if (choice.Kind == ToolChoiceKind.Function && tool.Name != choice.FunctionName) continue;
            JsonNode parameters = tool.Parameters is { ValueKind: not JsonValueKind.Undefined } p ? JsonNode.Parse(p.GetRawText())! : new JsonObject { ["type"] = "object" };
            try
            {
                JsonSchemaGrammar.FromSchema(JsonSerializer.SerializeToElement(parameters));
            }
            catch (JsonSchemaException e)
            {
                throw new JsonSchemaException(e.Keyword, e.Path, $"The parameters of the tool '{tool.Name}': {e.Message}");
            }
            string def = $"tool_{i}";
            Relocate(parameters, $"#/$defs/{def}");
            defs[def] = parameters;
            branches.Add(Object(("name", new JsonObject { ["const"] = tool.Name }), ("arguments", new JsonObject { ["$ref"] = $"#/$defs/{def}" })));
        }
        var list = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = branches.Count == 1 ? branches[0]!.DeepClone() : new JsonObject { ["anyOf"] = branches } };
        if (!parallel) list["maxItems"] = 1;
        list["$defs"] = defs;
        return list;
    }

    static JsonObject Object(params (string Name, JsonNode Schema)[] properties)
    {
        var props = new JsonObject();
        foreach (var (name, schema) in properties) props[name] = schema;
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = new JsonArray(properties.Select(p => (JsonNode)p.Name).ToArray()),
        };
    }

    /// <summary>Rewrites the local <c>$ref</c>s of a schema that now lives at <paramref name="at"/>.</summary>
    static void Relocate(JsonNode node, string at)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue v && v.TryGetValue(out string? target) && target.StartsWith('#')) o["$ref"] = at + target[1..];
                foreach (var (_, child) in o.ToList()) if (child is not null) Relocate(child, at);
                break;
            case JsonArray a:
                foreach (var child in a) if (child is not null) Relocate(child, at);
                break;
        }
    }

    static Grammar Compile(JsonNode schema) => JsonSchemaGrammar.FromSchema(JsonSerializer.SerializeToElement(schema));
}
