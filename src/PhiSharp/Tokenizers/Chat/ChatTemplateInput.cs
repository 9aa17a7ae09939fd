using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Tokenizers.Templates;

namespace PhiSharp.Tokenizers;

/// <summary>
/// Turns a conversation (OpenAI's shapes: <see cref="ChatMessage"/>, <see cref="ChatTool"/>) into the variables a chat
/// template reads — <c>messages</c>, <c>tools</c>, <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c> —
/// in the form its <see cref="ToolConvention"/> expects, so that no tool, call or result vanishes in a template that
/// does not render it. Only the data changes here; the template is rendered as written. docs/TOOLS.md has the forms.
/// </summary>
internal static class ChatTemplateInput
{
    /// <summary>The instruction the generic convention adds after the tool list; the reply is constrained to this JSON.</summary>
    internal const string GenericInstruction =
        "To call tools, reply with only JSON: {\"tool_calls\": [{\"name\": \"<tool name>\", \"arguments\": {<arguments>}}]}. "
        + "Otherwise reply with only JSON: {\"response\": \"<your reply>\"}.";

    public static ToolConvention ConventionOf(string template) =>
        template.Contains("tool_calls", StringComparison.Ordinal) ? ToolConvention.Native
        : template.Contains("message['tools']", StringComparison.Ordinal) || template.Contains("message.tools", StringComparison.Ordinal)
          || template.Contains("'tools' in message", StringComparison.Ordinal) ? ToolConvention.SystemTools
        : ToolConvention.Generic;

