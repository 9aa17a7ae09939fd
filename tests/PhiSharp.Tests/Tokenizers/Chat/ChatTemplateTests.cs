using System.Text.Json;
using PhiSharp.Tests.Tokenizers.Templates;
using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.Templates;

namespace PhiSharp.Tests.Tokenizers.Chat;

/// <summary>A model's chat template is rendered as written; without a usable one, chat is an error that says what to do.</summary>
public class ChatTemplateTests
{
    static ChatTemplate Published(string name)
    {
        var t = ChatTemplateFixtures.Template(name);
        return ChatTemplate.FromModel(t.GetProperty("template").GetString(), name, t.GetProperty("bos_token").GetString(), t.GetProperty("eos_token").GetString());
    }

    static string Expected(string template, string conversation, bool addGenerationPrompt) =>
        ChatTemplateFixtures.Renders.Single(r => r.GetProperty("template").GetString() == template && r.GetProperty("conversation").GetString() == conversation
            && r.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt).GetProperty("expected").GetString()!;

    /// <summary>A fixture conversation as the library's types (OpenAI's shapes; arguments as JSON text).</summary>
    internal static (List<ChatMessage> Messages, List<ChatTool>? Tools) Conversation(string name)
    {
        var c = ChatTemplateFixtures.Conversation(name);
        var messages = c.GetProperty("messages").EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)
        {
            ToolCalls = m.TryGetProperty("tool_calls", out var calls)
                ? calls.EnumerateArray().Select(call => new ChatToolCall(call.GetProperty("id").GetString()!,
                    call.GetProperty("function").GetProperty("name").GetString()!, call.GetProperty("function").GetProperty("arguments").GetRawText())).ToList()
                : null,
            ToolCallId = m.TryGetProperty("tool_call_id", out var id) ? id.GetString() : null,
            Name = m.TryGetProperty("name", out var n) ? n.GetString() : null,
        }).ToList();
        var tools = c.TryGetProperty("tools", out var t)
            ? t.EnumerateArray().Select(tool => tool.GetProperty("function")).Select(f => new ChatTool(f.GetProperty("name").GetString()!,
                f.TryGetProperty("description", out var d) ? d.GetString() : null, f.GetProperty("parameters"))).ToList()
            : null;
        return (messages, tools);
    }

    [Theory]
    [InlineData(ChatFormat.Phi3, "phi-3-mini-4k-instruct")]
    [InlineData(ChatFormat.Phi35, "phi-3.5-mini-instruct")]
    [InlineData(ChatFormat.Phi4, "phi-4")]
    [InlineData(ChatFormat.Phi4Mini, "phi-4-mini-instruct")]
    public void Each_built_in_format_is_the_template_its_model_ships(ChatFormat format, string model)
    {
        Assert.Equal(ChatTemplateFixtures.Template(model).GetProperty("template").GetString(), ChatFormats.Template(format));
        Assert.Equal(format, ChatFormats.Parse(ChatFormats.Name(format)));
    }

    [Theory]
    [InlineData("phi-3-mini-4k-instruct", "multi-turn")]
    [InlineData("phi-3-medium-4k-instruct", "system-user")]
    [InlineData("phi-4", "no-system-multi-turn")]
    [InlineData("phi-4-mini-reasoning", "multi-turn")]
    public void A_models_template_renders_a_chat_as_huggingface_jinja_does(string template, string conversation)
    {
        var (messages, _) = Conversation(conversation);
        foreach (bool prompt in new[] { true, false })
            Assert.Equal(Expected(template, conversation, prompt), Published(template).Format(messages, prompt));
    }

    [Fact]
    public void A_model_without_a_template_cannot_chat_until_a_format_is_chosen()
    {
        var none = ChatTemplate.FromModel(null, "tokenizer.chat_template of phi-2.gguf");
        var e = Assert.Throws<TemplateException>(() => none.Format([new("user", "Hi")], addGenerationPrompt: true));
        Assert.Contains("phi-2.gguf", e.Message);
        Assert.Contains("--chat-format", e.Message);
        Assert.Equal(e.Message, none.Problem);
    }

    [Fact]
    public void A_template_that_does_not_parse_is_named_with_the_place_and_is_never_replaced_silently()
    {
        var broken = ChatTemplate.FromModel("{% for m in messages %}\n{{ m.content }\n{% endfor %}", "tokenizer_config.json of my-model");
        var e = Assert.Throws<TemplateException>(() => broken.Format([new("user", "Hi")], addGenerationPrompt: true));
        Assert.Equal((2, 14), (e.Line, e.Column));
        Assert.StartsWith("chat template tokenizer_config.json of my-model, line 2, column 14:", e.Message);
        Assert.Contains("--chat-format", e.Message);
    }

    [Fact]
    public void The_template_decides_the_end_of_turn_text()
    {
        Assert.Equal(["<|im_end|>"], Published("phi-4").StopTokens);
        Assert.Equal(["<|end|>"], Published("phi-4-mini-instruct").StopTokens);
        Assert.Equal(["<|end|>"], ChatTemplate.Phi3.StopTokens);
    }
}
