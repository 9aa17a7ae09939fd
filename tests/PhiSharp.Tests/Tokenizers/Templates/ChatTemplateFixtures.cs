using System.Text.Json;
using System.Text.Json.Nodes;

namespace PhiSharp.Tests.Tokenizers.Templates;

/// <summary>
/// tests/fixtures/chat_templates: the Phi models' chat templates (templates.json), conversations (conversations.json)
/// and @huggingface/jinja's renderings of each template over each conversation (renders.json,
/// tools/reference/jinja/render_templates.mjs).
/// </summary>
internal static class ChatTemplateFixtures
{
    static readonly Lazy<JsonElement> TemplatesJson = new(() => Read("templates.json"));
    static readonly Lazy<JsonElement> ConversationsJson = new(() => Read("conversations.json"));
    static readonly Lazy<JsonElement> RendersJson = new(() => Read("renders.json"));

    static JsonElement Read(string name) => JsonDocument.Parse(File.ReadAllText(Fixtures.Path("chat_templates", name))).RootElement;

    public static JsonElement Template(string name) => TemplatesJson.Value.EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);

    public static IEnumerable<string> TemplateNames => TemplatesJson.Value.EnumerateArray().Select(t => t.GetProperty("name").GetString()!);

    public static JsonElement Conversation(string name) => ConversationsJson.Value.GetProperty(name);

    public static IEnumerable<JsonElement> Renders => RendersJson.Value.EnumerateArray();

    /// <summary>The variables render_templates.mjs passed to @huggingface/jinja for one rendering.</summary>
    public static Dictionary<string, object?> Variables(JsonElement template, JsonElement conversation, bool addGenerationPrompt)
    {
        var messages = JsonNode.Parse(conversation.GetProperty("messages").GetRawText())!.AsArray();
        if (template.TryGetProperty("every_message_has_tool_calls", out var flag) && flag.GetBoolean())
            foreach (var message in messages)
                if (message!["tool_calls"] is null) message["tool_calls"] = new JsonArray();
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = JsonDocument.Parse(messages.ToJsonString()).RootElement,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = template.GetProperty("bos_token").GetString(),
            ["eos_token"] = template.GetProperty("eos_token").GetString(),
        };
        if (conversation.TryGetProperty("tools", out var tools)) variables["tools"] = tools;
        return variables;
    }
}