    /// <param name="systemShown">Whether the template writes a system turn at all (Phi-3-medium's drops it): when it
    /// does not, the generic convention's tool description goes to the first user turn instead.</param>
    public static Dictionary<string, object?> Variables(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools,
        ToolConvention convention, bool systemShown, bool addGenerationPrompt, string bosToken, string eosToken)
    {
        bool hasTools = tools is { Count: > 0 };
        var turns = messages.Select(m => m.Role == "developer" ? m with { Role = "system" } : m).ToList();
        List<JsonObject> shaped = convention switch
        {
            ToolConvention.Native => turns.Select(Native).ToList(),
            ToolConvention.SystemTools => SystemTools(turns, hasTools ? tools! : null),
            _ => Generic(turns, hasTools ? tools! : null, systemShown),
        };
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = JsonSerializer.SerializeToElement(shaped),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bosToken,
            ["eos_token"] = eosToken,
        };
        if (hasTools && convention == ToolConvention.Native)
            variables["tools"] = JsonSerializer.SerializeToElement(tools!.Select(t => new JsonObject
            {
                ["type"] = "function",
                ["function"] = Function(t),
            }).ToList());
        return variables;
    }

    /// <summary>transformers' message shape: tool_calls with arguments as an object, tool turns with their call's id.</summary>
    static JsonObject Native(ChatMessage m)
    {
        var o = new JsonObject { ["role"] = m.Role, ["content"] = m.Content };
        if (m.ToolCalls is { Count: > 0 } calls)
            o["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = Arguments(c) },
            }).ToArray());
        if (m.ToolCallId is not null) o["tool_call_id"] = m.ToolCallId;
        if (m.Name is not null) o["name"] = m.Name;
        return o;
    }

    /// <summary>
    /// Phi-4-mini: the tool list is the system turn's <c>tools</c> string (a system turn with empty content is added
    /// when there is none); a call is content <c>&lt;|tool_call|&gt;[{"name": …, "arguments": {…}}]&lt;|/tool_call|&gt;</c>,
    /// the model's own output form; a result is a <c>tool_response</c> turn, which the template writes as
    /// <c>&lt;|tool_response|&gt;…&lt;|end|&gt;</c> (a token of Phi-4-mini's vocabulary) instead of colliding with <c>&lt;|tool|&gt;</c>.
    /// </summary>
    static List<JsonObject> SystemTools(List<ChatMessage> turns, IReadOnlyList<ChatTool>? tools)
    {
        var shaped = new List<JsonObject>();
        if (tools is not null && (turns.Count == 0 || turns[0].Role != "system")) turns.Insert(0, new ChatMessage("system", ""));
        for (int i = 0; i < turns.Count; i++)
        {
            var m = turns[i];
            var o = new JsonObject { ["role"] = m.Role == "tool" ? "tool_response" : m.Role, ["content"] = m.Content };
            if (i == 0 && m.Role == "system" && tools is not null)
                o["tools"] = new JsonArray(tools.Select(t => (JsonNode)Function(t)).ToArray()).ToPythonJson();
            if (m.ToolCalls is { Count: > 0 } calls)
                o["content"] = m.Content + "<|tool_call|>" + CallList(calls, withIds: false) + "<|/tool_call|>";
            shaped.Add(o);
        }
        return shaped;
    }

    /// <summary>
    /// llama.cpp's generic convention: the system turn lists the tools as JSON and says how to answer
    /// (<see cref="GenericInstruction"/>); a call is assistant content <c>{"tool_calls": [{"id", "name", "arguments"}]}</c>;
    /// a result is a user turn <c>{"tool_response": {"tool_call_id", "name", "content"}}</c>.
    /// </summary>
    static List<JsonObject> Generic(List<ChatMessage> turns, IReadOnlyList<ChatTool>? tools, bool systemShown)
    {
        if (tools is not null)
        {
            string description = "You can call these tools:\n"
                + new JsonArray(tools.Select(t => (JsonNode)Function(t)).ToArray()).ToPythonJson(indent: 2) + "\n\n" + GenericInstruction;
            if (!systemShown)
            {
                int user = turns.FindIndex(t => t.Role == "user");
                if (user >= 0) turns[user] = turns[user] with { Content = description + "\n\n" + turns[user].Content };
            }
            else if (turns.Count > 0 && turns[0].Role == "system")
                turns[0] = turns[0] with { Content = turns[0].Content.Length > 0 ? turns[0].Content + "\n\n" + description : description };
            else turns.Insert(0, new ChatMessage("system", description));
        }
        return turns.Select(m =>
        {
            if (m.ToolCalls is { Count: > 0 } calls)
                return new JsonObject { ["role"] = m.Role, ["content"] = $"{{\"tool_calls\": {CallList(calls, withIds: true)}}}" };
            if (m.Role == "tool")
            {
                var response = new JsonObject { ["tool_call_id"] = m.ToolCallId, ["name"] = m.Name, ["content"] = m.Content };
                return new JsonObject { ["role"] = "user", ["content"] = new JsonObject { ["tool_response"] = response }.ToPythonJson() };
            }
            return new JsonObject { ["role"] = m.Role, ["content"] = m.Content };
        }).ToList();
    }

    static JsonObject Function(ChatTool t)
    {
        var f = new JsonObject { ["name"] = t.Name };
        if (t.Description is not null) f["description"] = t.Description;
        if (t.Parameters is { } p) f["parameters"] = JsonNode.Parse(p.GetRawText());
        return f;
    }

    static string CallList(IReadOnlyList<ChatToolCall> calls, bool withIds) =>
        new JsonArray(calls.Select(c =>
        {
            var o = new JsonObject();
            if (withIds) o["id"] = c.Id;
            o["name"] = c.Name;
            o["arguments"] = Arguments(c);
            return (JsonNode)o;
        }).ToArray()).ToPythonJson();

    /// <summary>OpenAI sends arguments as JSON text; templates (transformers' convention) get the object.</summary>
    static JsonNode? Arguments(ChatToolCall call)
    {
        try { return JsonNode.Parse(call.Arguments.Length == 0 ? "{}" : call.Arguments); }
        catch (JsonException) { throw new ArgumentException($"the arguments of tool call '{call.Id}' ({call.Name}) are not JSON: {call.Arguments}"); }
    }

    /// <summary>JSON as Python's json.dumps (and a template's tojson) writes it: ", " and ": " separators, as the
    /// models saw tool lists in their training data.</summary>
    static string ToPythonJson(this JsonNode node, int? indent = null) =>
        TemplateJson.Write(TemplateValue.FromJson(JsonSerializer.SerializeToElement(node)), new TemplateJson.Options(Indent: indent));
}
